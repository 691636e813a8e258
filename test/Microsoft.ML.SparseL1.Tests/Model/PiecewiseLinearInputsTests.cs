// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Format;
using Microsoft.ML.SparseL1.Tests.Format;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Model;

/// <summary>
/// The piecewise-linear input encoding (<see cref="PiecewiseLinearInputs"/>): its edges against order statistics taken by
/// hand, each slot against the formula written out, the predictor against the plain network on rows encoded by hand (single
/// row and block paths), the model file round trip, and the trainer's option end to end and its refusals.
/// </summary>
[TestClass]
public class PiecewiseLinearInputsTests
{
    /// <summary>
    /// Column 0 has 101 distinct values (0 … 100, shuffled): 4 bins cut it at the order statistics 0, 25, 50, 75, 100.
    /// Column 1 takes two values (a one-hot slot): passed on. Column 2 is 0 on 98 rows and 5, 9 on two: its quantiles
    /// collapse to 0 but the last, so it gets one bin [0, 9]. Non-finite values are left out of the quantiles.
    /// </summary>
    [TestMethod]
    public void Measure_CutsAtTheOrderStatistics_PassesTwoValuedInputs_AndMergesEqualEdges()
    {
        const int Rows = 101;
        var random = new Random(3);
        int[] order = Enumerable.Range(0, Rows).OrderBy(_ => random.Next()).ToArray();
        var features = new float[Rows * 3];
        for (int r = 0; r < Rows; r++)
        {
            features[r * 3] = order[r];
            features[r * 3 + 1] = r % 3 == 0 ? 1f : 0f;
            features[r * 3 + 2] = r == 10 ? 5f : r == 20 ? 9f : 0f;
        }

        features[7 * 3] = float.NaN;
        var encoding = PiecewiseLinearInputs.Measure(features, Rows, 3, bins: 4);
        float[] finite = features.Where((_, k) => k % 3 == 0).Where(float.IsFinite).Order().ToArray();
        float[] expected = Enumerable.Range(0, 5).Select(q => finite[(int)Math.Round(q * (finite.Length - 1) / 4.0, MidpointRounding.AwayFromZero)]).ToArray();
        CollectionAssert.AreEqual(expected, encoding.Edges[0]);
        Assert.IsEmpty(encoding.Edges[1]);
        CollectionAssert.AreEqual(new[] { 0f, 9f }, encoding.Edges[2]);
        Assert.AreEqual(4 + 1 + 1, encoding.Width);
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 0, 1, 2 }, encoding.SlotSources);
    }

    /// <summary>
    /// Each slot is clamp((x − left) / (right − left), 0, 1) for a bin and x itself for a passed input, bit for bit against
    /// the formula written out; NaN stays NaN, an infinity fills or empties a bin and passes as itself; the row and the
    /// feature-major block give the same bits.
    /// </summary>
    [TestMethod]
    public void Encode_IsTheRampOfEachBin_AndPassesOtherInputs_BitForBit()
    {
        var encoding = new PiecewiseLinearInputs([[-1f, 0.5f, 2f, 7f], [], [3f, 3.25f]]);
        float[][] rows =
        [
            [-5f, 4f, 3.1f], [-1f, -0f, 3f], [0.7f, 1e30f, 3.25f], [7f, 0.1f, 9f], [float.NaN, float.NaN, float.NegativeInfinity],
            [float.PositiveInfinity, float.PositiveInfinity, 3.2f], [1.9999f, -2f, 3.0001f],
        ];
        static float Ramp(float x, float left, float right) => Math.Clamp((x - left) / (right - left), 0f, 1f);
        const int Block = 7;
        var block = new float[3 * Block];
        for (int r = 0; r < Block; r++)
        {
            for (int i = 0; i < 3; i++)
                block[i * Block + r] = rows[r][i];
        }

        var encodedBlock = new float[encoding.Width * Block];
        encoding.EncodeFeatureMajor(block, Block, encodedBlock);
        for (int r = 0; r < rows.Length; r++)
        {
            float[] x = rows[r];
            float[] expected = [Ramp(x[0], -1f, 0.5f), Ramp(x[0], 0.5f, 2f), Ramp(x[0], 2f, 7f), x[1], Ramp(x[2], 3f, 3.25f)];
            var actual = new float[encoding.Width];
            encoding.Encode(x, actual);
            for (int s = 0; s < expected.Length; s++)
            {
                if (float.IsNaN(expected[s]))
                    Assert.IsTrue(float.IsNaN(actual[s]), $"row {r} slot {s}: NaN stays NaN");
                else
                    Assert.AreEqual(BitConverter.SingleToInt32Bits(expected[s]), BitConverter.SingleToInt32Bits(actual[s]), $"row {r} slot {s}");
                Assert.AreEqual(BitConverter.SingleToInt32Bits(actual[s]), BitConverter.SingleToInt32Bits(encodedBlock[s * Block + r]), $"row {r} slot {s}: the block's bits");
            }
        }

        Assert.AreEqual(1f, encodedBlock[0 * Block + 5], "+∞ fills the bins");
        Assert.AreEqual(0f, encodedBlock[4 * Block + 4], "−∞ empties them");
        Assert.AreEqual(float.PositiveInfinity, encodedBlock[3 * Block + 5], "a passed input passes +∞");
    }

    [TestMethod]
    public void Constructor_RefusesEdgesThatDoNotIncrease_NamingTheInput()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new PiecewiseLinearInputs([[], [1f, 1f]])).Message, "Input 1");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new PiecewiseLinearInputs([[2f]])).Message, "Input 0 has 1 edges");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new PiecewiseLinearInputs([[0f, float.NaN]])).Message, "edge 1");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new PiecewiseLinearInputs([[-float.MaxValue, float.MaxValue]])).Message, "finite gaps");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => PiecewiseLinearInputs.Measure(new float[4], 2, 2, bins: 1));
    }

    /// <summary>
    /// A network on encoded slots predicts, on the single-row path and through a model file, bit for bit what the plain
    /// network predicts on rows clamped and encoded by hand, and within rounding on the block path.
    /// </summary>
    [TestMethod]
    public void Predict_IsThePlainNetworkOnTheRowsEncodedByHand_AndSurvivesTheModelFile()
    {
        var random = new Random(9);
        const int Inputs = 5, Rows = 90;
        float[] training = TestData.Uniform(random, Rows * Inputs, 3f);
        for (int r = 0; r < Rows; r++)
            training[r * Inputs + 2] = r % 2;
        var encoding = PiecewiseLinearInputs.Measure(training, Rows, Inputs, bins: 5);
        var range = InputRange.FromExtremes(InputRange.Extremes(training, Rows, Inputs).Lower, InputRange.Extremes(training, Rows, Inputs).Upper, Inputs);
        var parameters = MlpParameters.Initialize([encoding.Width, 8, 3], seed: 4);
        TestData.KeepFraction(parameters.Weights[0], 0.3, random);
        var plain = CompactMlp.FromParameters(parameters);
        var encoded = CompactMlp.FromParameters(parameters, range, encoding);
        Assert.AreEqual(Inputs, encoded.InputCount);

        float[] x = TestData.Uniform(random, Rows * Inputs, 5f);
        x[11] = float.NaN;
        var model = new SparseMlpModelParameters(SparseMlpTask.MulticlassClassification, encoded, [], [encoding.Width, 8, 3], [0f, 0f], parameters.CountNonZeroWeights(), null);
        byte[] bytes = ModelBytes.Of(model);
        var loaded = ModelReader.Read(new MemoryStream(bytes)).Model;
        for (int e = 0; e < Inputs; e++)
            CollectionAssert.AreEqual(encoding.Edges[e], loaded.Network.Encoding!.Edges[e], $"input {e}'s edges after the file");

        var batch = new float[Rows * 3];
        encoded.PredictBatch(x, Rows, batch);
        var scratch = (new float[plain.MaxWidth], new float[plain.MaxWidth]);
        for (int r = 0; r < Rows; r++)
        {
            var row = x.AsSpan(r * Inputs, Inputs);
            var clamped = new float[Inputs];
            for (int i = 0; i < Inputs; i++)
                clamped[i] = float.IsFinite(row[i]) ? Math.Clamp(row[i], range.Lower[i], range.Upper[i]) : row[i];
            var slots = new float[encoding.Width];
            encoding.Encode(clamped, slots);
            var expected = new float[3];
            plain.Predict(slots, expected, scratch);
            CollectionAssert.AreEqual(expected, model.PredictRaw(row), $"row {r}: single row");
            CollectionAssert.AreEqual(expected, loaded.PredictRaw(row), $"row {r}: after the model file");
            for (int c = 0; c < 3; c++)
            {
                if (float.IsNaN(expected[c]))
                    Assert.IsTrue(float.IsNaN(batch[r * 3 + c]), $"row {r} output {c}: NaN on the block path too");
                else
                    TestData.AssertClose(expected[c], batch[r * 3 + c], 1e-5, 1e-6, $"row {r} output {c} (block path)");
            }
        }

        Assert.IsTrue(float.IsNaN(batch[2 * 3]), "the row with a NaN input");
        Assert.ThrowsExactly<InvalidOperationException>(() => encoded.PredictSparse([0], [1f], new float[3], scratch));

        // A forged file whose last input's last edge falls below the one before is refused, naming that edge (the payload
        // ends with the edge, then hasScoreRange 0, then the checksum).
        int lastEdge = bytes.Length - 4 - 4 - 4;
        float[] lastEdges = encoding.Edges[Inputs - 1].Length > 0 ? encoding.Edges[Inputs - 1] : throw new AssertFailedException("fixture: the last input has bins");
        System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(lastEdge), lastEdges[^2] - 1f);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => ModelReader.Read(new MemoryStream(ModelFormatFuzzTests.Reseal(bytes))));
        StringAssert.Contains(error.Message, $"inputEncoding[{Inputs - 1}].edges[{lastEdges.Length - 1}]");
    }

    /// <summary>
    /// With <c>PiecewiseLinearBins</c> null the trainer logs both candidates' 3-fold scores (the error rate for
    /// classification, the loss for regression) and delivers the one with the lower; it does not choose on fewer than
    /// 100 rows, when the option is set, or when more than 256 inputs have many values.
    /// </summary>
    [TestMethod]
    public void Trainer_ChoosesTheEncodingWithTheBetterValidationScore_AndLogsBoth()
    {
        var ml = new MLContext(seed: 1);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        ml.Log += (_, e) => log.Enqueue(e.Message);
        var random = new Random(8);
        Row Smooth()
        {
            float a = (float)random.NextDouble(), b = (float)random.NextDouble();
            return new Row { Features = [a, b, random.Next(2)], Label = a + 0.5f * b + 0.1f * (float)random.NextDouble() > 0.8f };
        }

        var regression = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 400).Select(_ => Smooth()).Select(r => new RegressionRow { Features = r.Features, Label = 2 * r.Features[0] - r.Features[1] }).ToArray());
        var binary = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 400).Select(_ => Smooth()).ToArray());
        foreach (var (data, isRegression) in new[] { (regression, true), (binary, false) })
        {
            log.Clear();
            var model = isRegression
                ? ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { NumberOfEpochs = 20 }).Fit(data).Model
                : (SparseMlpModelParameters)ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { NumberOfEpochs = 20 }).Fit(data).Model;
            string choice = log.Single(m => m.Contains("Inputs ", StringComparison.Ordinal) && m.Contains("chosen by 3-fold cross-validation", StringComparison.Ordinal));
            var parts = System.Text.RegularExpressions.Regex.Match(choice, @"(Inputs [a-z -]+?) chosen by .*; validation (loss|error rate) as they are: (\S+), in 8 bins: (\S+)\.$");
            Assert.IsTrue(parts.Success, choice);
            Assert.AreEqual(isRegression ? "loss" : "error rate", parts.Groups[2].Value, choice);
            double plain = double.Parse(parts.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
            double encoded = double.Parse(parts.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture);
            bool encodes = encoded < plain;
            Assert.AreEqual(encodes ? "Inputs encoded piecewise-linearly" : "Inputs as they are", parts.Groups[1].Value, choice);
            Assert.AreEqual(encodes ? 8 : 0, model.PiecewiseLinearBins, "the delivered model is the chosen one");
        }

        log.Clear();
        ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { NumberOfEpochs = 5 }).Fit(ml.Data.LoadFromEnumerable(Enumerable.Range(0, 99).Select(_ => Smooth()).ToArray()));
        ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { NumberOfEpochs = 5, PiecewiseLinearBins = 0 }).Fit(binary);
        var wide = Enumerable.Range(0, 150).Select(r => new ManyNumericInputsRow { Features = TestData.Uniform(random, 257, 1f), Label = r % 2 == 0 }).ToArray();
        ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { NumberOfEpochs = 5 }).Fit(ml.Data.LoadFromEnumerable(wide));
        Assert.IsFalse(log.Any(m => m.Contains("chosen by 3-fold", StringComparison.Ordinal)),
            "no choice below 100 rows, when the option is set, nor on more than 256 inputs of many values");
    }

    private sealed class ManyNumericInputsRow
    {
        [VectorType(257)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    private sealed class RegressionRow
    {
        [VectorType(3)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    private sealed class Row
    {
        [VectorType(3)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    /// <summary>
    /// A label that switches at thresholds of a heavy-tailed count (as trees split): with 8 bins the trainer delivers a
    /// model whose encoding is measured on the training rows, which scores the same after a save and load of the zip, and
    /// fits the thresholds better than the same network on the inputs as they are (training accuracy); left to choose
    /// (null), the trainer takes the bins here and delivers bit for bit the model 8 bins give.
    /// </summary>
    [TestMethod]
    public void Trainer_EncodesTheInputs_SavesAndLoads_AndFitsThresholdsOfASkewedInput()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(6);
        var rows = Enumerable.Range(0, 1500).Select(_ =>
        {
            float count = MathF.Floor(MathF.Exp((float)random.NextDouble() * 8f)), other = (float)random.NextDouble();
            bool label = (count is > 20 and < 60) || count > 900;
            return new Row { Features = [count, other, random.Next(2)], Label = label };
        }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        SparseMlpBinaryTrainer.Options Options(int? bins) => new() { PiecewiseLinearBins = bins, NumberOfEpochs = 30, TargetSparsity = 0.5f };
        var encoded = ml.BinaryClassification.Trainers.SparseMlp(Options(8)).Fit(data);
        var plain = ml.BinaryClassification.Trainers.SparseMlp(Options(0)).Fit(data);
        var chosen = ml.BinaryClassification.Trainers.SparseMlp(Options(null)).Fit(data);
        var encoding = encoded.Model.Network.Encoding ?? throw new AssertFailedException("the model encodes its inputs");
        Assert.AreEqual(9, encoding.Edges[0].Length, "the count gets 8 bins");
        Assert.IsEmpty(encoding.Edges[2], "the two-valued input is passed on");
        StringAssert.Contains(encoded.Model.ToString(), "Inputs encoded piecewise-linearly: 3 inputs into");

        double encodedAccuracy = ml.BinaryClassification.Evaluate(encoded.Transform(data)).Accuracy;
        double plainAccuracy = ml.BinaryClassification.Evaluate(plain.Transform(data)).Accuracy;
        Assert.IsGreaterThan(plainAccuracy + 0.02, encodedAccuracy, $"the bins fit the thresholds better: {encodedAccuracy:F4} against {plainAccuracy:F4}");
        Assert.AreEqual(0, plain.Model.PiecewiseLinearBins, "0 feeds the inputs as they are");
        Assert.AreEqual(8, encoded.Model.PiecewiseLinearBins);
        Assert.AreEqual(8, chosen.Model.PiecewiseLinearBins, "the trainer's choice: the bins");
        CollectionAssert.AreEqual(encoded.Transform(data).GetColumn<float>("Score").ToArray(), chosen.Transform(data).GetColumn<float>("Score").ToArray(),
            "the chosen encoding trains what PiecewiseLinearBins = 8 trains");

        using var stream = new MemoryStream();
        ml.Model.Save(encoded, data.Schema, stream);
        stream.Position = 0;
        var loaded = ml.Model.Load(stream, out _);
        CollectionAssert.AreEqual(encoded.Transform(data).GetColumn<float>("Score").ToArray(), loaded.Transform(data).GetColumn<float>("Score").ToArray());
    }

    private sealed class WideRow
    {
        [VectorType(40)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    /// <summary>
    /// Rows of one count and 39 one-hot slots (under a tenth nonzero: the reader stores them sparse) train with bins: the
    /// rows are densified, the count is cut into bins and the one-hot slots pass. Each input's importance on data is, as
    /// a reference computed by hand says, the root of the sum over its slots of (slot weight norm · slot standard deviation)².
    /// </summary>
    [TestMethod]
    public void Trainer_EncodesRowsStoredSparse_AndImportanceSumsEachInputsSlots()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(8);
        var rows = Enumerable.Range(0, 600).Select(_ =>
        {
            var features = new float[40];
            features[0] = MathF.Floor(MathF.Exp((float)random.NextDouble() * 6f));
            features[1 + random.Next(39)] = 1f;
            return new WideRow { Features = features, Label = features[0] > 30 || features[3] == 1f };
        }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { PiecewiseLinearBins = 8, NumberOfEpochs = 10 }).Fit(data).Model;
        var encoding = model.Network.Encoding ?? throw new AssertFailedException("the model encodes its inputs");
        Assert.AreEqual(8 + 39, encoding.Width, "the count in 8 bins, the one-hot slots passed");

        double[] importance = model.GetInputImportance(data);
        var first = model.Layers[0];
        var slots = rows.Select(r =>
        {
            var clamped = r.Features.Select((v, i) => Math.Clamp(v, model.Network.InputRange!.Lower[i], model.Network.InputRange.Upper[i])).ToArray();
            var encoded = new float[encoding.Width];
            encoding.Encode(clamped, encoded);
            return encoded;
        }).ToArray();
        var expected = new double[40];
        for (int slot = 0; slot < encoding.Width; slot++)
        {
            double norm = 0;
            for (int o = 0; o < first.OutputCount; o++)
            {
                double w = TestData.Weight(first, o, slot);
                norm += w * w;
            }

            double mean = slots.Average(x => (double)x[slot]);
            double variance = slots.Average(x => ((double)x[slot] - mean) * ((double)x[slot] - mean));
            expected[encoding.SlotSources[slot]] += norm * variance;
        }

        for (int i = 0; i < 40; i++)
            TestData.AssertClose(Math.Sqrt(expected[i]), importance[i], 1e-9, 1e-12, $"input {i}");
        Assert.IsGreaterThan(0, importance[0], "the count is used");
    }

    [TestMethod]
    public void ExperimentSearch_KeepsTheInputsAsTheyAre_ForAWideFeatureVector()
    {
        var options = new SparseMlpExperimentOptions { HiddenLayerWidths = [8], HiddenLayerCounts = [1], TargetSparsities = [0.9f], LearningRateMultipliers = [1f], EpochMultipliers = [1], InputFractions = [1f] };
        var narrow = new Microsoft.ML.SparseL1.Experiment.ExperimentSearch(options, inputs: 1024, defaultHiddenLayers: [8]);
        var wide = new Microsoft.ML.SparseL1.Experiment.ExperimentSearch(options, inputs: 1025, defaultHiddenLayers: [8]);
        Assert.AreEqual(8, narrow.Values(narrow.Next(narrow.Start)!).Bins, "1,024 inputs: the bins are searched");
        narrow.Tried(narrow.Start);
        wide.Tried(wide.Start);
        Assert.IsNull(wide.Next(wide.Start), "1,025 inputs: the inputs as they are is the only encoding");
    }

    [TestMethod]
    public void Trainer_RefusesBadBins_AndTheCombinationsItCannotServe_NamingTheOption()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 40).Select(i => new Row { Features = [i, i % 3, 1f], Label = i % 2 == 0 }));
        foreach (int bins in new[] { 1, 257, -3 })
        {
            var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { PiecewiseLinearBins = bins }).Fit(data));
            StringAssert.Contains(error.Message, "PiecewiseLinearBins");
        }

        var withSelection = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { PiecewiseLinearBins = 8, InputsToKeep = 2 }).Fit(data));
        StringAssert.Contains(withSelection.Message, "InputsToKeep");
    }
}
