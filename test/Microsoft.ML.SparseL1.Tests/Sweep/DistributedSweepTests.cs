// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Sweep;

/// <summary><see cref="SparsitySweepOptions.Communicator"/>: the (target, fold) jobs spread over ranks (threads here).</summary>
[TestClass]
public class DistributedSweepTests
{
    private sealed class Row
    {
        [VectorType(6)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    public void SpreadOverRanks_GivesEveryRankTheTableOneProcessGives(int ranks)
    {
        var options = () => new SparsitySweepOptions { TargetSparsities = [0.5f, 0.9f], NumberOfFolds = 3, Seed = 3, LatencyRows = 20 };
        var alone = Sweep(new MLContext(seed: 1), options(), fail: false);
        var results = InProcessGroup.Run(ranks, (rank, communicator) =>
        {
            var o = options();
            o.Communicator = communicator;
            return Sweep(new MLContext(seed: 1), o, fail: false);
        });
        foreach (var (result, error) in results)
        {
            Assert.IsNull(error, error?.ToString());
            Assert.HasCount(alone.Rows.Count, result!.Rows);
            for (int i = 0; i < alone.Rows.Count; i++)
            {
                // The same folds and the same models: every number but the measured times is equal.
                Assert.AreEqual(alone.Rows[i].MetricMean, result.Rows[i].MetricMean, $"row {i} metric");
                Assert.AreEqual(alone.Rows[i].MetricStandardDeviation, result.Rows[i].MetricStandardDeviation, $"row {i} spread");
                Assert.AreEqual(alone.Rows[i].AchievedSparsity, result.Rows[i].AchievedSparsity, $"row {i} sparsity");
                // The saved selection report holds each run's wall time, which compresses to a byte more or less.
                Assert.AreEqual(alone.Rows[i].ModelBytes, result.Rows[i].ModelBytes, 8, $"row {i} model bytes");
                Assert.IsGreaterThan(0.0, result.Rows[i].TrainingSeconds);
            }

            Assert.AreEqual(alone.Chosen.TargetSparsity, result.Chosen.TargetSparsity);
        }
    }

    [TestMethod]
    public void AJobThatFailsOnOneRank_StopsEveryRankWithItsError()
    {
        var results = InProcessGroup.Run(2, (rank, communicator) =>
            Sweep(new MLContext(seed: 1), new SparsitySweepOptions { TargetSparsities = [0.5f], NumberOfFolds = 2, Seed = 3, Communicator = communicator }, fail: rank == 1));
        foreach (var (_, error) in results)
        {
            Assert.IsInstanceOfType<InvalidOperationException>(error);
            StringAssert.Contains(error!.Message, "(target 0.5, fold 1) failed on rank 1 of 2");
            StringAssert.Contains(error.Message, "a fit that fails on this rank");
        }
    }

    [TestMethod]
    public void SpreadOverRanks_NeedsASeed()
    {
        var results = InProcessGroup.Run(2, (rank, communicator) =>
            Sweep(new MLContext(seed: 1), new SparsitySweepOptions { TargetSparsities = [0.5f], NumberOfFolds = 2, Communicator = communicator }, fail: false));
        foreach (var (_, error) in results)
            StringAssert.Contains((error as ArgumentOutOfRangeException)?.Message, "Seed must be set");
    }

    /// <summary>A regression sweep on seeded rows; with <paramref name="fail"/> every fit on this rank throws.</summary>
    private static SparsitySweepResult<RegressionMetrics> Sweep(MLContext ml, SparsitySweepOptions options, bool fail)
    {
        var random = new Random(4);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 240).Select(_ =>
        {
            var x = Enumerable.Range(0, 6).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            return new Row { Features = x, Label = x[0] * x[1] + 0.5f * x[2] };
        }).ToArray());
        return SparsitySweep.Regression(ml, data, target =>
        {
            var trainer = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options
            {
                HiddenLayerSizes = [16], TargetSparsity = target, SparsityTolerance = 0.05f, NumberOfEpochs = 30, LearningRate = 3e-3f, NumberOfThreads = 1,
            });
            return fail ? new FailingEstimator().Append(trainer) : trainer;
        }, options);
    }

    /// <summary>An estimator whose fit throws.</summary>
    private sealed class FailingEstimator : IEstimator<ITransformer>
    {
        public ITransformer Fit(IDataView input) => throw new InvalidOperationException("a fit that fails on this rank");

        public SchemaShape GetOutputSchema(SchemaShape inputSchema) => inputSchema;
    }
}
