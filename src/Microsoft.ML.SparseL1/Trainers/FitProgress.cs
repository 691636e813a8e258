// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using Microsoft.ML.Runtime;
using Microsoft.ML.SparseL1.Training.Loop;

namespace Microsoft.ML.SparseL1.Trainers;

/// <summary>
/// A fit's reports: each epoch of each run to <see cref="SparseMlpOptionsBase.Progress"/> (with a time estimate) and,
/// at most every half second, to the ML.NET log. In data-parallel training a Progress callback that throws on one rank
/// must not leave that rank alone: the failure is held (<see cref="Failed"/> then cancels training, which the ranks agree
/// on at the next step) and this rank rethrows it (<see cref="Guard{T}"/>, <see cref="ThrowIfFailed"/>).
/// </summary>
internal sealed class FitProgress(IProgress<SparseMlpProgress>? progress, IChannel channel, Stopwatch clock)
{
    private Exception? _failure;
    private bool _distributed;
    private TimeSpan _lastReport, _runStart, _lastTrace;

    /// <summary>Whether a Progress callback failed in data-parallel training (training is then cancelled).</summary>
    public bool Failed => _failure is not null;

    /// <summary>Time estimates count from here: the runs before (the step choice's) are not epochs of the delivered run.</summary>
    public void Start(bool distributed)
    {
        _distributed = distributed;
        _lastReport = _runStart = clock.Elapsed;
        _lastTrace = TimeSpan.Zero;
    }

    /// <summary>Reports epoch <paramref name="s"/> of run <paramref name="run"/> (-1 for the refit), trained at <paramref name="lambdas"/>.</summary>
    public void Report(int run, EpochSummary s, float[] lambdas)
    {
        // A run's first epoch started at the previous report (or at the start): the gap between runs is the
        // selection's gradient pass, cheaper than an epoch, so the estimate stays close.
        var elapsed = clock.Elapsed;
        if (s.Epoch == 1)
            _runStart = _lastReport;
        _lastReport = elapsed;
        var timeLeft = (elapsed - _runStart) / s.Epoch * (s.Epochs - s.Epoch);
        var report = new SparseMlpProgress(run, s.Epoch, s.Epochs, s.MeanLoss, (int[])s.LayerNonZeroCounts.Clone(), lambdas, elapsed, timeLeft)
        {
            ScheduledNonZeroCount = s.ScheduledNonZeroCount,
            PatternFrozen = s.PatternFrozen,
        };
        if (!_distributed)
        {
            progress?.Report(report);
        }
        else
        {
            try
            {
                progress?.Report(report);
            }
#pragma warning disable CA1031 // Held, agreed as a cancellation, and rethrown on this rank (see the class remarks).
            catch (Exception e)
#pragma warning restore CA1031
            {
                _failure ??= e;
            }
        }

        // The trace is written at most every half second (and for a run's first and last epoch): on a few hundred rows
        // an epoch takes microseconds, and a line for each of 1,500 epochs floods the log.
        if (s.Epoch == 1 || s.Epoch == s.Epochs || elapsed - _lastTrace >= TimeSpan.FromSeconds(0.5))
        {
            _lastTrace = elapsed;
            channel.Trace(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture, "run {0} epoch {1}/{2}: loss {3:G5}, nonzero weights [{4}]",
                run, s.Epoch, s.Epochs, s.MeanLoss, string.Join(", ", s.LayerNonZeroCounts)));
        }
    }

    /// <summary>Runs training; a cancellation caused by a held Progress failure rethrows that failure instead.</summary>
    public T Guard<T>(Func<T> train)
    {
        try
        {
            return train();
        }
        catch (OperationCanceledException) when (_failure is not null)
        {
            ExceptionDispatchInfo.Throw(_failure);
            throw;
        }
    }

    /// <summary>A callback that failed after the last step: every rank has its network, and this one reports the failure.</summary>
    public void ThrowIfFailed()
    {
        if (_failure is not null)
            ExceptionDispatchInfo.Throw(_failure);
    }
}
