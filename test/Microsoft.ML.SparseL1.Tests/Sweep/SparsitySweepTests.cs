// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using System.Threading;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Sweep;

[TestClass]
public class SparsitySweepTests
{
    private sealed class Row
    {
        [VectorType(6)]
        public float[] Features { get; set; } = [];

        public string Label { get; set; } = string.Empty;
    }

    [TestMethod]
    public void Multiclass_SweepsTargetsWithCrossValidation()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(4);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 400).Select(_ =>
        {
            var x = Enumerable.Range(0, 6).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            return new Row { Features = x, Label = x[0] + x[1] > 0.3 ? "a" : x[0] + x[1] < -0.3 ? "b" : "c" };
        }).ToArray());
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var reported = 0;
        var result = SparsitySweep.Multiclass(ml, keyed,
            target => ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options
            {
                HiddenLayerSizes = [16], TargetSparsity = target, SparsityTolerance = 0.05f,
            }),
            new SparsitySweepOptions { TargetSparsities = [0.3f, 0.8f], NumberOfFolds = 2, Seed = 3, LatencyRows = 100, Progress = new SyncProgress(() => reported++) });

        Assert.HasCount(2, result.Rows);
        Assert.AreEqual(2, reported);
        foreach (var row in result.Rows)
        {
            Assert.IsTrue(row.AllFoldsConverged, result.ToString());
            Assert.AreEqual(row.TargetSparsity, row.AchievedSparsity, 0.05 * (1 - row.TargetSparsity) + 1e-9, result.ToString());
            Assert.HasCount(2, row.LayerSparsities);
            Assert.IsGreaterThan(0.6, row.MetricMean, result.ToString());
            Assert.IsGreaterThan(0L, row.ModelBytes);
            Assert.IsGreaterThan(0.0, row.PredictionMicroseconds);
        }

        Assert.HasCount(2, result.FoldMetrics[0]);
        Assert.IsLessThan(result.Rows[0].NonZeroWeights, result.Rows[1].NonZeroWeights);
        Assert.Contains(result.Chosen, result.Rows.ToList());
    }

    [TestMethod]
    public void ParetoFrontAndChoice_FollowTheirDefinitions()
    {
        static SparsitySweepRow Row(float target, double metric, double nonZero) =>
            new(target, target, [target], metric, 0, nonZero, 1, 1, 1, true);
        var rows = new[] { Row(0.5f, 0.90, 500), Row(0.8f, 0.895, 200), Row(0.9f, 0.86, 100), Row(0.95f, 0.80, 50), Row(0.6f, 0.85, 400) };
        var result = new SparsitySweepResult<int>("accuracy", true, rows, [], tolerance: 0.01);
        CollectionAssert.AreEqual(new[] { 50.0, 100, 200, 500 }, result.ParetoFront.Select(r => r.NonZeroWeights).ToArray(), "the 400-weight row is dominated by the 200-weight one");
        Assert.AreEqual(0.8f, result.Chosen.TargetSparsity, "sparsest within 0.01 of the best 0.90");
    }

    [TestMethod]
    public void Options_AreValidatedAndCancellationStopsTheSweep()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Features = new float[6], Label = "a" } });
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SparsitySweep.Multiclass(ml, data, _ => ml.Transforms.CopyColumns("x", "Features"), new SparsitySweepOptions { TargetSparsities = [1f] }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SparsitySweep.Multiclass(ml, data, _ => ml.Transforms.CopyColumns("x", "Features"), new SparsitySweepOptions { NumberOfFolds = 1 }));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsExactly<OperationCanceledException>(() => SparsitySweep.Multiclass(ml, data, _ => ml.Transforms.CopyColumns("x", "Features"), new SparsitySweepOptions { CancellationToken = cancelled.Token }));
    }

    [TestMethod]
    public void PipelineWithoutTheTrainer_IsRefusedBeforeAnyFoldTrains()
    {
        // Issue 11: the sweep ran every fold before it noticed that the pipeline had no sparse MLP trainer.
        var ml = new MLContext(seed: 1);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(Data(ml)).Transform(Data(ml));
        var counting = new CountingEstimator(ml.Transforms.CopyColumns("Copy", "Features"));
        var error = Assert.ThrowsExactly<ArgumentException>(() => SparsitySweep.Multiclass(ml, data,
            _ => counting.Append(ml.Transforms.CopyColumns("Copy2", "Features").Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy())),
            new SparsitySweepOptions { TargetSparsities = [0.5f], NumberOfFolds = 2 }));
        StringAssert.Contains(error.Message, "no fold was trained");
        Assert.AreEqual(0, counting.Fits, "nothing was fitted");
    }

    private static IDataView Data(MLContext ml)
    {
        var random = new Random(4);
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, 60).Select(_ => new Row
        {
            Features = Enumerable.Range(0, 6).Select(_ => (float)random.NextDouble()).ToArray(),
            Label = random.Next(2) == 0 ? "a" : "b",
        }).ToArray());
    }

    /// <summary>An estimator that counts its fits.</summary>
    private sealed class CountingEstimator(IEstimator<ITransformer> inner) : IEstimator<ITransformer>
    {
        public int Fits { get; private set; }

        public ITransformer Fit(IDataView input)
        {
            Fits++;
            return inner.Fit(input);
        }

        public SchemaShape GetOutputSchema(SchemaShape inputSchema) => inner.GetOutputSchema(inputSchema);
    }

    /// <summary>Progress that runs synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action report) : IProgress<SparsitySweepRow>
    {
        public void Report(SparsitySweepRow value) => report();
    }
}
