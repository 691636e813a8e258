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
    public void AddBiasRelu_AllLengths_MatchesReference()
    {
        var random = new Random(4);
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
                ActivationKernels.AddBiasRelu(actual, bias, Rows);
                for (int i = 0; i < z.Length; i++)
                {
                    float sum = z[i] + bias[i % n];
                    float expected = float.IsNaN(sum) ? float.NaN : sum > 0 ? sum : 0f;
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

    [TestMethod]
    public void AddColumnSums_MatchesReference()
    {
        var random = new Random(6);
        KernelPaths.ForEach(path =>
        {
            foreach (int n in new[] { 0, 1, 15, 17, 100, 301 })
            {
                const int Rows = 9;
                float[] matrix = TestData.Uniform(random, Rows * n);
                float[] destination = TestData.Uniform(random, n);
                var actual = (float[])destination.Clone();
                ActivationKernels.AddColumnSums(matrix, Rows, actual);
                for (int j = 0; j < n; j++)
                {
                    double sum = destination[j];
                    for (int r = 0; r < Rows; r++)
                        sum += matrix[r * n + j];
                    TestData.AssertClose(sum, actual[j], 1e-6, 1e-6, $"{path} n={n} column {j}");
                }
            }
        });
    }

    [TestMethod]
    public void Kernels_ThrowForWrongLengths()
    {
        Assert.ThrowsExactly<ArgumentException>(() => ActivationKernels.AddBiasRelu(new float[7], new float[3], 2));
        Assert.ThrowsExactly<ArgumentException>(() => ActivationKernels.ReluBackward(new float[3], new float[4]));
        Assert.ThrowsExactly<ArgumentException>(() => ActivationKernels.AddColumnSums(new float[5], 2, new float[3]));
    }
}
