// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.Generic;

namespace Microsoft.ML.SparseL1;

/// <summary>One target of a sparsity sweep, averaged over the cross-validation folds.</summary>
/// <param name="TargetSparsity">The requested sparsity.</param>
/// <param name="AchievedSparsity">Mean achieved sparsity of the fold models.</param>
/// <param name="LayerSparsities">Mean achieved sparsity of each weight layer.</param>
/// <param name="MetricMean">Mean of the primary metric over the folds.</param>
/// <param name="MetricStandardDeviation">Sample standard deviation of the primary metric over the folds.</param>
/// <param name="NonZeroWeights">Mean nonzero weights of the fold models.</param>
/// <param name="ModelBytes">Size of the saved ML.NET zip of the first fold's model.</param>
/// <param name="PredictionMicroseconds">Time to score one row through the whole pipeline (the first fold's model; the fastest of three timed passes over the rows after an untimed one).</param>
/// <param name="TrainingSeconds">Mean training time per fold.</param>
/// <param name="AllFoldsConverged">Whether every fold's selection met its target.</param>
public sealed record SparsitySweepRow(float TargetSparsity, double AchievedSparsity, IReadOnlyList<double> LayerSparsities,
    double MetricMean, double MetricStandardDeviation, double NonZeroWeights, long ModelBytes, double PredictionMicroseconds,
    double TrainingSeconds, bool AllFoldsConverged);
