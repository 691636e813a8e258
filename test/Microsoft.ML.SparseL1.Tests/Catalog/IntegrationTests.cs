// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Catalog;

/// <summary>ML.NET features beyond Fit/Transform/Evaluate: permutation feature importance, sweeps for binary and regression.</summary>
[TestClass]
public class IntegrationTests
{
    private sealed class Row
    {
        [VectorType(6)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }

        public bool Positive { get; set; }
    }

    [TestMethod]
    public void PermutationFeatureImportance_FindsTheFeaturesTheTargetUses()
    {
        var ml = new MLContext(seed: 1);
        var data = Data(ml, 600);
        var model = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { HiddenLayerSizes = [16], Lambda = 1e-4f, NumberOfEpochs = 60, BatchSize = 32 }).Fit(data);
        var importance = ml.Regression.PermutationFeatureImportance(model, data, permutationCount: 2);
        double[] drop = importance.Select(i => i.RootMeanSquaredError.Mean).ToArray();
        var ranked = Enumerable.Range(0, 6).OrderByDescending(i => drop[i]).ToArray();
        CollectionAssert.AreEquivalent(new[] { 0, 3 }, ranked.Take(2).ToArray(), $"RMSE increase per feature: {string.Join(", ", drop.Select(d => d.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    [TestMethod]
    public void Sweeps_WorkForBinaryAndRegression()
    {
        var ml = new MLContext(seed: 1);
        var data = Data(ml, 300);
        var options = new SparsitySweepOptions { TargetSparsities = [0.5f], NumberOfFolds = 2, Seed = 1, LatencyRows = 50 };
        var binary = SparsitySweep.Binary(ml, data,
            t => ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { LabelColumnName = "Positive", HiddenLayerSizes = [8], TargetSparsity = t, SparsityTolerance = 0.05f }),
            new SparsitySweepOptions { TargetSparsities = [0.5f], NumberOfFolds = 2, Seed = 1, LatencyRows = 50, LabelColumnName = "Positive" });
        var regression = SparsitySweep.Regression(ml, data,
            // The trainer inside a nested chain (issue 11: the sweep found only a top-level one).
            t => ml.Transforms.CopyColumns("Copy", "Features").Append(ml.Transforms.CopyColumns("Copy2", "Features")
                .Append(ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { HiddenLayerSizes = [8], TargetSparsity = t, SparsityTolerance = 0.05f }))),
            options);
        Assert.AreEqual("Accuracy", binary.MetricName);
        Assert.AreEqual("RSquared", regression.MetricName);
        Assert.IsGreaterThan(0.8, binary.Rows[0].MetricMean, binary.ToString());
        Assert.IsGreaterThan(0.5, regression.Rows[0].MetricMean, regression.ToString());
        Assert.HasCount(2, regression.FoldMetrics[0]);
    }

    private static IDataView Data(MLContext ml, int count)
    {
        var random = new Random(4);
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, count).Select(_ =>
        {
            var x = Enumerable.Range(0, 6).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            return new Row { Features = x, Label = 2 * x[0] - x[3], Positive = x[0] > x[3] };
        }).ToArray());
    }
}
