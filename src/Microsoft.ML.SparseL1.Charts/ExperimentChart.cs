// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Globalization;
using System.Linq;
using ScottPlot;

namespace Microsoft.ML.SparseL1.Charts;

/// <summary>The chart of a <see cref="SparseMlpExperiment"/>.</summary>
public static partial class SparseL1Charts
{
    /// <summary>
    /// Every trial's score against its nonzero weights (log scale), the Pareto front, the best trial and the sparsest
    /// within <paramref name="tolerance"/> of it: what a user picks a model from.
    /// </summary>
    /// <param name="result">An experiment's result.</param>
    /// <param name="path">Destination, ending in .png or .svg.</param>
    /// <param name="tolerance">The score a sparser model may give up (<see cref="SparseMlpExperimentResult.SparsestWithin"/>), at least 0.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    public static void SaveExperimentChart(SparseMlpExperimentResult result, string path, double tolerance = 0.01, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sparsest = result.SparsestWithin(tolerance);
        // A network with no nonzero weight (a constant) sits at one weight, where the logarithm is defined.
        static double Log(long nonZero) => Math.Log10(Math.Max(1, nonZero));
        var plot = new Plot();
        var all = plot.Add.Scatter(result.Trials.Select(t => Log(t.NonZeroWeights)).ToArray(), result.Trials.Select(t => t.Metric).ToArray());
        all.LineWidth = 0;
        all.MarkerSize = 6;
        all.LegendText = "every trial";
        var front = plot.Add.Scatter(result.ParetoFront.Select(t => Log(t.NonZeroWeights)).ToArray(), result.ParetoFront.Select(t => t.Metric).ToArray());
        front.MarkerSize = 0;
        front.LegendText = "Pareto front (score vs nonzero weights)";
        var best = plot.Add.Marker(Log(result.Best.NonZeroWeights), result.Best.Metric, MarkerShape.OpenCircle, 22);
        best.Color = Colors.Red;
        best.LegendText = string.Create(CultureInfo.InvariantCulture, $"best: trial {result.Best.Index}, {result.Best.NonZeroWeights:N0} nonzero");
        var within = plot.Add.Marker(Log(sparsest.NonZeroWeights), sparsest.Metric, MarkerShape.OpenSquare, 18);
        within.Color = Colors.Green;
        within.LegendText = string.Create(CultureInfo.InvariantCulture, $"sparsest within {tolerance:G3}: trial {sparsest.Index}, {sparsest.NonZeroWeights:N0} nonzero");
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"{result.MetricName} against nonzero weights ({result.Trials.Count} trials, {result.Seconds:F0} s)"));
        plot.XLabel("nonzero weights (log10)");
        plot.YLabel(result.MetricName);
        plot.ShowLegend(Alignment.LowerRight);
        Save(plot, path, width, height);
    }
}
