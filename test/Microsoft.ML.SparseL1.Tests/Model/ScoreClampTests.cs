// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Format;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Model;

/// <summary>
/// A regression network clamps its finite scores to the range of its training labels (<see cref="CompactMlp.ScoreRange"/>,
/// <see cref="SparseMlpRegressionTrainer.Options.ClampScoresToLabelRange"/>): against a naive reference (the network
/// without a range, its scores clamped by hand), on every scoring path, after a save and load, and end to end through the
/// trainer.
/// </summary>
[TestClass]
public class ScoreClampTests
{
    /// <summary>
    /// The single-row, sparse-row and block paths (one and two threads) give the range-less network's scores clamped by
    /// hand, bit for bit: scores below, inside and above the range, and NaN (a NaN input) kept.
    /// </summary>
    [TestMethod]
    public void Predict_ClampsFiniteScores_OnEveryPath()
    {
        var parameters = MlpParameters.Initialize([3, 6, 1], seed: 4);
        var plain = CompactMlp.FromParameters(parameters);
        var random = new Random(7);
        const int Rows = 300;
        float[] rows = Enumerable.Range(0, Rows * 3).Select(_ => (float)(random.NextDouble() * 20 - 10)).ToArray();
        rows[5 * 3 + 1] = float.NaN;
        float[] raw = new float[Rows];
        plain.PredictBatch(rows, Rows, raw);
        float[] sorted = raw.Where(float.IsFinite).Order().ToArray();
        // The middle half of the scores: a quarter of the rows below the range and a quarter above.
        var range = new InputRange([sorted[sorted.Length / 4]], [sorted[sorted.Length * 3 / 4]]);
        var clamped = CompactMlp.FromParameters(parameters, scoreRange: range);
        Assert.AreSame(range, clamped.ScoreRange);

        var scratch = (new float[clamped.MaxWidth], new float[clamped.MaxWidth]);
        float[] expected = new float[Rows], single = new float[1], sparse = new float[1];
        int below = 0, above = 0;
        for (int r = 0; r < Rows; r++)
        {
            var row = rows.AsSpan(r * 3, 3);
            plain.Predict(row, single, scratch);
            expected[r] = float.IsFinite(single[0]) ? Math.Clamp(single[0], range.Lower[0], range.Upper[0]) : single[0];
            below += single[0] < range.Lower[0] ? 1 : 0;
            above += single[0] > range.Upper[0] ? 1 : 0;
            clamped.Predict(row, single, scratch);
            Assert.AreEqual(expected[r], single[0], $"row {r}: single row");
            clamped.PredictSparse([0, 1, 2], row, sparse, scratch);
            float sparseExpected = SparseOf(plain, row, scratch);
            Assert.AreEqual(float.IsFinite(sparseExpected) ? Math.Clamp(sparseExpected, range.Lower[0], range.Upper[0]) : sparseExpected, sparse[0], $"row {r}: sparse row");
        }

        Assert.IsGreaterThan(50, below, "fixture: rows below the range");
        Assert.IsGreaterThan(50, above, "fixture: rows above the range");
        Assert.IsTrue(float.IsNaN(expected[5]), "fixture: a NaN input gives NaN");
        foreach (int threads in new[] { 1, 2 })
        {
            float[] batch = new float[Rows];
            clamped.PredictBatch(rows, Rows, batch, threads);
            float[] plainBatch = new float[Rows];
            plain.PredictBatch(rows, Rows, plainBatch, threads);
            for (int r = 0; r < Rows; r++)
            {
                float want = float.IsFinite(plainBatch[r]) ? Math.Clamp(plainBatch[r], range.Lower[0], range.Upper[0]) : plainBatch[r];
                Assert.AreEqual(want, batch[r], $"row {r}, {threads} thread(s): block path");
            }
        }
    }

    /// <summary>The range-less network's score of a row given as a sparse row (every slot listed).</summary>
    private static float SparseOf(CompactMlp plain, ReadOnlySpan<float> row, (float[] A, float[] B) scratch)
    {
        float[] score = new float[1];
        plain.PredictSparse([0, 1, 2], row, score, scratch);
        return score[0];
    }

    /// <summary>The range survives the model file; a forged file whose bounds cross is refused, naming the field.</summary>
    [TestMethod]
    public void SaveAndLoad_KeepsTheScoreRange_AndRefusesCrossedBounds()
    {
        var parameters = MlpParameters.Initialize([3, 4, 1], seed: 2);
        var range = new InputRange([-0.25f], [0.5f]);
        var model = new SparseMlpModelParameters(SparseMlpTask.Regression, CompactMlp.FromParameters(parameters, scoreRange: range), [], [3, 4, 1], [0f, 0f],
            parameters.CountNonZeroWeights(), null);
        var loaded = ModelBytes.Reload(model);
        CollectionAssert.AreEqual(range.Lower, loaded.Network.ScoreRange!.Lower);
        CollectionAssert.AreEqual(range.Upper, loaded.Network.ScoreRange!.Upper);

        var error = Assert.ThrowsExactly<ArgumentException>(() => new CompactMlp(3, CompactMlp.FromParameters(parameters).Layers, scoreRange: new InputRange([0f, 0f], [1f, 1f])));
        StringAssert.Contains(error.Message, "score range has 2 outputs, not 1");

        // The payload ends with the upper bound, then the checksum: an upper bound below the lower one is refused.
        byte[] bytes = ModelBytes.Of(model);
        System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(bytes.Length - 4 - 4), -1f);
        var forged = Assert.ThrowsExactly<InvalidDataException>(() => ModelReader.Read(new MemoryStream(Microsoft.ML.SparseL1.Tests.Format.ModelFormatFuzzTests.Reseal(bytes))));
        StringAssert.Contains(forged.Message, "scoreRange.lower[0]");

        // A file of the version before (its payload ends without hasScoreRange) loads without a range and scores as before.
        var plain = new SparseMlpModelParameters(SparseMlpTask.Regression, CompactMlp.FromParameters(parameters), [], [3, 4, 1], [0f, 0f],
            parameters.CountNonZeroWeights(), null);
        byte[] current = ModelBytes.Of(plain);
        byte[] older = [.. current.AsSpan(0, current.Length - 8), .. current.AsSpan(current.Length - 4)];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(older.AsSpan(8), ModelFormat.ScoreRangeVersion - 1);
        var olderModel = ModelReader.Read(new MemoryStream(Microsoft.ML.SparseL1.Tests.Format.ModelFormatFuzzTests.Reseal(older))).Model;
        Assert.IsNull(olderModel.Network.ScoreRange);
        float[] row = [2f, -3f, 0.5f];
        CollectionAssert.AreEqual(plain.PredictRaw(row), olderModel.PredictRaw(row));

        // A score range on a classifier (whose outputs are logits) is refused.
        var binary = new SparseMlpModelParameters(SparseMlpTask.BinaryClassification, CompactMlp.FromParameters(parameters, scoreRange: range), [], [3, 4, 1],
            [0f, 0f], parameters.CountNonZeroWeights(), null);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ModelBytes.Reload(binary)).Message, "hasScoreRange");
    }

    private sealed class Row
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    private sealed class BinaryRow
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    /// <summary>
    /// A regression of a + b trained on the rows with a + b at most 1: the corner (1, 1) is inside each input's range, and
    /// the network, linear there, scores it near 2. Delivered with the labels' range, it scores the largest training label
    /// (through the transformer and after a save and load of the zip); asked not to, above it, and with no range. A
    /// classifier has none.
    /// </summary>
    [TestMethod]
    public void Trainer_ClampsScoresToTheLabelRange_UnlessAskedNot()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(3);
        var rows = Enumerable.Range(0, 2000).Select(_ => (a: (float)random.NextDouble(), b: (float)random.NextDouble()))
            .Where(p => p.a + p.b <= 1f).Select(p => new Row { Features = [p.a, p.b], Label = p.a + p.b }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var probe = ml.Data.LoadFromEnumerable(new[] { new Row { Features = [1f, 1f] } });
        float top = rows.Max(r => r.Label), bottom = rows.Min(r => r.Label);

        var clamped = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { TargetSparsity = 0.5f, PiecewiseLinearBins = 0 }).Fit(data);
        var range = clamped.Model.Network.ScoreRange ?? throw new AssertFailedException("a regression model has a score range");
        CollectionAssert.AreEqual(new[] { bottom }, range.Lower);
        CollectionAssert.AreEqual(new[] { top }, range.Upper);
        using var stream = new MemoryStream();
        ml.Model.Save(clamped, data.Schema, stream);
        stream.Position = 0;
        foreach (var (name, transformer) in new[] { ("trained", (ITransformer)clamped), ("loaded", ml.Model.Load(stream, out _)) })
            Assert.AreEqual(top, transformer.Transform(probe).GetColumn<float>("Score").Single(), $"{name}: the corner scores the largest label");

        var free = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { TargetSparsity = 0.5f, PiecewiseLinearBins = 0, ClampScoresToLabelRange = false }).Fit(data);
        Assert.IsNull(free.Model.Network.ScoreRange);
        Assert.IsGreaterThan(top + 0.3f, free.Transform(probe).GetColumn<float>("Score").Single(), "unclamped, the network extrapolates towards 2");

        var classes = ml.Data.LoadFromEnumerable(rows.Select(r => new BinaryRow { Features = r.Features, Label = r.Label > 0.5f }));
        Assert.IsNull(ml.BinaryClassification.Trainers.SparseMlp().Fit(classes).Model.Network.ScoreRange, "a classifier's scores are not clamped");
    }
}
