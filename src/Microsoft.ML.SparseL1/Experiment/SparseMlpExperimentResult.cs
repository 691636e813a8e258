// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;

namespace Microsoft.ML.SparseL1;

/// <summary>What a <see cref="SparseMlpExperiment"/> found: every trial, the best, and the front of score against nonzeros.</summary>
public sealed class SparseMlpExperimentResult
{
    internal SparseMlpExperimentResult(string metricName, IReadOnlyList<SparseMlpTrial> trials, double seconds)
    {
        MetricName = metricName;
        Trials = trials;
        Seconds = seconds;
        Best = trials.OrderByDescending(t => t.Metric).ThenBy(t => t.NonZeroWeights).ThenBy(t => t.Index).First();
        // Sorted by nonzeros, a trial is on the front when it scores above every sparser one.
        var front = new List<SparseMlpTrial>();
        foreach (var trial in trials.OrderBy(t => t.NonZeroWeights).ThenByDescending(t => t.Metric).ThenBy(t => t.Index))
        {
            if (front.Count == 0 || trial.Metric > front[^1].Metric)
                front.Add(trial);
        }

        ParetoFront = front;
    }

    /// <summary>The metric the trials were scored by.</summary>
    public string MetricName { get; }

    /// <summary>Every trial, in the order they ran.</summary>
    public IReadOnlyList<SparseMlpTrial> Trials { get; }

    /// <summary>The best holdout score (ties: the fewer nonzeros).</summary>
    public SparseMlpTrial Best { get; }

    /// <summary>The trials no other beats on both score and nonzeros, sparsest first (each scores above every sparser one).</summary>
    public IReadOnlyList<SparseMlpTrial> ParetoFront { get; }

    /// <summary>Seconds the experiment took.</summary>
    public double Seconds { get; }

    /// <summary>The trial with the fewest nonzeros whose score is within <paramref name="tolerance"/> (at least 0) of the best.</summary>
    public SparseMlpTrial SparsestWithin(double tolerance)
    {
        if (!(tolerance >= 0))
            throw new ArgumentOutOfRangeException(nameof(tolerance), $"The tolerance must be at least 0; got {tolerance}.");
        return ParetoFront.First(t => t.Metric >= Best.Metric - tolerance);
    }
}
