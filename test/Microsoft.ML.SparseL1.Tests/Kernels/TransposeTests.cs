// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Kernels;

/// <summary>
/// The strided transpose (<see cref="GemmPackingTranspose.Transpose"/>, the feature-major layout of the frozen layers'
/// products and of batch prediction) against a naive element-by-element copy, on this machine's path and the scalar one:
/// whole 16x16 tiles, tiles cut at 8, edges of single rows and columns, and strides wider than the block; nothing outside
/// the block is written.
/// </summary>
[TestClass]
public class TransposeTests
{
    [TestMethod]
    [DataRow(128, 784)]
    [DataRow(24, 40)]
    [DataRow(8, 8)]
    [DataRow(17, 33)]
    [DataRow(5, 3)]
    public void Transpose_IsTheNaiveCopy_OnEveryPath(int rows, int columns)
    {
        int sourceStride = columns + 3, destinationStride = rows + 5;
        var random = new Random(rows * 1000 + columns);
        float[] source = new float[rows * sourceStride];
        for (int i = 0; i < source.Length; i++)
            source[i] = (float)random.NextDouble();
        var expected = new float[columns * destinationStride];
        Array.Fill(expected, -1f);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
                expected[c * destinationStride + r] = source[r * sourceStride + c];
        }

        foreach (var path in new[] { KernelDispatch.Hardware, KernelPath.Scalar })
        {
            using (KernelDispatch.OverrideForTesting(path))
            {
                var actual = new float[columns * destinationStride];
                Array.Fill(actual, -1f);
                GemmPackingTranspose.Transpose(source, sourceStride, rows, columns, actual, destinationStride);
                CollectionAssert.AreEqual(expected, actual, $"{path}, {rows} x {columns}");
            }
        }
    }
}
