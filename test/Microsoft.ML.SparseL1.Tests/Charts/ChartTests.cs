// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using System.Linq;
using Microsoft.ML.SparseL1.Charts;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Charts;

[TestClass]
public class ChartTests
{
    [TestMethod]
    public void Charts_WritePngAndSvgAndRejectOtherExtensions()
    {
        var report = new SparsitySelectionReport(SelectionStrategy.GradientMedianBracket, layerWise: true, [40, 10], [60, 20], 0.05f,
        [
            new SelectionIteration(0, [1e-2f, 1e-2f], [0, 0], 1.0, 5, false, 0.1, "probe"),
            new SelectionIteration(1, [1e-7f, 1e-7f], [60, 20], 0.5, 5, false, 0.1, "probe"),
            new SelectionIteration(2, [1e-4f, 2e-4f], [41, 10], 0.6, 3, true, 0.1, "median"),
        ], chosenIteration: 2, converged: true);
        var parameters = MlpParameters.Initialize([6, 10, 2], seed: 1);
        var model = new SparseMlpModelParameters(SparseMlpTask.MulticlassClassification, CompactMlp.FromParameters(parameters), [],
            parameters.LayerSizes, [1e-4f, 2e-4f], [41, 10], report);
        var sweep = new SparsitySweepResult<int>("accuracy", true,
            [new SparsitySweepRow(0.5f, 0.5, [0.5], 0.9, 0.01, 100, 1000, 5, 1, true), new SparsitySweepRow(0.9f, 0.9, [0.9], 0.85, 0.02, 20, 500, 4, 1, true)], [], 0.01);

        SparseMlpTrial Trial(int index, int width, float target, double metric, long nonZero) =>
            new(index, [width], target, 1f, 1, metric, nonZero, target, 0.1, null) { FoldMetrics = [metric] };
        var experiment = new SparseMlpExperimentResult("MicroAccuracy",
            [Trial(0, 100, 0.9f, 0.952, 1_000), Trial(1, 100, 0.98f, 0.945, 200), Trial(2, 400, 0.9f, 0.96, 4_000), Trial(3, 50, 0.5f, 0.9, 2_500)], 12);

        AccuracyAtSparsitySeries[] accuracy =
        [
            new("ours", [(0.8, 0.894), (0.9, 0.895), (0.98, 0.888)]),
            new("magnitude pruning", [(0.8, 0.888), (0.9, 0.894), (0.98, 0.878)]),
        ];

        string directory = Directory.CreateTempSubdirectory("sparsel1-charts").FullName;
        try
        {
            foreach (string extension in new[] { ".png", ".svg" })
            {
                SparseL1Charts.SaveSelectionChart(report, Path.Combine(directory, "selection" + extension));
                SparseL1Charts.SaveLayerSparsityChart(model, Path.Combine(directory, "layers" + extension));
                SparseL1Charts.SaveSweepChart(sweep, Path.Combine(directory, "sweep" + extension));
                SparseL1Charts.SaveExperimentChart(experiment, Path.Combine(directory, "experiment" + extension));
                SparseL1Charts.SaveAccuracyAtSparsityChart(accuracy, Path.Combine(directory, "accuracy" + extension));
                SparseL1Charts.SaveInputImportanceChart(model, Path.Combine(directory, "inputs" + extension), inputNames: ["a", "b", "c", "d", "e", "f"]);
                SparseL1Charts.SaveInputImportanceChart(model, Path.Combine(directory, "inputmap" + extension), imageWidth: 3, data: Rows(new MLContext(seed: 1)));
            }

            foreach (string png in Directory.GetFiles(directory, "*.png"))
            {
                // The PNG signature, then the IHDR chunk's width and height (big-endian) as requested: 800 x 500.
                byte[] bytes = File.ReadAllBytes(png);
                CollectionAssert.AreEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, bytes.Take(4).ToArray(), png);
                Assert.AreEqual(800, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4)), png);
                Assert.AreEqual(500, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4)), png);
                Assert.IsGreaterThan(5000, bytes.Length, $"{png}: a drawn chart, not an empty canvas");
            }

            foreach (string svg in Directory.GetFiles(directory, "*.svg"))
                StringAssert.Contains(File.ReadAllText(svg), "<svg", svg);
            // The text a reader needs is in the charts: axis labels and legend entries.
            string accuracySvg = File.ReadAllText(Path.Combine(directory, "accuracy.svg"));
            StringAssert.Contains(accuracySvg, "ours");
            StringAssert.Contains(accuracySvg, "magnitude pruning");
            StringAssert.Contains(accuracySvg, "test accuracy (%)");
            StringAssert.Contains(File.ReadAllText(Path.Combine(directory, "sweep.svg")), "Pareto front");
            StringAssert.Contains(File.ReadAllText(Path.Combine(directory, "inputs.svg")), "first-layer weight norm (raw feature units)");
            string inputMap = File.ReadAllText(Path.Combine(directory, "inputmap.svg"));
            StringAssert.Contains(inputMap, "weight norm x input sd");
            StringAssert.Contains(inputMap, "image row (0 at the top)");
            string experimentSvg = File.ReadAllText(Path.Combine(directory, "experiment.svg"));
            StringAssert.Contains(experimentSvg, "best: trial 2, 4,000 nonzero");
            StringAssert.Contains(experimentSvg, "sparsest within 0.01: trial 0, 1,000 nonzero");
            StringAssert.Contains(experimentSvg, "nonzero weights (log10)");
            Assert.HasCount(14, Directory.GetFiles(directory), "no temporary files left behind");
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SparseL1Charts.SaveExperimentChart(experiment, Path.Combine(directory, "bad.png"), tolerance: -1));
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SparseL1Charts.SaveInputImportanceChart(model, Path.Combine(directory, "bad.png"), imageWidth: 4));
            Assert.ThrowsExactly<ArgumentException>(() => SparseL1Charts.SaveAccuracyAtSparsityChart([], Path.Combine(directory, "empty.png")));
            Assert.ThrowsExactly<ArgumentException>(() => SparseL1Charts.SaveSweepChart(sweep, Path.Combine(directory, "sweep.jpg")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The importance is each input's weight norm times its population standard deviation on the data (computed here directly).</summary>
    [TestMethod]
    public void InputImportance_IsTheWeightNormTimesTheInputsSpread()
    {
        var parameters = MlpParameters.Initialize([6, 10, 2], seed: 1);
        var model = new SparseMlpModelParameters(SparseMlpTask.MulticlassClassification, CompactMlp.FromParameters(parameters), [],
            parameters.LayerSizes, [0f, 0f], [60, 20], null);
        var ml = new MLContext(seed: 1);
        var data = Rows(ml);
        var rows = ml.Data.CreateEnumerable<Row>(data, reuseRowObject: false).Select(r => r.Features).ToArray();

        double[] importance = model.GetInputImportance(data);

        double[] norms = model.GetInputWeightNorms();
        for (int i = 0; i < 6; i++)
        {
            double mean = rows.Average(r => (double)r[i]);
            double sd = Math.Sqrt(rows.Average(r => (r[i] - mean) * (r[i] - mean)));
            Assert.AreEqual(norms[i] * sd, importance[i], 1e-9 * Math.Max(1, norms[i] * sd), $"input {i}");
        }

        Assert.AreEqual(0, importance[5], "a constant input has no importance");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.GetInputImportance(data, "Missing"));
    }

    private sealed class Row
    {
        [Microsoft.ML.Data.VectorType(6)]
        public float[] Features { get; set; } = [];
    }

    /// <summary>50 rows of 6 inputs of spreads 1 to 5 (the last constant).</summary>
    private static IDataView Rows(MLContext ml)
    {
        var random = new Random(3);
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, 50).Select(_ => new Row
        {
            Features = Enumerable.Range(0, 6).Select(i => i == 5 ? 7f : (float)((random.NextDouble() - 0.5) * (i + 1))).ToArray(),
        }).ToArray());
    }

    /// <summary>
    /// A default fit reports where its schedule had the nonzeros (all weights down to the target) and when the pattern was
    /// frozen; the training chart draws them.
    /// </summary>
    [TestMethod]
    public void TrainingChart_ShowsTheScheduleAndTheFreeze_ThatTheProgressReports()
    {
        var ml = new MLContext(seed: 1);
        var raw = Infrastructure.RealData.Load(ml, "wine.csv", 13);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var history = new System.Collections.Generic.List<SparseMlpProgress>();
        var model = ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options
        {
            Progress = new Infrastructure.SynchronousProgress(history.Add),
        }).Fit(data);

        long weights = model.Model.WeightCount, target = (long)Math.Round(0.1 * weights);
        Assert.IsTrue(history.All(p => p.ScheduledNonZeroCount.HasValue), "every epoch of a tracking run has the schedule");
        long[] schedule = history.Select(p => p.ScheduledNonZeroCount!.Value).ToArray();
        Assert.AreEqual(weights, schedule[0], "all weights at the first epoch (the dense start)");
        Assert.AreEqual(target, schedule[^1], "the target at the end");
        Assert.IsTrue(schedule.Zip(schedule.Skip(1)).All(pair => pair.Second <= pair.First), "the schedule never rises");
        int frozen = history.FindIndex(p => p.PatternFrozen);
        Assert.IsGreaterThan(0, frozen, "the pattern is frozen during the run, not from its start");
        Assert.IsTrue(history.Skip(frozen).All(p => p.PatternFrozen), "once frozen, frozen to the end");

        string directory = Directory.CreateTempSubdirectory("sparsel1-training-chart").FullName;
        try
        {
            string svg = Path.Combine(directory, "training.svg");
            SparseL1Charts.SaveTrainingChart(history, svg);
            string text = File.ReadAllText(svg);
            StringAssert.Contains(text, "schedule");
            StringAssert.Contains(text, $"pattern frozen by epoch {history[frozen].Epoch}");
            StringAssert.Contains(text, "training loss");
            Assert.ThrowsExactly<ArgumentException>(() => SparseL1Charts.SaveTrainingChart([], Path.Combine(directory, "empty.svg")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
