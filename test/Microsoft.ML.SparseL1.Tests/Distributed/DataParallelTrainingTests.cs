// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Distributed;

/// <summary>
/// Data-parallel training through <see cref="SparseMlpOptionsBase.Communicator"/>, with ranks as threads of this process
/// (<see cref="InProcessGroup"/>; the Open MPI transport is checked by test/SparseL1.Mpi.Check under mpirun in CI). The
/// reference is one process on the concatenated shards: the same global batches, summed in another order.
/// </summary>
[TestClass]
public class DataParallelTrainingTests
{
    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    public void EveryRank_ReceivesTheSameNetwork_BitForBit_AndRepeatsIt(int ranks)
    {
        var first = FitShards(ranks);
        var second = FitShards(ranks);
        for (int rank = 0; rank < ranks; rank++)
        {
            AssertBitIdentical(first[0], first[rank], $"rank {rank} against rank 0");
            AssertBitIdentical(first[rank], second[rank], $"rank {rank}, repeated run");
        }
    }

    [TestMethod]
    public void TwoRanks_EqualOneProcessOnTheConcatenatedShards_WithinRounding()
    {
        // A fixed λ and 10 epochs of batch 32 (50 steps): long enough for every part (shuffle, standardization, the
        // gradient sum, Adam, the soft-threshold) to matter, short enough that rounding differences stay rounding.
        static void Short(SparseMlpMulticlassTrainer.Options o)
        {
            o.Lambda = 1e-3f;
            o.NumberOfEpochs = 10;
            o.BatchSize = 32;
        }

        var distributed = FitShards(2, Short)[0];
        var single = FitSingle(Short);
        AssertClose(single, distributed, 1e-4, "2 ranks against one process");
    }

    [TestMethod]
    public void TwoRanks_TrackTheTargetAsOneProcessDoes()
    {
        // The default selection (SparsityTracking, 3,000 steps): the runs are chaotic over that many steps, so the
        // comparison is of what the selection delivers, not of weights: the same target reached and the same λ to
        // within a few percent, and the same accuracy on held-out rows.
        var ml = new MLContext(seed: 1);
        var (train, test) = Wine(ml);
        var distributed = FitShards(2, data: train)[0];
        var single = FitSingle(data: train);
        var d = distributed.Model;
        var s = single.Model;
        Assert.AreEqual(0.9, d.Sparsity, 0.9 * 0.01 / 9 + 1e-6, "the target reached by 2 ranks");
        Assert.AreEqual(s.Lambdas[0], d.Lambdas[0], 0.05 * s.Lambdas[0], "the chosen λ");
        double accuracyDistributed = ml.MulticlassClassification.Evaluate(distributed.Transform(test)).MicroAccuracy;
        double accuracySingle = ml.MulticlassClassification.Evaluate(single.Transform(test)).MicroAccuracy;
        Assert.AreEqual(accuracySingle, accuracyDistributed, 0.03, $"held-out accuracy: 2 ranks {accuracyDistributed}, one process {accuracySingle}");
    }

    [TestMethod]
    public void Regression_WithLabelStandardization_EqualsOneProcess()
    {
        var ml = new MLContext(seed: 1);
        AssertTwoRanksEqualOneProcess(RealData.Load(ml, "boston.csv", 13),
            () => new SparseMlpRegressionTrainer.Options { Lambda = 1e-3f, NumberOfEpochs = 10, BatchSize = 32, NumberOfThreads = 1, LearningRate = 3e-3f },
            (context, o) => context.Regression.Trainers.SparseMlp(o), "regression");
    }

    [TestMethod]
    public void SparseRows_EqualOneProcess()
    {
        // Mostly-zero rows are trained in CSR with a transposed first layer, whose gradient the reduction fills everywhere.
        var ml = new MLContext(seed: 1);
        var random = new Random(5);
        var rows = Enumerable.Range(0, 300).Select(_ =>
        {
            var x = new float[400];
            for (int k = 0; k < 6; k++)
                x[random.Next(400)] = 1f;
            return new SparseRow { Features = x, Label = x[0] + x[1] + x[2] > 0 };
        }).ToArray();
        AssertTwoRanksEqualOneProcess(ml.Data.LoadFromEnumerable(rows),
            () => new SparseMlpBinaryTrainer.Options { Lambda = 1e-3f, NumberOfEpochs = 5, BatchSize = 32, NumberOfThreads = 1, HiddenLayerSizes = [16] },
            (context, o) => context.BinaryClassification.Trainers.SparseMlp(o), "sparse rows");
    }

    /// <summary>Two ranks on the halves of <paramref name="data"/> against one process on all of it, within float rounding (1e-4 of each layer's scale).</summary>
    private static void AssertTwoRanksEqualOneProcess<TOptions>(IDataView data, Func<TOptions> options,
        Func<MLContext, TOptions, IEstimator<SparseMlpPredictionTransformer>> trainer, string what) where TOptions : SparseMlpOptionsBase
    {
        var shards = Shards(new MLContext(seed: 1), data, 2);
        var results = InProcessGroup.Run(2, (rank, communicator) =>
        {
            var o = options();
            o.Communicator = communicator;
            return trainer(new MLContext(seed: 1), o).Fit(shards[rank]);
        });
        var single = trainer(new MLContext(seed: 1), AsRanksFeedInputs(options())).Fit(data);
        AssertClose(single.Model, Succeeded(results)[0].Model, 1e-4, what);
    }

    [TestMethod]
    public void ABadShard_StopsEveryRank_NamingTheRankAndTheCause()
    {
        var ml = new MLContext(seed: 1);
        var raw = RealData.Load(ml, "wine.csv", 13);
        var shards = Shards(ml, Keyed(ml, raw), 2);
        // Rank 1's shard has a NaN feature in its first row.
        var rows = ml.Data.CreateEnumerable<WineRow>(Shards(ml, raw, 2)[1], reuseRowObject: false).ToArray();
        rows[0].Features[3] = float.NaN;
        var poisoned = Keyed(ml, ml.Data.LoadFromEnumerable(rows));
        var results = InProcessGroup.Run(2, (rank, communicator) =>
        {
            var options = Multiclass();
            options.Communicator = communicator;
            return Pipeline(new MLContext(seed: 1), options).Fit(rank == 0 ? shards[0] : poisoned);
        });
        foreach (var (_, error) in results)
        {
            Assert.IsInstanceOfType<InvalidOperationException>(error);
            StringAssert.Contains(error!.Message, "Rank 1 of 2 could not read its training shard");
            StringAssert.Contains(error.Message, "NaN");
        }
    }

    [TestMethod]
    public void LabelKeysFittedOnEachShard_AreRefused()
    {
        // Wine in data order: rank 0's rows hold classes 1 and 2, rank 1's classes 2 and 3. Keys fitted on each shard
        // give both ranks two outputs, but key 1 means class 1 on one and class 2 on the other.
        var ml = new MLContext(seed: 1);
        var raw = RealData.Load(ml, "wine.csv", 13);
        var shards = Shards(ml, raw, 2).Select(shard => ml.Transforms.Conversion.MapValueToKey("Label").Fit(shard).Transform(shard)).ToArray();
        var results = InProcessGroup.Run(2, (rank, communicator) =>
        {
            var options = Multiclass();
            options.Communicator = communicator;
            return Pipeline(new MLContext(seed: 1), options).Fit(shards[rank]);
        });
        foreach (var (_, error) in results)
        {
            Assert.IsInstanceOfType<InvalidOperationException>(error, error?.ToString());
            StringAssert.Contains(error!.Message, "Rank 1 of 2: its training shard has a label key with other classes");
        }
    }

    [TestMethod]
    public void CancellingOneRankWhileItReads_StopsEveryRankAsCancelled()
    {
        var ml = new MLContext(seed: 1);
        var shards = Shards(ml, Wine(ml).Train, 2);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var results = InProcessGroup.Run(2, (rank, communicator) =>
        {
            var options = Multiclass();
            options.Communicator = communicator;
            if (rank == 1)
                options.CancellationToken = cancelled.Token;
            return Pipeline(new MLContext(seed: 1), options).Fit(shards[rank]);
        });
        foreach (var (_, error) in results)
        {
            Assert.IsInstanceOfType<OperationCanceledException>(error, error?.ToString());
            StringAssert.Contains(error!.Message, "Rank 1 of 2 was cancelled");
        }
    }

    [TestMethod]
    public void MismatchedOptions_StopEveryRank()
    {
        var ml = new MLContext(seed: 1);
        var (train, _) = Wine(ml);
        var shards = Shards(ml, train, 2);
        var results = InProcessGroup.Run(2, (rank, communicator) =>
        {
            var options = Multiclass();
            options.Communicator = communicator;
            options.Seed = rank == 0 ? 123 : 124;
            return Pipeline(new MLContext(seed: 1), options).Fit(shards[rank]);
        });
        foreach (var (_, error) in results)
        {
            Assert.IsInstanceOfType<InvalidOperationException>(error);
            StringAssert.Contains(error!.Message, "Rank 1 of 2 was given different trainer options from rank 0");
        }
    }

    [TestMethod]
    public void CancellingOneRank_StopsEveryRankAtTheSameStep()
    {
        var ml = new MLContext(seed: 1);
        var (train, _) = Wine(ml);
        var shards = Shards(ml, train, 2);
        using var cancel = new CancellationTokenSource();
        var results = InProcessGroup.Run(2, (rank, communicator) =>
        {
            var options = Multiclass();
            options.Communicator = communicator;
            if (rank == 1)
            {
                options.CancellationToken = cancel.Token;
                options.Progress = new SynchronousProgress(p => { if (p.Epoch == 3) cancel.Cancel(); });
            }

            return Pipeline(new MLContext(seed: 1), options).Fit(shards[rank]);
        });
        foreach (var (_, error) in results)
            Assert.IsInstanceOfType<OperationCanceledException>(error, error?.ToString());
    }

    [TestMethod]
    public void AProgressCallbackThatThrowsOnOneRank_StopsEveryRank()
    {
        var ml = new MLContext(seed: 1);
        var shards = Shards(ml, Wine(ml).Train, 2);
        var results = InProcessGroup.Run(2, (rank, communicator) =>
        {
            var options = Multiclass();
            options.Communicator = communicator;
            if (rank == 1)
                options.Progress = new SynchronousProgress(p => { if (p.Epoch == 3) throw new InvalidDataException("the callback's own error"); });
            return Pipeline(new MLContext(seed: 1), options).Fit(shards[rank]);
        });
        Assert.IsInstanceOfType<OperationCanceledException>(results[0].Error, results[0].Error?.ToString());
        Assert.IsInstanceOfType<InvalidDataException>(results[1].Error, "the failing rank rethrows the callback's exception");
    }

    [TestMethod]
    public void AccumulatedGradient_IsRejectedInDataParallelTraining()
    {
        var results = InProcessGroup.Run(2, (rank, communicator) =>
        {
            var options = Multiclass();
            options.Communicator = communicator;
            options.ParameterSelection.UseAccumulatedGradient = true;
            options.SelectionStrategy = SelectionStrategy.GradientMedianBracket;
            var ml = new MLContext(seed: 1);
            return Pipeline(ml, options).Fit(Shards(ml, Wine(ml).Train, 2)[rank]);
        });
        foreach (var (_, error) in results)
            StringAssert.Contains(error?.Message, "UseAccumulatedGradient");
    }

    private sealed class WineRow
    {
        [VectorType(13)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    private sealed class SparseRow
    {
        [VectorType(400)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    /// <summary>
    /// One process's options with the inputs fed as they are, as ranks feed them: the trainer chooses an input encoding in
    /// one process only (<see cref="SparseMlpOptionsBase.PiecewiseLinearBins"/> null), and the comparison is of the same training.
    /// </summary>
    private static TOptions AsRanksFeedInputs<TOptions>(TOptions options) where TOptions : SparseMlpOptionsBase
    {
        options.PiecewiseLinearBins ??= 0;
        return options;
    }

    /// <summary>The tests' trainer options: one thread per rank, then <paramref name="configure"/>.</summary>
    private static SparseMlpMulticlassTrainer.Options Multiclass(Action<SparseMlpMulticlassTrainer.Options>? configure = null)
    {
        var options = new SparseMlpMulticlassTrainer.Options { NumberOfThreads = 1 };
        configure?.Invoke(options);
        return options;
    }

    private static SparseMlpMulticlassTrainer Pipeline(MLContext ml, SparseMlpMulticlassTrainer.Options options) =>
        ml.MulticlassClassification.Trainers.SparseMlp(options);

    private static SparseMlpPredictionTransformer[] FitShards(int ranks, Action<SparseMlpMulticlassTrainer.Options>? configure = null, IDataView? data = null)
    {
        var ml = new MLContext(seed: 1);
        data ??= Keyed(ml, RealData.Load(ml, "wine.csv", 13));
        var shards = Shards(ml, data, ranks);
        var results = InProcessGroup.Run(ranks, (rank, communicator) =>
        {
            var context = new MLContext(seed: 1);
            var o = Multiclass(configure);
            o.Communicator = communicator;
            return Pipeline(context, o).Fit(shards[rank]);
        });
        return Succeeded(results);
    }

    private static SparseMlpPredictionTransformer FitSingle(Action<SparseMlpMulticlassTrainer.Options>? configure = null, IDataView? data = null)
    {
        var ml = new MLContext(seed: 1);
        data ??= Keyed(ml, RealData.Load(ml, "wine.csv", 13));
        return Pipeline(ml, AsRanksFeedInputs(Multiclass(configure))).Fit(data);
    }

    /// <summary>
    /// The label as a key fitted on all rows: every shard must give the network the same classes (a key fitted on a
    /// shard that lacks a class would have fewer, which the ranks' first exchange reports).
    /// </summary>
    private static IDataView Keyed(MLContext ml, IDataView data) =>
        ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Fit(RealData.Load(ml, "wine.csv", 13)).Transform(data);

    private static T[] Succeeded<T>((T? Result, Exception? Error)[] results)
    {
        foreach (var (_, error) in results)
        {
            if (error is not null)
                throw new AssertFailedException($"A rank failed: {error}");
        }

        return results.Select(r => r.Result!).ToArray();
    }

    /// <summary>Rows split into <paramref name="ranks"/> contiguous shards in data order (their concatenation is the data).</summary>
    private static IDataView[] Shards(MLContext ml, IDataView data, int ranks)
    {
        long rows = 0;
        using (var cursor = data.GetRowCursor([]))
        {
            while (cursor.MoveNext())
                rows++;
        }

        return Enumerable.Range(0, ranks).Select(r =>
        {
            long start = rows * r / ranks, end = rows * (r + 1) / ranks;
            return ml.Data.TakeRows(start == 0 ? data : ml.Data.SkipRows(data, start), end - start);
        }).ToArray();
    }

    /// <summary>Wine, label keyed, split 80/20 (the training rows cached, so each rank's shard reads them once).</summary>
    private static (IDataView Train, IDataView Test) Wine(MLContext ml)
    {
        var split = ml.Data.TrainTestSplit(Keyed(ml, RealData.Load(ml, "wine.csv", 13)), testFraction: 0.2, seed: 1);
        return (ml.Data.Cache(split.TrainSet), split.TestSet);
    }

    private static void AssertBitIdentical(ITransformer expectedChain, ITransformer actualChain, string what)
    {
        var expected = Model(expectedChain);
        var actual = Model(actualChain);
        Assert.IsTrue(expected.Lambdas.SequenceEqual(actual.Lambdas), $"{what}: λ");
        for (int j = 0; j < expected.Layers.Count; j++)
        {
            Assert.IsTrue(expected.Layers[j].DenseWeights.SequenceEqual(actual.Layers[j].DenseWeights), $"{what}: layer {j} weights");
            Assert.IsTrue(expected.Layers[j].Values.SequenceEqual(actual.Layers[j].Values), $"{what}: layer {j} values");
            Assert.IsTrue(expected.Layers[j].Biases.SequenceEqual(actual.Layers[j].Biases), $"{what}: layer {j} biases");
        }
    }

    private static void AssertClose(ITransformer expectedChain, ITransformer actualChain, double tolerance, string what) =>
        AssertClose(Model(expectedChain), Model(actualChain), tolerance, what);

    /// <summary>
    /// Every weight and bias within <paramref name="tolerance"/> × (1 + the layer's largest magnitude), and the same zeros;
    /// the input range and the score range (gathered over the ranks: every rank's rows) exactly the same.
    /// </summary>
    private static void AssertClose(SparseMlpModelParameters expected, SparseMlpModelParameters actual, double tolerance, string what)
    {
        foreach (var (name, e, a) in new[] { ("input range", expected.Network.InputRange, actual.Network.InputRange), ("score range", expected.Network.ScoreRange, actual.Network.ScoreRange) })
        {
            Assert.AreEqual(e is null, a is null, $"{what}: {name} present");
            if (e is not null && a is not null)
            {
                CollectionAssert.AreEqual(e.Lower, a.Lower, $"{what}: {name}, lower bounds");
                CollectionAssert.AreEqual(e.Upper, a.Upper, $"{what}: {name}, upper bounds");
            }
        }

        Assert.HasCount(expected.Layers.Count, actual.Layers);
        for (int j = 0; j < expected.Layers.Count; j++)
        {
            float[] e = Dense(expected.Layers[j]), a = Dense(actual.Layers[j]);
            Assert.HasCount(e.Length, a);
            double scale = 1 + e.Max(Math.Abs);
            for (int i = 0; i < e.Length; i++)
                TestData.AssertClose(e[i], a[i], 0, tolerance * scale, $"{what}: layer {j} weight {i}");
            var eb = expected.Layers[j].Biases.ToArray();
            var ab = actual.Layers[j].Biases.ToArray();
            for (int i = 0; i < eb.Length; i++)
                TestData.AssertClose(eb[i], ab[i], 0, tolerance * (1 + eb.Max(Math.Abs)), $"{what}: layer {j} bias {i}");
        }
    }

    /// <summary>A layer's weights as a dense outputs x inputs matrix.</summary>
    private static float[] Dense(SparseMlpLayer layer)
    {
        if (!layer.IsSparse)
            return layer.DenseWeights.ToArray();
        var dense = new float[layer.OutputCount * layer.InputCount];
        for (int o = 0; o < layer.OutputCount; o++)
        {
            for (int k = layer.RowPointers[o]; k < layer.RowPointers[o + 1]; k++)
                dense[o * layer.InputCount + layer.ColumnIndices[k]] = layer.Values[k];
        }

        return dense;
    }

    private static SparseMlpModelParameters Model(ITransformer transformer) =>
        ((ISingleFeaturePredictionTransformer<SparseMlpModelParameters>)transformer).Model;
}
