// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Microsoft.ML.SparseL1.Distributed;

/// <summary>
/// Reductions over a <see cref="SparseL1Communicator"/> built from its gather: every rank receives all contributions and
/// combines them itself in rank order (rank 0 + rank 1 + …), so every rank holds bit-identical results and a repeated
/// run with the same rank count repeats them, whatever algorithm the transport uses. The cost is a gather of
/// Size × the buffer instead of a reduce-scatter; at 2-8 ranks and a few MB a step that is the transport's latency
/// and bandwidth, not a copy that matters (docs/distributed.md measures it).
/// </summary>
internal static class Collectives
{
    /// <summary>Replaces each element of <paramref name="values"/> by its sum over the ranks.</summary>
    public static void Sum(SparseL1Communicator communicator, Span<double> values)
    {
        if (communicator.Size == 1 || values.IsEmpty)
            return;
        double[] gathered = Gather(communicator, MemoryMarshal.AsBytes(values), values.Length);
        SumRanks(gathered, values, communicator.Size);
    }

    /// <summary>Replaces each element of <paramref name="values"/> by its largest value over the ranks.</summary>
    public static void Max(SparseL1Communicator communicator, Span<double> values)
    {
        if (communicator.Size == 1 || values.IsEmpty)
            return;
        double[] gathered = Gather(communicator, MemoryMarshal.AsBytes(values), values.Length);
        for (int rank = 1; rank < communicator.Size; rank++)
            TensorPrimitives.Max(values, gathered.AsSpan(rank * values.Length, values.Length), values);
    }

    /// <summary>Every rank's <paramref name="local"/> values (the same count on every rank), in rank order.</summary>
    public static T[] AllGather<T>(SparseL1Communicator communicator, ReadOnlySpan<T> local) where T : unmanaged
    {
        var gathered = new T[checked(local.Length * communicator.Size)];
        communicator.AllGather(MemoryMarshal.AsBytes(local), MemoryMarshal.AsBytes(gathered.AsSpan()));
        return gathered;
    }

    /// <summary>
    /// Runs <paramref name="action"/> (which returns a count, at least 0) on this rank, then the ranks agree on how it
    /// went: when it failed with an exception <paramref name="expected"/> accepts on any rank, every rank throws an
    /// <see cref="InvalidOperationException"/> naming the first such rank (with the cause on that rank), so no rank
    /// carries on alone into a collective the others never reach. Returns every rank's count, in rank order. With no
    /// group (<paramref name="communicator"/> null) the action runs and its exceptions pass through.
    /// </summary>
    /// <param name="communicator">The group, or null for one process.</param>
    /// <param name="doing">What the action does, after "Rank r of N could not ...".</param>
    /// <param name="action">The local work.</param>
    /// <param name="expected">The failures to agree on; others pass through (and the group's job ends as a crash would).</param>
    public static int[] AgreeOnOutcome(SparseL1Communicator? communicator, string doing, Func<int> action, Func<Exception, bool> expected)
    {
        if (communicator is null)
            return [action()];
        Exception? failure = null;
        int count = -1;
        try
        {
            count = action();
        }
        catch (Exception e) when (expected(e))
        {
            failure = e;
        }

        int[] counts = AllGather<int>(communicator, [failure is null ? count : -1]);
        int failed = Array.IndexOf(counts, -1);
        if (failed >= 0)
        {
            throw new InvalidOperationException(failure is null
                ? $"Rank {failed} of {counts.Length} could not {doing} (its error names the file)."
                : $"Rank {failed} of {counts.Length} could not {doing}: {failure.Message}", failure);
        }

        return counts;
    }

    private static double[] Gather(SparseL1Communicator communicator, ReadOnlySpan<byte> local, int count)
    {
        var gathered = new double[checked(count * communicator.Size)];
        communicator.AllGather(local, MemoryMarshal.AsBytes(gathered.AsSpan()));
        return gathered;
    }

    /// <summary>total = rank 0's part + rank 1's + … (in that order) of <paramref name="gathered"/>.</summary>
    private static void SumRanks(double[] gathered, Span<double> total, int ranks)
    {
        int n = total.Length;
        gathered.AsSpan(0, n).CopyTo(total);
        for (int rank = 1; rank < ranks; rank++)
            TensorPrimitives.Add(total, gathered.AsSpan(rank * n, n), total);
    }
}
