// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Threading;

namespace Microsoft.ML.SparseL1;

/// <summary>Options of <see cref="SparsitySweep"/>.</summary>
public sealed class SparsitySweepOptions
{
    /// <summary>The target sparsities to try, each in [0, 1). Default 0.5, 0.8, 0.9, 0.95.</summary>
    public IReadOnlyList<float> TargetSparsities { get; set; } = [0.5f, 0.8f, 0.9f, 0.95f];

    /// <summary>Cross-validation folds, at least 2. Default 5.</summary>
    public int NumberOfFolds { get; set; } = 5;

    /// <summary>Label column, for the fold evaluation. Default <c>"Label"</c>.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Seed of the fold split; null uses the MLContext's. Default null.</summary>
    public int? Seed { get; set; }

    /// <summary>
    /// The chosen model is the sparsest whose mean metric is within this absolute distance of the best mean metric,
    /// at least 0. Default 0.01.
    /// </summary>
    public double MetricTolerance { get; set; } = 0.01;

    /// <summary>Rows scored to measure prediction latency, at least 1. Default 1000.</summary>
    public int LatencyRows { get; set; } = 1000;

    /// <summary>Stops the sweep between folds; pass the same token to the trainers' options to stop inside training.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>Called after each target is done.</summary>
    public IProgress<SparsitySweepRow>? Progress { get; set; }

    /// <summary>
    /// Spreads the sweep's (target, fold) jobs over the ranks of a group (Open MPI: <c>MpiCommunicator</c> in the package
    /// SparseL1.MLNet.Mpi): every rank calls the sweep with the same data, pipeline and options, trains its share of the
    /// jobs, and every rank receives every fold model (as its saved ML.NET zip) and returns the same table as one process
    /// would, except for the measured times. <see cref="Seed"/> must be set, so that every rank makes the same folds. A job
    /// that fails on one rank stops every rank with its error. The swept trainers themselves train in one process each
    /// (leave their own <see cref="SparseMlpOptionsBase.Communicator"/> null). Default null (one process).
    /// </summary>
    public SparseL1Communicator? Communicator { get; set; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(TargetSparsities, nameof(TargetSparsities));
        if (TargetSparsities.Count == 0)
            throw new ArgumentOutOfRangeException(nameof(TargetSparsities), "Option TargetSparsities must hold at least one target.");
        foreach (float target in TargetSparsities)
        {
            if (!(target >= 0 && target < 1))
                throw new ArgumentOutOfRangeException(nameof(TargetSparsities), $"Option TargetSparsities must hold sparsities in [0, 1); got {target}.");
        }

        if (NumberOfFolds < 2)
            throw new ArgumentOutOfRangeException(nameof(NumberOfFolds), $"Option NumberOfFolds must be at least 2; got {NumberOfFolds}.");
        if (!(MetricTolerance >= 0) || double.IsInfinity(MetricTolerance))
            throw new ArgumentOutOfRangeException(nameof(MetricTolerance), $"Option MetricTolerance must be finite and at least 0; got {MetricTolerance}.");
        if (LatencyRows < 1)
            throw new ArgumentOutOfRangeException(nameof(LatencyRows), $"Option LatencyRows must be at least 1; got {LatencyRows}.");
        if (Communicator is { Size: > 1 } && Seed is null)
            throw new ArgumentOutOfRangeException(nameof(Seed), "Option Seed must be set when the sweep is spread over several ranks (Communicator), so that every rank makes the same folds.");
        if (string.IsNullOrWhiteSpace(LabelColumnName))
            throw new ArgumentOutOfRangeException(nameof(LabelColumnName), "Option LabelColumnName must name a column.");
    }
}
