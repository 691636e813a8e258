// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics;
using Microsoft.ML;

namespace SparseL1.Bench.Defaults.Shared;

/// <summary>
/// Untimed fits of a trainer before its timed folds, so that those run compiled code: the JIT compiles hot methods again
/// in the background after they have run a while, and until then the first set's folds are slow (wine's folds: 0.151,
/// 0.153, 0.161, 0.102, 0.061 s after one warm-up fit; 0.095-0.078 s after three; 0.041-0.044 s in a process that had
/// fitted it ten times).
/// </summary>
internal static class WarmUp
{
    /// <summary>
    /// Fits a fresh estimator of <paramref name="spec"/> on <paramref name="view"/>, in a context of its own, at least
    /// <paramref name="minimumFits"/> times and for at least <paramref name="minimumDuration"/>.
    /// </summary>
    public static void Run(TrainerSpec spec, IDataView view, int minimumFits, TimeSpan minimumDuration)
    {
        var context = new MLContext(seed: 1);
        var clock = Stopwatch.StartNew();
        for (int fits = 0; fits < minimumFits || clock.Elapsed < minimumDuration; fits++)
        {
            try
            {
                spec.Create(context).Fit(view);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A trainer that fails fails again in its timed run, where the failure is reported.
                return;
            }
        }
    }
}
