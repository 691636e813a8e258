// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
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
        if (string.IsNullOrWhiteSpace(LabelColumnName))
            throw new ArgumentOutOfRangeException(nameof(LabelColumnName), "Option LabelColumnName must name a column.");
    }
}

/// <summary>One target of a sparsity sweep, averaged over the cross-validation folds.</summary>
/// <param name="TargetSparsity">The requested sparsity.</param>
/// <param name="AchievedSparsity">Mean achieved sparsity of the fold models.</param>
/// <param name="LayerSparsities">Mean achieved sparsity of each weight layer.</param>
/// <param name="MetricMean">Mean of the primary metric over the folds.</param>
/// <param name="MetricStandardDeviation">Sample standard deviation of the primary metric over the folds.</param>
/// <param name="NonZeroWeights">Mean nonzero weights of the fold models.</param>
/// <param name="ModelBytes">Size of the saved ML.NET zip of the first fold's model.</param>
/// <param name="PredictionMicroseconds">Mean time to score one row through the whole pipeline (first fold's model).</param>
/// <param name="TrainingSeconds">Mean training time per fold.</param>
/// <param name="AllFoldsConverged">Whether every fold's selection met its target.</param>
public sealed record SparsitySweepRow(float TargetSparsity, double AchievedSparsity, IReadOnlyList<double> LayerSparsities,
    double MetricMean, double MetricStandardDeviation, double NonZeroWeights, long ModelBytes, double PredictionMicroseconds,
    double TrainingSeconds, bool AllFoldsConverged);

/// <summary>The result of <see cref="SparsitySweep"/>.</summary>
/// <typeparam name="TMetrics">ML.NET's metrics type of the task.</typeparam>
public sealed class SparsitySweepResult<TMetrics>
{
    internal SparsitySweepResult(string metricName, bool higherIsBetter, IReadOnlyList<SparsitySweepRow> rows,
        IReadOnlyList<IReadOnlyList<TMetrics>> foldMetrics, double tolerance)
    {
        MetricName = metricName;
        HigherIsBetter = higherIsBetter;
        Rows = rows;
        FoldMetrics = foldMetrics;
        double Score(SparsitySweepRow r) => higherIsBetter ? r.MetricMean : -r.MetricMean;

        // Pareto front of metric against size: walking from the sparsest model, keep each one that beats all sparser ones.
        var front = new List<SparsitySweepRow>();
        foreach (var row in rows.OrderBy(r => r.NonZeroWeights))
        {
            if (front.Count == 0 || Score(row) > Score(front[^1]))
                front.Add(row);
        }

        ParetoFront = front;
        double best = rows.Max(Score);
        Chosen = rows.Where(r => Score(r) >= best - tolerance).OrderBy(r => r.NonZeroWeights).First();
    }

    /// <summary>The primary metric (MicroAccuracy, Accuracy or RSquared unless chosen otherwise).</summary>
    public string MetricName { get; }

    /// <summary>Whether larger metric values are better.</summary>
    public bool HigherIsBetter { get; }

    /// <summary>One row per target, in the order given.</summary>
    public IReadOnlyList<SparsitySweepRow> Rows { get; }

    /// <summary>The full ML.NET metrics of every fold, per row.</summary>
    public IReadOnlyList<IReadOnlyList<TMetrics>> FoldMetrics { get; }

    /// <summary>Rows not dominated in (fewer nonzero weights, better metric), sparsest first.</summary>
    public IReadOnlyList<SparsitySweepRow> ParetoFront { get; }

    /// <summary>The sparsest row whose metric is within the tolerance of the best.</summary>
    public SparsitySweepRow Chosen { get; }

    /// <summary>A table of the rows for consoles and logs.</summary>
    public override string ToString()
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var text = new System.Text.StringBuilder();
        text.AppendLine(c, $"target  achieved  {MetricName,-14} nonzero    model bytes  µs/row  s/fold  converged");
        foreach (var r in Rows)
        {
            text.AppendLine(c, $"{r.TargetSparsity,6:P0}  {r.AchievedSparsity,8:P2}  {r.MetricMean,6:F4} ±{r.MetricStandardDeviation,6:F4} {r.NonZeroWeights,9:F0}  {r.ModelBytes,11:N0}  {r.PredictionMicroseconds,6:F1}  {r.TrainingSeconds,6:F1}  {(r.AllFoldsConverged ? "yes" : "NO")}{(ReferenceEquals(r, Chosen) ? "  <- chosen" : string.Empty)}");
        }

        return text.ToString();
    }
}
