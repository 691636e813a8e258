// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Kernels;

[TestClass]
public class ActivationKernelTests
{
    [TestMethod]
    [DataRow(true, DisplayName = "bias and ReLU")]
    [DataRow(false, DisplayName = "bias")]
    public void AddBias_AllLengths_MatchesReference(bool relu)
    {
        var random = new Random(relu ? 4 : 8);
        KernelPaths.ForEach(path =>
        {
            foreach (int n in TestData.Lengths())
            {
                const int Rows = 3;
                float[] z = TestData.Uniform(random, Rows * n);
                float[] bias = TestData.Uniform(random, n);
                if (n > 3)
                    z[2] = float.NaN;
                var actual = (float[])z.Clone();
                if (relu)
                    ActivationKernels.AddBiasRelu(actual, bias, Rows);
                else
                    ActivationKernels.AddBias(actual, bias, Rows);
                for (int i = 0; i < z.Length; i++)
                {
                    float sum = z[i] + bias[i % n];
                    float expected = !relu || float.IsNaN(sum) ? sum : sum > 0 ? sum : 0f;
                    Assert.AreEqual(expected, actual[i], $"{path} n={n} index {i}");
                }
            }
        });
    }

    [TestMethod]
    public void ReluBackward_AllLengths_MatchesReference()
    {
        var random = new Random(5);
        KernelPaths.ForEach(path =>
        {
            foreach (int n in TestData.Lengths())
            {
                float[] delta = TestData.Uniform(random, n);
                float[] activation = TestData.Uniform(random, n);
                for (int i = 0; i < n; i += 4)
                    activation[i] = i % 8 == 0 ? 0f : -0f;
                var actual = (float[])delta.Clone();
                ActivationKernels.ReluBackward(actual, activation);
                for (int i = 0; i < n; i++)
                    Assert.AreEqual(activation[i] > 0 ? delta[i] : 0f, actual[i], $"{path} n={n} index {i}");
            }
        });
    }

    /// <summary>
    /// Each column is summed as adding the rows one after another into the destination sums it (in float, in row order),
    /// bit for bit: the bias gradient of a batch is the same whatever the vector path and the layer width, and the
    /// vectors of the last columns, which overlap, agree.
    /// </summary>
    [TestMethod]
    public void AddColumnSums_AreTheRowOrderSums()
    {
        var random = new Random(6);
        KernelPaths.ForEach(path =>
        {
            foreach (int n in TestData.Lengths())
            {
                foreach (int rows in new[] { 1, 9, 128 })
                {
                    if (n > 256 && rows > 1)
                        continue;
                    float[] matrix = TestData.Uniform(random, rows * n);
                    float[] destination = TestData.Uniform(random, n);
                    // The destination is a slice of a larger array filled with NaN: a write outside it would show.
                    var padded = new float[n + 40];
                    Array.Fill(padded, float.NaN);
                    destination.CopyTo(padded, 20);
                    ActivationKernels.AddColumnSums(matrix, rows, padded.AsSpan(20, n));
                    for (int j = 0; j < n; j++)
                    {
                        float sum = destination[j];
                        for (int r = 0; r < rows; r++)
                            sum += matrix[r * n + j];
                        Assert.AreEqual(sum, padded[20 + j], $"{path} n={n} rows={rows} column {j}");
                    }

                    for (int j = 0; j < 20; j++)
                        Assert.IsTrue(float.IsNaN(padded[j]) && float.IsNaN(padded[20 + n + j]), $"{path} n={n} rows={rows}: written outside, offset {j}");
                }
            }
        });
    }

    [TestMethod]
    public void Kernels_ThrowForWrongLengths()
    {
        Assert.ThrowsExactly<ArgumentException>(() => ActivationKernels.AddBiasRelu(new float[7], new float[3], 2));
        Assert.ThrowsExactly<ArgumentException>(() => ActivationKernels.AddBias(new float[7], new float[3], 2));
        Assert.ThrowsExactly<ArgumentException>(() => ActivationKernels.ReluBackward(new float[3], new float[4]));
        Assert.ThrowsExactly<ArgumentException>(() => ActivationKernels.AddColumnSums(new float[5], 2, new float[3]));
    }
}
