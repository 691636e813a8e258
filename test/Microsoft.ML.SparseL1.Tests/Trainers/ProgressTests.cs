// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Concurrent;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Trainers;

[TestClass]
public class ProgressTests
{
    private sealed class Row
    {
        [VectorType(5)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    [TestMethod]
    public void Selection_ReportsEveryEpochWithLambdasAndLogsTheReport()
    {
        var ml = new MLContext(seed: 1);
        var log = new ConcurrentQueue<string>();
        ml.Log += (_, e) => log.Enqueue(e.Message);
        var random = new Random(2);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 200).Select(_ =>
        {
            var x = Enumerable.Range(0, 5).Select(_ => (float)random.NextDouble()).ToArray();
            return new Row { Features = x, Label = x[0] - x[1] };
        }).ToArray());
        var progress = new ConcurrentQueue<SparseMlpProgress>();
        var options = new SparseMlpRegressionTrainer.Options
        {
            HiddenLayerSizes = [8], TargetSparsity = 0.5f, SparsityTolerance = 0.05f, NumberOfEpochs = 30, BatchSize = 0,
            // The paper's iteration: one λ per run, so every progress record of a run carries the run's λ.
            SelectionStrategy = SelectionStrategy.GradientMedianBracket, Optimizer = SparseMlpOptimizer.Sgd,
            Progress = new SynchronousProgress(progress.Enqueue),
        };
        var model = ml.Regression.Trainers.SparseMlp(options).Fit(data).Model;

        var report = model.SelectionReport!;
        // One record per completed epoch; a run stopped at its target ends inside an epoch the report counts as started.
        int stoppedRuns = report.Iterations.Count(i => i.StoppedAtTarget);
        Assert.AreEqual(report.TotalEpochs - stoppedRuns, progress.Count, "one progress record per completed epoch of every run");
        foreach (var p in progress)
        {
            Assert.HasCount(2, p.Lambdas);
            Assert.HasCount(2, p.LayerNonZeroCounts);
            Assert.IsGreaterThanOrEqualTo(TimeSpan.Zero, p.RunTimeLeft);
            Assert.AreEqual(report.Iterations[p.SelectionIteration].Lambdas[0], p.Lambdas[0], "the run's λ");
        }

        var last = progress.Last();
        Assert.AreEqual(last.Epoch == last.Epochs, last.RunTimeLeft == TimeSpan.Zero, "no time left exactly when a run used all its epochs");
        Assert.IsTrue(log.Any(m => m.Contains("Sparsity selection (GradientMedianBracket", StringComparison.Ordinal)), "the report reaches mlContext.Log");
        Assert.IsTrue(log.Any(m => m.Contains("epoch 1/30", StringComparison.Ordinal)), "per-epoch trace reaches mlContext.Log");
    }
}
