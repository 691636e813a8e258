// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Kernels;

[TestClass]
public class CsrCompressionTests
{
    [TestMethod]
    public void CompressRows_MatchesNaiveScan_AcrossVectorBoundariesAndSpecialValues()
    {
        var random = new Random(5);
        float[] special = [0f, -0f, float.NaN, float.PositiveInfinity, 1e-38f, -2.5f];
        foreach (int columns in new[] { 0, 1, 7, 8, 9, 17, 33, 784 })
        {
            const int Rows = 5;
            var dense = new float[Rows * columns];
            for (int i = 0; i < dense.Length; i++)
                dense[i] = random.NextDouble() < 0.7 ? (random.NextDouble() < 0.5 ? 0f : -0f) : special[random.Next(special.Length)];

            // Naive reference: scan every element, keep those not equal to zero.
            var expectedPointers = new int[Rows + 1];
            var expectedColumns = new List<int>();
            var expectedValues = new List<float>();
            for (int r = 0; r < Rows; r++)
            {
                for (int c = 0; c < columns; c++)
                {
                    if (dense[r * columns + c] != 0f)
                    {
                        expectedColumns.Add(c);
                        expectedValues.Add(dense[r * columns + c]);
                    }
                }

                expectedPointers[r + 1] = expectedColumns.Count;
            }

            var pointers = new int[Rows + 1];
            var indices = new int[dense.Length];
            var values = new float[dense.Length];
            int count = CsrKernels.CompressRows(dense, Rows, columns, pointers, indices, values);

            Assert.AreEqual(expectedColumns.Count, count, $"columns {columns}");
            CollectionAssert.AreEqual(expectedPointers, pointers, $"columns {columns}");
            CollectionAssert.AreEqual(expectedColumns.ToArray(), indices[..count], $"columns {columns}");
            for (int k = 0; k < count; k++)
                Assert.AreEqual(BitConverter.SingleToInt32Bits(expectedValues[k]), BitConverter.SingleToInt32Bits(values[k]), $"columns {columns}, entry {k}");
        }
    }
}
