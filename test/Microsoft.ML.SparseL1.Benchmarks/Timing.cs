// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics;
using System.Linq;

namespace Microsoft.ML.SparseL1.Benchmarks;

/// <summary>Median-of-repeats wall-clock timing for the console (JSON) benchmarks.</summary>
internal static class Timing
{
    /// <summary>
    /// Runs <paramref name="action"/> to warm up (at least once and for 0.2 s, so that the JIT's tiered compilation has
    /// replaced the first code: a single call measured the first product after training at 3x its later time), then
    /// <paramref name="repeats"/> times; returns the median seconds.
    /// </summary>
    public static double MedianSeconds(Action action, int repeats)
    {
        long warmUp = Stopwatch.GetTimestamp();
        do
        {
            action();
        }
        while (Stopwatch.GetElapsedTime(warmUp).TotalSeconds < 0.2);
        var samples = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            samples[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        return samples.OrderBy(s => s).ElementAt(repeats / 2);
    }
}
