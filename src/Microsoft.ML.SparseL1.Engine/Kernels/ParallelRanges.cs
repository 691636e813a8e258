// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>
/// Splits [0, length) into one contiguous range per thread, each starting at a multiple of a granule (a GEMM's column
/// panel, a thin product's vector block, a row), and runs them side by side; one thread runs the whole range inline.
/// </summary>
internal static class ParallelRanges
{
    /// <summary>Runs <paramref name="body"/>(first, end) over at most <paramref name="threads"/> ranges, no more than there are granules.</summary>
    public static void Run(int length, int granule, int threads, Action<int, int> body)
    {
        int granules = (length + granule - 1) / granule;
        threads = Math.Min(threads, granules);
        if (threads <= 1)
        {
            body(0, length);
            return;
        }

        WorkerTeam.Run(threads, t =>
        {
            int first = (int)((long)granules * t / threads) * granule;
            int end = Math.Min(length, (int)((long)granules * (t + 1) / threads) * granule);
            body(first, end);
        });
    }
}
