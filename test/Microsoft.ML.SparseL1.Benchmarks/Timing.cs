// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics;
using System.Linq;

namespace Microsoft.ML.SparseL1.Benchmarks;

/// <summary>Median-of-repeats wall-clock timing for the console (JSON) benchmarks.</summary>
internal static class Timing
{
    /// <summary>Runs <paramref name="action"/> once to warm up, then <paramref name="repeats"/> times; returns the median seconds.</summary>
    public static double MedianSeconds(Action action, int repeats)
    {
        action();
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
