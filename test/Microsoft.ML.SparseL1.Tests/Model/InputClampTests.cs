// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Model;

/// <summary>
/// The predictor clamps finite inputs to their training range (<see cref="InputRange"/>): against a naive reference
/// (clamp each value by hand, then the network without a range), on the single-row and block paths, after a save and
/// load, and end to end through the trainer.
/// </summary>
[TestClass]
public class InputClampTests
{
    /// <summary>
    /// <see cref="InputRange.Clamp"/> (vectorized where the hardware allows) gives, bit for bit, the value a scalar clamp of
    /// each finite input gives: below, above, inside and on the bounds, zeros of both signs, NaN and infinities kept as
    /// they are; over a length with a tail after the last vector, a row and a feature-major block (<see
    /// cref="InputRange.ClampFeatureMajor"/>), on this machine's path and the scalar one.
    /// </summary>
    [TestMethod]
    public void Clamp_IsTheScalarClampOfEachFiniteValue_BitForBit()
    {
        const int Inputs = 37;
        var random = new Random(5);
        float[] lower = Enumerable.Range(0, Inputs).Select(i => i % 5 == 0 ? 0f : (float)(random.NextDouble() - 1)).ToArray();
        float[] upper = lower.Select((l, i) => i % 9 == 0 ? l : l + (float)random.NextDouble() * 2).ToArray();
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, float.MaxValue, -float.MaxValue, float.Epsilon];
        float[] row = Enumerable.Range(0, Inputs).Select(i => i < special.Length ? special[i] : i % 4 == 0 ? lower[i] : i % 4 == 1 ? upper[i] : (float)(random.NextDouble() * 4 - 2)).ToArray();
        float[] expected = row.Select((v, i) => float.IsFinite(v) ? Math.Clamp(v, lower[i], upper[i]) : v).ToArray();
        var range = new InputRange(lower, upper);
        foreach (var path in new[] { KernelDispatch.Hardware, KernelPath.Scalar })
        {
            using (KernelDispatch.OverrideForTesting(path))
            {
                var actual = new float[Inputs];
                range.Clamp(row, actual);
                CollectionAssert.AreEqual(expected.Select(BitConverter.SingleToInt32Bits).ToArray(), actual.Select(BitConverter.SingleToInt32Bits).ToArray(), path.ToString());
                // Feature-major, 19 rows (a tail after each input's last vector): row r is the row rotated by r.
                const int Rows = 19;
                var block = new float[Inputs * Rows];
                for (int i = 0; i < Inputs; i++)
                {
                    for (int r = 0; r < Rows; r++)
                        block[i * Rows + r] = row[(i + r) % Inputs];
                }

                range.ClampFeatureMajor(block, Rows);
                for (int i = 0; i < Inputs; i++)
                {
                    for (int r = 0; r < Rows; r++)
                    {
                        float value = row[(i + r) % Inputs];
                        float clamped = float.IsFinite(value) ? Math.Clamp(value, lower[i], upper[i]) : value;
                        Assert.AreEqual(BitConverter.SingleToInt32Bits(clamped), BitConverter.SingleToInt32Bits(block[i * Rows + r]), $"{path}: input {i}, row {r}");
                    }
                }
            }
        }

        Assert.ThrowsExactly<ArgumentException>(() => range.Clamp(row.AsSpan(1), new float[Inputs]));
    }

    [TestMethod]
    public void Measure_TakesTheFiniteExtremesOfEachColumn_AndLeavesAllMissingColumnsAtZero()
    {
        float[] rows = [1f, float.NaN, -2f, 5f, float.NaN, 3f, float.PositiveInfinity, float.NaN, 0.5f];
        var (lower, upper) = InputRange.Extremes(rows, 3, 3);
        var range = InputRange.FromExtremes(lower, upper, 3);
        CollectionAssert.AreEqual(new[] { 1f, 0f, -2f }, range.Lower);
        CollectionAssert.AreEqual(new[] { 5f, 0f, 3f }, range.Upper);

        const float none = float.PositiveInfinity;
        var union = InputRange.FromExtremes([1f, none, -2f, -4f, 7f, none], [5f, -none, 3f, -1f, 8f, -none], 3);
        CollectionAssert.AreEqual(new[] { -4f, 7f, -2f }, union.Lower, "a part whose column held no finite value does not widen the range to 0");
        CollectionAssert.AreEqual(new[] { 5f, 8f, 3f }, union.Upper);

        // A part whose column is all zeros widens the others' range to 0 (a shard without a one-hot category).
        var zeros = InputRange.FromExtremes([0f, 5f], [0f, 5f], 1);
        Assert.AreEqual(0f, zeros.Lower[0]);
        Assert.AreEqual(5f, zeros.Upper[0]);
    }

    [TestMethod]
    public void Predict_ClampsFiniteValues_KeepsNonFiniteOnes_OnTheSingleRowAndBlockPaths()
    {
        var parameters = MlpParameters.Initialize([6, 9, 2], seed: 3);
        var random = new Random(5);
        for (int i = 0; i < parameters.Weights[0].Length; i++)
            parameters.Weights[0][i] = random.NextDouble() < 0.7 ? 0f : parameters.Weights[0][i];
        var plain = CompactMlp.FromParameters(parameters);
        var range = new InputRange([-1f, -1f, 0f, 2f, -3f, -0.5f], [1f, 2f, 0f, 4f, 3f, 0.5f]);
        var clamped = CompactMlp.FromParameters(parameters, range);

        const int rows = 70;
        float[] x = TestData.Uniform(random, rows * 6, 5f);
        x[7] = float.NaN;
        x[20] = float.PositiveInfinity;
        float[] byHand = x.Select((v, k) => float.IsFinite(v) ? Math.Clamp(v, range.Lower[k % 6], range.Upper[k % 6]) : v).ToArray();
        Assert.IsGreaterThan(rows, x.Where((v, k) => v != byHand[k]).Count(), "fixture: many values lie outside the range");

        var batch = new float[rows * 2];
        clamped.PredictBatch(x, rows, batch);
        var scratch = (new float[clamped.MaxWidth], new float[clamped.MaxWidth]);
        for (int r = 0; r < rows; r++)
        {
            var expected = new float[2];
            var single = new float[2];
            plain.Predict(byHand.AsSpan(r * 6, 6), expected, scratch);
            clamped.Predict(x.AsSpan(r * 6, 6), single, scratch);
            CollectionAssert.AreEqual(expected, single, $"row {r}: the same as the network without a range on the clamped row, bit for bit");
            for (int c = 0; c < 2; c++)
            {
                if (float.IsNaN(expected[c]))
                    Assert.IsTrue(float.IsNaN(batch[r * 2 + c]), $"row {r} output {c} (block path): NaN as on the single-row path");
                else
                    TestData.AssertClose(expected[c], batch[r * 2 + c], 1e-5, 1e-6, $"row {r} output {c} (block path)");
            }
        }

        Assert.IsTrue(float.IsNaN(batch[1 * 2]) || float.IsNaN(batch[1 * 2 + 1]), "a NaN input still gives the dense product's NaN");
    }

    [TestMethod]
    public void SaveAndLoad_KeepsTheRange_AndOlderFilesHaveNone()
    {
        var parameters = MlpParameters.Initialize([3, 4, 1], seed: 2);
        var range = new InputRange([0f, -1f, 2f], [1f, 1f, 6f]);
        var model = new SparseMlpModelParameters(SparseMlpTask.Regression, CompactMlp.FromParameters(parameters, range), [], [3, 4, 1], [0f, 0f],
            parameters.CountNonZeroWeights(), null);
        var loaded = ModelBytes.Reload(model);
        CollectionAssert.AreEqual(range.Lower, loaded.Network.InputRange!.Lower);
        CollectionAssert.AreEqual(range.Upper, loaded.Network.InputRange!.Upper);
        float[] outside = [5f, -7f, 100f];
        CollectionAssert.AreEqual(model.PredictRaw(outside), loaded.PredictRaw(outside));
        CollectionAssert.AreEqual(model.PredictRaw([1f, -1f, 6f]), loaded.PredictRaw(outside), "the corner of the range");
    }

    private sealed class Row
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    /// <summary>
    /// A regression trained on inputs in [0, 1]: a row far outside scores what the nearest corner of the training range
    /// scores, through the ML.NET transformer and after a save and load of the zip.
    /// </summary>
    [TestMethod]
    public void Trainer_DeliversANetworkThatClampsToTheTrainingRange()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(4);
        var rows = Enumerable.Range(0, 300).Select(_ =>
        {
            float a = (float)random.NextDouble(), b = (float)random.NextDouble();
            return new Row { Features = [a, b], Label = 3 * a - b };
        }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { NumberOfEpochs = 5, LearningRate = 1e-3f }).Fit(data);
        var range = model.Model.Network.InputRange!;
        CollectionAssert.AreEqual(new[] { rows.Min(r => r.Features[0]), rows.Min(r => r.Features[1]) }, range.Lower);
        CollectionAssert.AreEqual(new[] { rows.Max(r => r.Features[0]), rows.Max(r => r.Features[1]) }, range.Upper);

        var probe = ml.Data.LoadFromEnumerable(new[] { new Row { Features = [40f, -30f] }, new Row { Features = [range.Upper[0], range.Lower[1]] } });
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        foreach (var (name, transformer) in new[] { ("trained", (ITransformer)model), ("loaded", ml.Model.Load(stream, out _)) })
        {
            float[] scores = transformer.Transform(probe).GetColumn<float>("Score").ToArray();
            Assert.AreEqual(scores[1], scores[0], $"{name}: a row far outside scores as the corner of the range");
        }
    }
}
