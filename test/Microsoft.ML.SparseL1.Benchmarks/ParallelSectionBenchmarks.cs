// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using Microsoft.ML.SparseL1.Kernels;

namespace Microsoft.ML.SparseL1.Benchmarks;

/// <summary>
/// What one parallel section costs beyond its work: two parts that do nothing, after a stretch of serial work of 0 to 300
/// µs (a training step's sections are separated by such stretches: the loss, a bias, a small product), on the worker team
/// and on the thread pool (Parallel.For, as before the team), in blocks of 1,000 sections, the lowest mean of 3 rounds after a warm-up round.
/// </summary>
internal static class ParallelSectionBenchmarks
{
    public static List<Dictionary<string, object>> Run()
    {
        int[] gaps = [0, 20, 50, 100, 300];
        var best = new double[2, gaps.Length];
        for (int round = 0; round < 4; round++)
        {
            for (int mode = 0; mode < 2; mode++)
            {
                for (int g = 0; g < gaps.Length; g++)
                {
                    // Round 0 warms up (the JIT, the pool's and the team's threads) and is not counted.
                    double mean = MeanSectionMicroseconds(gaps[g], pool: mode == 1);
                    best[mode, g] = round == 0 ? double.MaxValue : Math.Min(best[mode, g], mean);
                }
            }
        }

        var results = new List<Dictionary<string, object>>();
        for (int g = 0; g < gaps.Length; g++)
        {
            results.Add(new()
            {
                ["benchmark"] = "parallel-section",
                ["serialMicrosecondsBefore"] = gaps[g],
                ["workerTeamMicroseconds"] = Math.Round(best[0, g], 2),
                ["threadPoolMicroseconds"] = Math.Round(best[1, g], 2),
            });
        }

        return results;
    }

    /// <summary>
    /// Runs <paramref name="measure"/> with every parallel section on the thread pool (as before the worker team) when
    /// <paramref name="pool"/>, on the team otherwise: the benchmarks that compare the two run each side through here.
    /// </summary>
    public static T OnThreadPool<T>(bool pool, Func<T> measure)
    {
        WorkerTeam.ThreadPoolOnly = pool;
        try
        {
            return measure();
        }
        finally
        {
            WorkerTeam.ThreadPoolOnly = false;
        }
    }

    private static double s_sink;

    private static double MeanSectionMicroseconds(int gapMicroseconds, bool pool) => OnThreadPool(pool, () =>
    {
        const int Sections = 1000;
        long gapTicks = (long)(gapMicroseconds * 1e-6 * Stopwatch.Frequency), spent = 0;
        for (int i = 0; i < Sections; i++)
        {
            long serial = Stopwatch.GetTimestamp();
            while (Stopwatch.GetTimestamp() - serial < gapTicks)
                s_sink += 1;
            long start = Stopwatch.GetTimestamp();
            ParallelRanges.Run(2, 1, 2, (first, _) => s_sink += first);
            spent += Stopwatch.GetTimestamp() - start;
        }

        return spent * 1e6 / Stopwatch.Frequency / Sections;
    });
}
