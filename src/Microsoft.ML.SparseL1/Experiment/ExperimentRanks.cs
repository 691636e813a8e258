// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using Microsoft.ML.SparseL1.Sweep;

namespace Microsoft.ML.SparseL1.Experiment;

/// <summary>One fit of an experiment: a fold of a trial (in the batch being trained, at <paramref name="Slot"/>), or a refit on every row (fold -1).</summary>
internal readonly record struct ExperimentJob(int Slot, int Trial, int Fold)
{
    /// <summary>The job as error messages name it.</summary>
    public override string ToString() => Fold >= 0
        ? string.Create(CultureInfo.InvariantCulture, $"the experiment's trial {Trial} (fold {Fold})")
        : string.Create(CultureInfo.InvariantCulture, $"the experiment's refit of trial {Trial} on every row");
}

/// <summary>
/// Where an experiment's fits run (<see cref="SparseMlpExperimentOptions.Communicator"/>): in one process, one after
/// another; over the ranks of a group, each batch dealt out as a sweep's jobs are (<see cref="SweepJobs"/>: fit j on rank
/// j mod Size, then every model on every rank, or every rank stops with the same error), and the time budget read on
/// rank 0's clock, so that every rank stops after the same trial.
/// </summary>
internal sealed class ExperimentRanks(MLContext context, SparseL1Communicator communicator, DataViewSchema schema, CancellationToken cancellation)
{
    /// <summary>The number of ranks.</summary>
    public int Size => communicator.Size;

    /// <summary>Runs the fits; every rank gets every model (loaded from its owner's zip) and each fit's seconds on its owner.</summary>
    public TrainedJob[] Fit(IReadOnlyList<ExperimentJob> jobs, Func<ExperimentJob, ITransformer> fit) =>
        SweepJobs.Train(communicator, context, jobs, fit, schema, cancellation);

    /// <summary>Whether <paramref name="clock"/> has reached <paramref name="seconds"/>, on rank 0 (broadcast to the others).</summary>
    public bool OutOfTime(Stopwatch clock, double seconds)
    {
        Span<byte> spent = [clock.Elapsed.TotalSeconds >= seconds ? (byte)1 : (byte)0];
        if (communicator.Size > 1)
            communicator.Broadcast(spent, 0);
        return spent[0] != 0;
    }
}
