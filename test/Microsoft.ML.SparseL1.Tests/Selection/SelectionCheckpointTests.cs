// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Selection;

/// <summary><see cref="ParameterSelectionOptions.CheckpointDirectory"/>: the paper's iteration resumes after its last completed run.</summary>
[TestClass]
public class SelectionCheckpointTests
{
    [TestMethod]
    public void AStoppedSelection_ResumesAfterItsLastCompletedRun_AndDeliversTheSameNetwork()
    {
        string folder = Folder();
        try
        {
            var data = Wine();
            var uninterrupted = Fit(data, null, null, out var allRuns);

            // A job killed while training run 3: runs 0-2 are on disk.
            using var stop = new CancellationTokenSource();
            Assert.ThrowsExactly<OperationCanceledException>(() => Fit(data, folder, p => { if (p.SelectionIteration == 3) stop.Cancel(); }, out _, stop.Token));
            CollectionAssert.AreEquivalent(new[] { "run-0.bin", "run-1.bin", "run-2.bin" },
                Directory.GetFiles(folder).Select(f => Path.GetFileName(f)[^9..]).ToArray());

            var resumed = Fit(data, folder, null, out var resumedRuns);
            Assert.IsFalse(resumedRuns.Any(r => r < 3), $"runs trained again: {string.Join(", ", resumedRuns)}");
            CollectionAssert.AreEqual(allRuns.Where(r => r >= 3).Distinct().ToArray(), resumedRuns.Distinct().ToArray(), "the remaining runs, in order");
            AssertSameNetwork(uninterrupted.Model, resumed.Model);
            var expected = uninterrupted.Model.SelectionReport!.Iterations;
            var actual = resumed.Model.SelectionReport!.Iterations;
            Assert.HasCount(expected.Count, actual);
            for (int i = 0; i < expected.Count; i++)
            {
                CollectionAssert.AreEqual(expected[i].Lambdas.ToArray(), actual[i].Lambdas.ToArray(), $"run {i} λ");
                CollectionAssert.AreEqual(expected[i].LayerNonZeroCounts.ToArray(), actual[i].LayerNonZeroCounts.ToArray(), $"run {i} counts");
                Assert.AreEqual(expected[i].Note, actual[i].Note, $"run {i} note");
            }

            // A finished selection's folder holds its last run: fitting again trains nothing.
            var again = Fit(data, folder, null, out var noRuns);
            Assert.IsEmpty(noRuns);
            AssertSameNetwork(uninterrupted.Model, again.Model);
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void AnotherSelection_KeepsApartInTheFolder_AndADamagedFileIsRefusedByName()
    {
        string folder = Folder();
        try
        {
            var data = Wine();
            using var stop = new CancellationTokenSource();
            Assert.ThrowsExactly<OperationCanceledException>(() => Fit(data, folder, p => { if (p.SelectionIteration == 2) stop.Cancel(); }, out _, stop.Token));
            string[] first = Directory.GetFiles(folder);
            Assert.HasCount(2, first);

            // Another seed is another selection: it trains from run 0 and leaves the first one's files as they were.
            Fit(data, folder, null, out var otherRuns, seed: 5);
            Assert.AreEqual(0, otherRuns[0], "the other selection starts from its first run");
            foreach (string file in first)
                Assert.IsTrue(File.Exists(file), file);

            string damagedFile = first.Single(f => f.EndsWith("run-1.bin", StringComparison.Ordinal));
            byte[] bytes = File.ReadAllBytes(damagedFile);
            bytes[bytes.Length / 2] ^= 0x40;
            File.WriteAllBytes(damagedFile, bytes);
            var damaged = Assert.ThrowsExactly<InvalidOperationException>(() => Fit(data, folder, null, out _));
            StringAssert.Contains(damaged.Message, $"{Path.GetFileName(damagedFile)} is damaged");
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void SameShapeAndLabels_OtherFeatureValues_DoNotResume()
    {
        // Issue 26: the identity hashed shapes, total weight and the label sum, so the same rows with every feature vector
        // reversed replayed the stale runs (accuracy 0.41 instead of 0.64).
        string folder = Folder();
        try
        {
            var ml = new MLContext(seed: 1);
            var rows = ml.Data.CreateEnumerable<WineRow>(Infrastructure.RealData.Load(ml, "wine.csv", 13), reuseRowObject: false).ToArray();
            using var stop = new CancellationTokenSource();
            Assert.ThrowsExactly<OperationCanceledException>(() => Fit(View(ml, rows), folder, p => { if (p.SelectionIteration == 2) stop.Cancel(); }, out _, stop.Token));
            Assert.HasCount(2, Directory.GetFiles(folder));

            var reversed = rows.Select(r => new WineRow { Features = r.Features.Reverse().ToArray(), Label = r.Label }).ToArray();
            Fit(View(ml, reversed), folder, null, out var runs);

            Assert.AreEqual(0, runs[0], "the reversed features train from run 0");
            CollectionAssert.AreEqual(runs.Distinct().ToArray(), Enumerable.Range(0, runs.Distinct().Count()).ToArray(), "no run was replayed");

            // The same values do resume: the digest is of the values, not of the object.
            Fit(View(ml, rows.Select(r => new WineRow { Features = (float[])r.Features.Clone(), Label = r.Label }).ToArray()), folder, null, out var resumed);
            Assert.IsFalse(resumed.Any(r => r < 2), $"runs trained again: {string.Join(", ", resumed)}");
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void ConcurrentFitsSharingAFolder_DoNotCollide()
    {
        // Issue 26: every fit wrote run-N.bin.tmp, so 5 of 12 concurrent fits died with IOException or FileNotFoundException.
        string folder = Folder();
        try
        {
            var data = Wine();
            var models = new SparseMlpPredictionTransformer[6];
            System.Threading.Tasks.Parallel.For(0, models.Length, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = 6 },
                i => models[i] = Fit(data, folder, null, out _));

            for (int i = 1; i < models.Length; i++)
                AssertSameNetwork(models[0].Model, models[i].Model);
            Assert.IsFalse(Directory.GetFiles(folder).Any(f => f.EndsWith(".tmp", StringComparison.Ordinal)), "no temporary file is left");
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void UnwritableFolder_FailsBeforeTheFirstRunTrains()
    {
        // Issue 26: the folder was first written after run 0 had trained. A folder under a regular file cannot be made,
        // even by root.
        string file = Path.GetTempFileName();
        try
        {
            int epochs = 0;
            var error = Assert.Throws<IOException>(() => Fit(Wine(), Path.Combine(file, "checkpoints"), _ => epochs++, out _));
            Assert.AreEqual(0, epochs, $"epochs trained before the failure: {error.Message}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private sealed class WineRow
    {
        [Microsoft.ML.Data.VectorType(13)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    private static IDataView View(MLContext ml, WineRow[] rows)
    {
        var view = ml.Data.LoadFromEnumerable(rows);
        return ml.Data.Cache(ml.Transforms.Conversion.MapValueToKey("Label").Fit(view).Transform(view));
    }

    [TestMethod]
    public void OneRunSelection_RejectsTheOption()
    {
        var ml = new MLContext(seed: 1);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.SparseMlp(
            new SparseMlpMulticlassTrainer.Options { ParameterSelection = { CheckpointDirectory = Folder() } }).Fit(Wine()));
        StringAssert.Contains(error.Message, "ParameterSelection.CheckpointDirectory");
    }

    private static SparseMlpPredictionTransformer Fit(IDataView data, string? folder, Action<SparseMlpProgress>? onProgress, out List<int> runs,
        CancellationToken cancellation = default, int seed = 123)
    {
        var trained = new List<int>();
        var options = new SparseMlpMulticlassTrainer.Options
        {
            HiddenLayerSizes = [16], TargetSparsity = 0.8f, NumberOfEpochs = 30, BatchSize = 32, NumberOfThreads = 1, Seed = seed,
            SelectionStrategy = SelectionStrategy.GradientMedianBracket, ParameterSelection = { CheckpointDirectory = folder }, CancellationToken = cancellation,
            Progress = new SynchronousProgress(p =>
            {
                if (p.Epoch == 1 && p.SelectionIteration >= 0)
                    trained.Add(p.SelectionIteration);
                onProgress?.Invoke(p);
            }),
        };
        var model = new MLContext(seed: 1).MulticlassClassification.Trainers.SparseMlp(options).Fit(data);
        runs = trained;
        return model;
    }

    private static void AssertSameNetwork(SparseMlpModelParameters expected, SparseMlpModelParameters actual)
    {
        CollectionAssert.AreEqual(expected.Lambdas.ToArray(), actual.Lambdas.ToArray(), "λ");
        for (int j = 0; j < expected.Layers.Count; j++)
        {
            Assert.IsTrue(expected.Layers[j].DenseWeights.SequenceEqual(actual.Layers[j].DenseWeights), $"layer {j} weights");
            Assert.IsTrue(expected.Layers[j].Values.SequenceEqual(actual.Layers[j].Values), $"layer {j} values");
            Assert.IsTrue(expected.Layers[j].Biases.SequenceEqual(actual.Layers[j].Biases), $"layer {j} biases");
        }
    }

    private static string Folder() => Path.Combine(Path.GetTempPath(), "sparsel1-checkpoint-" + Guid.NewGuid().ToString("N"));

    private static IDataView Wine()
    {
        var ml = new MLContext(seed: 1);
        var data = Infrastructure.RealData.Load(ml, "wine.csv", 13);
        return ml.Data.Cache(ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data));
    }
}
