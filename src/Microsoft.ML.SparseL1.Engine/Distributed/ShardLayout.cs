// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Distributed;

/// <summary>
/// Where one rank's rows sit in the training set of a data-parallel run: the shards, in rank order, make one set of
/// <see cref="GlobalRows"/> rows, and this rank holds rows [<see cref="FirstRow"/>, FirstRow + its row count). Every rank
/// draws the same global permutation each epoch and takes, from each global batch, the rows it holds: the union of the
/// ranks' parts is exactly the batch one process would take from the concatenated shards.
/// </summary>
internal sealed class ShardLayout
{
    public ShardLayout(SparseL1Communicator communicator, int firstRow, int localRows, int globalRows, double globalTotalWeight)
    {
        Communicator = communicator;
        FirstRow = firstRow;
        LocalRows = localRows;
        GlobalRows = globalRows;
        GlobalTotalWeight = globalTotalWeight;
    }

    public SparseL1Communicator Communicator { get; }

    /// <summary>The global index of this rank's first row.</summary>
    public int FirstRow { get; }

    /// <summary>This rank's row count.</summary>
    public int LocalRows { get; }

    /// <summary>Rows of all shards together.</summary>
    public int GlobalRows { get; }

    /// <summary>Example weight of all shards together.</summary>
    public double GlobalTotalWeight { get; }

    /// <summary>
    /// Writes the local indices of the rows this rank holds among global positions [start, start + count) of
    /// <paramref name="order"/> (in that order) into <paramref name="local"/>; returns how many.
    /// </summary>
    public int Select(ReadOnlySpan<int> order, int start, int count, Span<int> local)
    {
        int found = 0;
        foreach (int row in order.Slice(start, count))
        {
            int at = row - FirstRow;
            if ((uint)at < (uint)LocalRows)
                local[found++] = at;
        }

        return found;
    }

    /// <summary>The local rows among global rows [start, start + count) in data order: a contiguous range.</summary>
    public (int Start, int Count) Select(int start, int count)
    {
        int from = Math.Max(start, FirstRow), to = Math.Min(start + count, FirstRow + LocalRows);
        return to > from ? (from - FirstRow, to - from) : (0, 0);
    }
}
