// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using System.Linq;
using ScottPlot;

namespace Microsoft.ML.SparseL1.Charts;

/// <summary>
/// Writes charts of sparse MLP experiments as PNG or SVG (chosen by the file extension). Each chart is written to a
/// temporary file beside the destination and moved into place, so a failure or cancellation never leaves half a file.
/// </summary>
public static partial class SparseL1Charts
{
    /// <summary>Metric (mean ± standard deviation over folds) against achieved sparsity, Pareto front and choice marked.</summary>
    /// <typeparam name="TMetrics">The sweep's metrics type.</typeparam>
    /// <param name="result">A sweep result.</param>
    /// <param name="path">Destination, ending in .png or .svg.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    public static void SaveSweepChart<TMetrics>(SparsitySweepResult<TMetrics> result, string path, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(result);
        var plot = new Plot();
        double[] sparsity = result.Rows.Select(r => 100 * r.AchievedSparsity).ToArray();
        double[] mean = result.Rows.Select(r => r.MetricMean).ToArray();
        var all = plot.Add.Scatter(sparsity, mean);
        all.LineWidth = 0;
        all.MarkerSize = 8;
        all.LegendText = "every target";
        var bars = plot.Add.ErrorBar(sparsity, mean, result.Rows.Select(r => r.MetricStandardDeviation).ToArray());
        bars.Color = all.Color;
        var front = result.ParetoFront.OrderBy(r => r.AchievedSparsity).ToArray();
        var frontLine = plot.Add.Scatter(front.Select(r => 100 * r.AchievedSparsity).ToArray(), front.Select(r => r.MetricMean).ToArray());
        frontLine.LegendText = "Pareto front (metric vs nonzero weights)";
        frontLine.MarkerSize = 0;
        var chosen = plot.Add.Marker(100 * result.Chosen.AchievedSparsity, result.Chosen.MetricMean, MarkerShape.OpenCircle, 22);
        chosen.LegendText = $"chosen: {result.Chosen.TargetSparsity:P0} target";
        chosen.Color = Colors.Red;
        plot.Title($"{result.MetricName} against sparsity ({result.Rows.Count} targets, cross-validated)");
        plot.XLabel("weights that are exactly zero (%)");
        plot.YLabel($"{result.MetricName} (mean ± sd over folds)");
        plot.ShowLegend(Alignment.LowerLeft);
        Save(plot, path, width, height);
    }

    /// <summary>Nonzero weights per selection run (with the target band) and log10 λ on the right axis.</summary>
    /// <param name="report">A selection report (<see cref="SparseMlpModelParameters.SelectionReport"/>).</param>
    /// <param name="path">Destination, ending in .png or .svg.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    public static void SaveSelectionChart(SparsitySelectionReport report, string path, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(report);
        var plot = new Plot();
        double[] runs = report.Iterations.Select(i => (double)i.Iteration).ToArray();
        int groups = report.LayerWise ? report.TargetNonZeroCounts.Count : 1;
        for (int g = 0; g < groups; g++)
        {
            int group = g;
            double[] counts = report.Iterations.Select(i => report.LayerWise ? i.LayerNonZeroCounts[group] : (double)i.LayerNonZeroCounts.Sum()).ToArray();
            var line = plot.Add.Scatter(runs, counts);
            line.LegendText = report.LayerWise ? $"layer {g + 1} nonzero" : "nonzero weights";
            var target = plot.Add.HorizontalLine(report.TargetNonZeroCounts[g]);
            target.Color = line.Color;
            target.LinePattern = LinePattern.Dashed;
            target.LegendText = report.LayerWise ? $"layer {g + 1} target" : "target";

            double[] logLambda = report.Iterations.Select(i => Math.Log10(i.Lambdas[report.LayerWise ? group : 0])).ToArray();
            var lambda = plot.Add.Scatter(runs, logLambda);
            lambda.Axes.YAxis = plot.Axes.Right;
            lambda.LinePattern = LinePattern.Dotted;
            lambda.Color = line.Color;
            lambda.LegendText = report.LayerWise ? $"layer {g + 1} log10 λ" : "log10 λ";
        }

        plot.Title($"Selection: {report.Iterations.Count} runs, {(report.Converged ? "converged" : "NOT converged")} (run {report.Iterations[report.ChosenIteration].Iteration} chosen)");
        plot.XLabel("run (0, 1 = probes)");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1);
        plot.YLabel("nonzero weights");
        plot.Axes.Right.Label.Text = "log10 λ";
        plot.ShowLegend(Alignment.UpperRight);
        Save(plot, path, width, height);
    }

    /// <summary>
    /// One training run epoch by epoch, from the progress it reported (<see cref="SparseMlpOptionsBase.Progress"/>): the
    /// nonzero weights against the schedule they follow (the default <see cref="SelectionStrategy.SparsityTracking"/>), log10 λ
    /// of each layer while it is steered (right axis), the training loss (second right axis), and the epoch where the zero
    /// pattern was frozen and the kept weights refit without the l1 term. With several runs (the paper's iteration) the
    /// last is drawn; <see cref="SaveSelectionChart"/> shows the runs side by side.
    /// </summary>
    /// <param name="epochs">The progress reports of a fit, in order.</param>
    /// <param name="path">Destination, ending in .png or .svg.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    public static void SaveTrainingChart(System.Collections.Generic.IReadOnlyList<SparseMlpProgress> epochs, string path, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        var runs = epochs.Where(e => e is not null && e.SelectionIteration >= 0).ToArray();
        if (runs.Length == 0)
            throw new ArgumentException("The progress holds no epoch of a training run.", nameof(epochs));
        int lastRun = runs[^1].SelectionIteration;
        var run = runs.Where(e => e.SelectionIteration == lastRun).ToArray();
        double[] x = run.Select(e => (double)e.Epoch).ToArray();
        var plot = new Plot();

        var nonZero = plot.Add.Scatter(x, run.Select(e => (double)e.LayerNonZeroCounts.Sum()).ToArray());
        nonZero.LegendText = "nonzero weights";
        var scheduled = run.Where(e => e.ScheduledNonZeroCount.HasValue).ToArray();
        if (scheduled.Length > 0)
        {
            var schedule = plot.Add.Scatter(scheduled.Select(e => (double)e.Epoch).ToArray(), scheduled.Select(e => (double)e.ScheduledNonZeroCount!.Value).ToArray());
            schedule.LinePattern = LinePattern.Dashed;
            schedule.MarkerSize = 0;
            schedule.Color = nonZero.Color;
            schedule.LegendText = "schedule";
        }

        // λ while it is steered: once the pattern is frozen the l1 term is off, and a zero has no logarithm.
        var steered = run.Where(e => !e.PatternFrozen && e.Lambdas.Count > 0 && e.Lambdas.All(l => l > 0)).ToArray();
        int layers = steered.Length == 0 ? 0 : steered[0].Lambdas.Count;
        bool oneLambda = steered.All(e => e.Lambdas.Distinct().Count() == 1);
        for (int j = 0; j < (oneLambda ? Math.Min(1, layers) : layers); j++)
        {
            int layer = j;
            var lambda = plot.Add.Scatter(steered.Select(e => (double)e.Epoch).ToArray(), steered.Select(e => Math.Log10(e.Lambdas[layer])).ToArray());
            lambda.Axes.YAxis = plot.Axes.Right;
            lambda.LinePattern = LinePattern.Dotted;
            lambda.LegendText = oneLambda ? "log10 λ" : $"layer {j + 1} log10 λ";
        }

        var lossAxis = plot.Axes.AddRightAxis();
        lossAxis.LabelText = "training loss";
        var loss = plot.Add.Scatter(x, run.Select(e => e.Loss).ToArray());
        loss.Axes.YAxis = lossAxis;
        loss.LegendText = "training loss";

        var frozen = run.FirstOrDefault(e => e.PatternFrozen);
        if (frozen is not null)
        {
            var freeze = plot.Add.VerticalLine(frozen.Epoch);
            freeze.LinePattern = LinePattern.DenselyDashed;
            freeze.LegendText = $"pattern frozen by epoch {frozen.Epoch}: refit without l1";
        }

        plot.Title(frozen is null
            ? $"Training run {lastRun}: {run.Length} epochs, {run[^1].LayerNonZeroCounts.Sum():N0} nonzero weights at the end"
            : $"Training run {lastRun}: thinned along the schedule, frozen by epoch {frozen.Epoch}, refit to epoch {run[^1].Epoch}");
        plot.XLabel("epoch");
        plot.YLabel("nonzero weights");
        plot.Axes.Right.Label.Text = "log10 λ";
        // The lines fall from the upper left and settle low: the middle of the right side stays clear.
        plot.ShowLegend(Alignment.MiddleRight);
        Save(plot, path, width, height);
    }

    /// <summary>Bar chart of the sparsity of each weight layer (and the layer targets of a layer-wise selection).</summary>
    /// <param name="model">A trained model.</param>
    /// <param name="path">Destination, ending in .png or .svg.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    public static void SaveLayerSparsityChart(SparseMlpModelParameters model, string path, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(model);
        var plot = new Plot();
        int layers = model.LayerNonZeroCounts.Count;
        double[] sparsity = Enumerable.Range(0, layers).Select(j =>
            100 * (1 - (double)model.LayerNonZeroCounts[j] / ((long)model.TrainedLayerSizes[j] * model.TrainedLayerSizes[j + 1]))).ToArray();
        plot.Add.Bars(sparsity);
        if (model.SelectionReport is { LayerWise: true } report)
        {
            for (int j = 0; j < layers; j++)
            {
                double target = 100 * (1 - (double)report.TargetNonZeroCounts[j] / report.LayerWeightCounts[j]);
                var marker = plot.Add.Marker(j, target, MarkerShape.HorizontalBar, 30);
                marker.Color = Colors.Red;
                marker.LegendText = j == 0 ? "target" : string.Empty;
            }
        }

        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, layers).Select(j => (double)j).ToArray(),
            Enumerable.Range(0, layers).Select(j => $"{model.TrainedLayerSizes[j]}→{model.TrainedLayerSizes[j + 1]}").ToArray());
        plot.Axes.SetLimitsY(0, 100);
        plot.Title($"Sparsity per layer (overall {model.Sparsity:P1})");
        plot.YLabel("weights exactly zero (%)");
        Save(plot, path, width, height);
    }

    /// <summary>
    /// The inputs the network reads, by the norm of their first-layer weights, in the standardized units the network was
    /// trained in when <paramref name="data"/> is given (times each input's standard deviation there:
    /// <see cref="InputImportanceExtensions.GetInputImportance"/>), else in raw feature units: for images
    /// (<paramref name="imageWidth"/> set) a heat map in the image's shape, first row at the top (28 for Fashion-MNIST's
    /// 784 pixels), otherwise a bar chart of the
    /// <paramref name="top"/> strongest inputs, named by <paramref name="inputNames"/> when given (e.g. the slot names
    /// <c>SparseMlpPredictionTransformer.GetUsedInputNames</c> maps, or a feature column's slot names).
    /// </summary>
    /// <param name="model">A trained model.</param>
    /// <param name="path">Destination, ending in .png or .svg.</param>
    /// <param name="imageWidth">Pixels per image row, for a heat map; null for the ranked bars.</param>
    /// <param name="inputNames">One name per input (all <see cref="SparseMlpModelParameters.InputCount"/> of them), or null for indices.</param>
    /// <param name="top">Inputs in the bar chart.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="data">Rows like the training rows, for the standardized units; null for raw units.</param>
    /// <param name="featureColumnName">The feature column of <paramref name="data"/>.</param>
    public static void SaveInputImportanceChart(SparseMlpModelParameters model, string path, int? imageWidth = null,
        System.Collections.Generic.IReadOnlyList<string>? inputNames = null, int top = 30, int width = 800, int height = 500,
        IDataView? data = null, string featureColumnName = "Features")
    {
        ArgumentNullException.ThrowIfNull(model);
        if (inputNames is not null && inputNames.Count != model.InputCount)
            throw new ArgumentException($"inputNames has {inputNames.Count} names; the model has {model.InputCount} inputs.", nameof(inputNames));
        // With data, the weights in the standardized units the network was trained in (norm x the input's spread); without,
        // the delivered network's raw weights, where an input that barely varies (an image's border) has large ones.
        double[] importance = data is null ? model.GetInputWeightNorms() : model.GetInputImportance(data, featureColumnName);
        string measure = data is null ? "first-layer weight norm (raw feature units)" : "first-layer weight norm x input sd";
        var plot = new Plot();
        if (imageWidth is int columns)
        {
            if (columns < 1 || model.InputCount % columns != 0)
                throw new ArgumentOutOfRangeException(nameof(imageWidth), $"The model's {model.InputCount} inputs do not form rows of {columns}.");
            // The colours stop at the 98th percentile of the used inputs' values: the few above it show as the top colour.
            double[] used = model.UsedInputIndices.Select(i => importance[i]).Order().ToArray();
            double clip = used.Length == 0 ? 1 : used[(int)Math.Min(used.Length - 1, Math.Floor(0.98 * used.Length))];
            int rows = model.InputCount / columns;
            var grid = new double[rows, columns];
            for (int i = 0; i < model.InputCount; i++)
                grid[i / columns, i % columns] = Math.Min(importance[i], clip);
            // The heat map draws the grid's first row at the top, as an image, but numbers its axis upward from the bottom:
            // label the rows as the image counts them (row 0 at the top).
            var heatmap = plot.Add.Heatmap(grid);
            int step = Math.Max(1, rows / 7);
            double[] positions = Enumerable.Range(0, rows).Where(r => r % step == 0).Select(r => (double)(rows - 1 - r)).ToArray();
            plot.Axes.Left.SetTicks(positions, positions.Select(y => (rows - 1 - (int)y).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
            plot.YLabel("image row (0 at the top)");
            plot.XLabel("image column (colours stop at the 98th percentile)");
            plot.Add.ColorBar(heatmap);
            plot.Title($"Input importance: {measure} ({model.UsedInputIndices.Count} of {model.InputCount} used)");
        }
        else
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
            int[] strongest = model.UsedInputIndices.OrderByDescending(i => importance[i]).Take(top).ToArray();
            // Horizontal bars, the strongest at the top, named on the left axis (which sizes itself to the names; rotated
            // names under vertical bars were cut off at the canvas's edge).
            var bars = plot.Add.Bars(strongest.Select(i => importance[i]).ToArray());
            bars.Horizontal = true;
            for (int k = 0; k < bars.Bars.Count; k++)
                bars.Bars[k].Position = strongest.Length - 1 - k;
            plot.Axes.Left.SetTicks(Enumerable.Range(0, strongest.Length).Select(k => (double)(strongest.Length - 1 - k)).ToArray(),
                strongest.Select(i => inputNames?[i] ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
            plot.Title($"Strongest inputs ({model.UsedInputIndices.Count} of {model.InputCount} used)");
            plot.XLabel(measure);
        }

        Save(plot, path, width, height);
    }

    /// <summary>
    /// Test accuracy against achieved sparsity for several methods (for example this trainer beside magnitude pruning),
    /// one line with markers per method, each point labelled with its training epochs when given.
    /// </summary>
    /// <param name="series">The methods and their measured points.</param>
    /// <param name="path">Destination, ending in .png or .svg.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    public static void SaveAccuracyAtSparsityChart(System.Collections.Generic.IReadOnlyList<AccuracyAtSparsitySeries> series, string path, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0 || series.Any(s => s is null || s.Points.Count == 0))
            throw new ArgumentException("Every series needs at least one point.", nameof(series));
        var plot = new Plot();
        foreach (var method in series)
        {
            var points = method.Points.OrderBy(p => p.Sparsity).ToArray();
            var line = plot.Add.Scatter(points.Select(p => 100 * p.Sparsity).ToArray(), points.Select(p => 100 * p.Accuracy).ToArray());
            line.LegendText = method.Name;
            line.MarkerSize = 7;
        }

        plot.Axes.Bottom.Label.Text = "weights exactly zero (%)";
        plot.Axes.Left.Label.Text = "test accuracy (%)";
        plot.Title("Accuracy at sparsity");
        plot.ShowLegend(Alignment.LowerLeft);
        Save(plot, path, width, height);
    }

    private static void Save(Plot plot, string path, int width, int height)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is not (".png" or ".svg"))
            throw new ArgumentException($"Chart path '{path}' must end in .png or .svg.", nameof(path));
        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp{extension}");
        try
        {
            if (extension == ".png")
                plot.SavePng(temporary, width, height);
            else
                plot.SaveSvg(temporary, width, height);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
    }
}
