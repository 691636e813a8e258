// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Kernels;

/// <summary><see cref="RowPrefetch"/>: a hint that accepts every row of a matrix and refuses a row outside it.</summary>
[TestClass]
public class RowPrefetchTests
{
    [TestMethod]
    public void Row_AcceptsEveryRow_AndRefusesARowOutsideIt()
    {
        // 3 rows of 37 floats: rows not a whole number of cache lines, so lines are shared between rows; and an empty one.
        float[] matrix = new float[3 * 37];
        for (int row = 0; row < 3; row++)
            RowPrefetch.Row(matrix, row, 37);
        RowPrefetch.Row([], 0, 0);

        var negative = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RowPrefetch.Row(matrix, -1, 37));
        StringAssert.Contains(negative.Message, "Row -1");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RowPrefetch.Row(matrix, 3, 37));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RowPrefetch.Row(matrix, 2, 38));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RowPrefetch.Row(matrix, 0, -1));
    }
}
