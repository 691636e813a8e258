// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.Generic;
using System.Linq;

namespace Microsoft.ML.SparseL1;

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
