// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using Microsoft.ML.SparseL1.Sweep;

namespace Microsoft.ML.SparseL1.Experiment;

/// <summary>
/// One fit of an experiment: a fold of a trial (in the batch being trained, at <paramref name="Slot"/>), a refit on every
/// row (<see cref="Refit"/>) or a fit on the search's rows to confirm the leader (<see cref="ConfirmationFit"/>), the
/// trainer's seed plus <paramref name="SeedOffset"/> (<see cref="ExperimentConfirmation.Seeds"/>; 0 for the others).
/// </summary>
internal readonly record struct ExperimentJob(int Slot, int Trial, int Fold, int SeedOffset = 0)
{
    /// <summary>The fold of a refit on every row.</summary>
    public const int Refit = -1;

    /// <summary>The fold of a fit on the search's rows, scored on the rows kept from it.</summary>
    public const int ConfirmationFit = -2;

    /// <summary>The job as error messages name it.</summary>
    public override string ToString() => Fold switch
    {
        Refit => string.Create(CultureInfo.InvariantCulture, $"the experiment's refit of trial {Trial} on every row"),
        ConfirmationFit => string.Create(CultureInfo.InvariantCulture, $"the experiment's fit of trial {Trial} on the search's rows with the trainer's seed + {SeedOffset} (to confirm the leader)"),
        _ => string.Create(CultureInfo.InvariantCulture, $"the experiment's trial {Trial} (fold {Fold})"),
    };
}

/// <summary>
/// Where an experiment's fits run (<see cref="SparseMlpExperimentOptions.Communicator"/>): in one process, one after
/// another; over the ranks of a group, each batch dealt out as a sweep's jobs are (<see cref="SweepJobs"/>: fit j on rank
/// j mod Size, then every model on every rank, or every rank stops with the same error). After each batch the ranks
/// agree on whether any was cancelled (a rank that owned no fit sees its token only there), and after each round on
/// rank 0's clock and on whether the progress callback failed anywhere, so that no rank leaves a collective the others
/// are waiting in. The ranks must score alike (the same kernel path): every rank scores every fold, and the scores
/// decide the next round's fits.
/// </summary>
internal sealed class ExperimentRanks(MLContext context, SparseL1Communicator communicator, DataViewSchema schema, CancellationToken cancellation)
{
    /// <summary>The number of ranks.</summary>
    public int Size => communicator.Size;

    /// <summary>Runs the fits; every rank gets every model (loaded from its owner's zip) and each fit's seconds on its owner.</summary>
    public TrainedJob[] Fit(IReadOnlyList<ExperimentJob> jobs, Func<ExperimentJob, ITransformer> fit)
    {
        var trained = SweepJobs.Train(communicator, context, jobs, fit, schema, cancellation);
        if (Size == 1)
        {
            cancellation.ThrowIfCancellationRequested();
            return trained;
        }

        var flags = Gather(cancellation.IsCancellationRequested ? (byte)1 : (byte)0);
        int cancelled = Array.IndexOf(flags, (byte)1);
        if (cancelled >= 0)
            throw new OperationCanceledException(string.Create(CultureInfo.InvariantCulture, $"The experiment was cancelled on rank {cancelled} of {Size}; every rank stopped after the same fits."));
        return trained;
    }

    /// <summary>
    /// Reports a trial to <paramref name="progress"/>; over ranks, a callback that throws does not end this rank at once:
    /// its exception is returned, for <see cref="EndOfRound"/> to share.
    /// </summary>
    public Exception? Report(IProgress<SparseMlpTrial>? progress, SparseMlpTrial trial)
    {
        if (Size == 1)
        {
            progress?.Report(trial);
            return null;
        }

        try
        {
            progress?.Report(trial);
            return null;
        }
#pragma warning disable CA1031 // Shared with the other ranks at the round's end, then rethrown.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return e;
        }
    }

    /// <summary>
    /// The end of a round: throws on every rank when the progress callback failed on any (<paramref name="failure"/>,
    /// this rank's); otherwise whether <paramref name="clock"/> has reached <paramref name="seconds"/> on rank 0.
    /// </summary>
    public bool EndOfRound(Stopwatch clock, double seconds, Exception? failure)
    {
        byte spent = clock.Elapsed.TotalSeconds >= seconds ? (byte)1 : (byte)0;
        if (Size == 1)
            return spent != 0;
        var flags = Gather((byte)(spent | (failure is null ? 0 : 2)));
        int failed = Array.FindIndex(flags, f => (f & 2) != 0);
        if (failed >= 0)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The experiment's progress callback failed on rank {failed} of {Size}{(failure is null ? "" : ": " + failure.Message)}; every rank stopped after the same trial."), failure);
        }

        return (flags[0] & 1) != 0;
    }

    /// <summary>Every rank's <paramref name="flag"/>, in rank order (this one's alone in one process).</summary>
    private byte[] Gather(byte flag) => Size == 1 ? [flag] : Distributed.Collectives.AllGather<byte>(communicator, [flag]);
}
