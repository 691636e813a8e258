// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Kernels;

/// <summary>
/// The terms of a single-row product by input, on the path this machine takes (AVX-512 compresses sixteen inputs at a time)
/// and on the scalar path, against a naive list: every input, ascending, that is nonzero and used, with its column offset.
/// </summary>
[TestClass]
public class InputMajorTermsTests
{
    /// <summary>Row lengths below one vector, across several with a tail, and the Fashion-MNIST row.</summary>
    [TestMethod]
    [DataRow(5)]
    [DataRow(37)]
    [DataRow(784)]
    public void Gather_IsEveryNonZeroUsedInputInOrder_OnEveryPath(int inputs)
    {
        var random = new Random(inputs);
        int[] columnOffsets = Enumerable.Range(0, inputs).Select(i => random.NextDouble() < 0.8 ? i * 16 + 3 : -1).ToArray();
        int[] used = Enumerable.Range(0, inputs).Where(i => columnOffsets[i] >= 0).ToArray();
        // Zeros of both signs, and values a compare to zero must keep (subnormal, negative).
        float[] x = Enumerable.Range(0, inputs).Select(i => (i % 7) switch
        {
            0 => 0f,
            1 => -0f,
            2 => float.Epsilon,
            _ => random.NextDouble() < 0.5 ? 0f : (float)(random.NextDouble() * 2 - 1),
        }).ToArray();
        var expected = Enumerable.Range(0, inputs).Where(i => x[i] != 0f && columnOffsets[i] >= 0).ToArray();

        foreach (var path in new[] { KernelDispatch.Hardware, KernelPath.Scalar })
        {
            using (KernelDispatch.OverrideForTesting(path))
            {
                // As long as the row, the vector path's whole-vector stores included.
                var offsets = new int[inputs];
                var values = new float[inputs];
                int count = InputMajorTerms.Gather(x, used, columnOffsets, offsets, values);
                CollectionAssert.AreEqual(expected.Select(i => columnOffsets[i]).ToArray(), offsets[..count], $"{path}: offsets");
                CollectionAssert.AreEqual(expected.Select(i => x[i]).ToArray(), values[..count], $"{path}: values");
            }
        }
    }

    [TestMethod]
    public void Gather_BuffersShorterThanTheRow_AreRefused()
    {
        var x = new float[20];
        var columnOffsets = new int[20];
        int[] used = Enumerable.Range(0, 20).ToArray();
        var message = Assert.ThrowsExactly<ArgumentException>(() => InputMajorTerms.Gather(x, used, columnOffsets, new int[19], new float[20])).Message;
        StringAssert.Contains(message, "do not match");
        Assert.ThrowsExactly<ArgumentException>(() => InputMajorTerms.Gather(x, used, new int[19], new int[20], new float[20]));
    }
}
