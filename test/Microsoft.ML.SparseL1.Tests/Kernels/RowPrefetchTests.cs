// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Kernels;

/// <summary><see cref="RowPrefetch"/>: a hint that leaves the matrix as it was, and refuses a row outside it.</summary>
[TestClass]
public class RowPrefetchTests
{
    [TestMethod]
    public void Row_LeavesTheMatrix_AndRefusesARowOutsideIt()
    {
        // 3 rows of 37 floats: rows not a whole number of cache lines, so the last line of a row is shared with the next.
        float[] matrix = new float[3 * 37];
        for (int i = 0; i < matrix.Length; i++)
            matrix[i] = i * 0.5f;
        float[] before = (float[])matrix.Clone();
        for (int row = 0; row < 3; row++)
            RowPrefetch.Row(matrix, row, 37);
        CollectionAssert.AreEqual(before, matrix);

        var negative = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RowPrefetch.Row(matrix, -1, 37));
        StringAssert.Contains(negative.Message, "Row -1");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RowPrefetch.Row(matrix, 3, 37));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RowPrefetch.Row(matrix, 2, 38));
    }
}
