// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Onnx;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Onnx;

/// <summary>
/// Pipelines ending in a sparse MLP, exported by ML.NET's own <c>ConvertToOnnx</c> and by our compact export, run in
/// ONNX Runtime on 1,000 rows nobody trained on: every output column must agree with ML.NET's Transform.
/// </summary>
[TestClass]
public class OnnxExportTests
{
    private const int RowsScored = 1000;

    private sealed class Row
    {
        [VectorType(12)]
        public float[] A { get; set; } = [];

        [VectorType(8)]
        public float[] B { get; set; } = [];

        public string Class { get; set; } = string.Empty;

        public bool Positive { get; set; }

        public float Value { get; set; }
    }

    /// <summary>The scored rows: the feature inputs only, so they are the graph's only inputs.</summary>
    private sealed class InputRow
    {
        [VectorType(12)]
        public float[] A { get; set; } = [];

        [VectorType(8)]
        public float[] B { get; set; } = [];
    }

    [TestMethod]
    public void Multiclass_OnnxRuntimeAgreesWithMlNetOnEveryColumn()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Transforms.Concatenate("Features", "A", "B")
            .Append(ml.MulticlassClassification.Trainers.SparseMlp(hiddenLayerSizes: [32, 16]))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedName", "PredictedLabel"))
            .Fit(KeyedRows(ml));

        var (mlNet, onnx, _) = ScoreBoth(ml, model, compact: false);

        AssertClose(mlNet.GetColumn<float[]>("Score").SelectMany(v => v).ToArray(), onnx["Score.output"].AsTensor<float>().ToArray(), "Score");
        CollectionAssert.AreEqual(mlNet.GetColumn<uint>("PredictedLabel").ToArray(), onnx["PredictedLabel.output"].AsTensor<uint>().ToArray(), "PredictedLabel");
        CollectionAssert.AreEqual(mlNet.GetColumn<string>("PredictedName").ToArray(), onnx["PredictedName.output"].AsTensor<string>().ToArray(), "PredictedName");
    }

    /// <summary>
    /// Inputs far outside the training range drive logits above 100, where exp overflows float: the softmax must shift
    /// by the row's maximum (as ONNX Runtime's does), or Score holds NaN and PredictedLabel a wrong class.
    /// </summary>
    [TestMethod]
    public void Multiclass_LogitsAbove100_MlNetAndOnnxRuntimeAgree()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Transforms.Concatenate("Features", "A", "B")
            .Append(ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options
            {
                HiddenLayerSizes = [32, 16],
                // Logits above 100 come from rows 1,000 times wider than the training rows: unclamped, and fed as they are
                // (an encoding's bins stop rising at the edges of the training range).
                ClampInputsToTrainingRange = false,
                PiecewiseLinearBins = 0,
            }))
            .Fit(KeyedRows(ml));
        const float scale = 1000f;

        var (mlNet, onnx, _) = ScoreBoth(ml, model, compact: false, scale);

        var network = model.LastTransformer;
        var rows = Inputs(RowsScored, 99, scale);
        var logits = new float[4];
        int above = rows.Count(r =>
        {
            network.Model.PredictRaw([.. r.A, .. r.B], 1, logits);
            return System.Numerics.Tensors.TensorPrimitives.Max(logits) > 100f;
        });
        Assert.IsGreaterThan(RowsScored / 2, above, "rows with a logit above 100");
        var scores = mlNet.GetColumn<float[]>("Score").SelectMany(v => v).ToArray();
        Assert.IsTrue(scores.All(float.IsFinite), "every probability is finite");
        AssertClose(scores, onnx["Score.output"].AsTensor<float>().ToArray(), "Score");
        CollectionAssert.AreEqual(mlNet.GetColumn<uint>("PredictedLabel").ToArray(), onnx["PredictedLabel.output"].AsTensor<uint>().ToArray(), "PredictedLabel");

        // The one-row path (PredictionEngine) computes its own softmax.
        var engine = ml.Model.CreatePredictionEngine<InputRow, ScoreRow>(model);
        for (int i = 0; i < 50; i++)
            AssertClose(scores.AsSpan(i * 4, 4).ToArray(), engine.Predict(rows[i]).Score, $"row {i} through the PredictionEngine");
    }

    private sealed class ScoreRow
    {
        public float[] Score { get; set; } = [];
    }

    [TestMethod]
    public void Binary_OnnxRuntimeAgreesWithMlNetOnEveryColumn()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Transforms.Concatenate("Features", "A", "B")
            .Append(ml.BinaryClassification.Trainers.SparseMlp("Positive", hiddenLayerSizes: [32, 16]))
            .Fit(ml.Data.LoadFromEnumerable(Rows(1200, 2)));

        var (mlNet, onnx, _) = ScoreBoth(ml, model, compact: false);

        AssertClose(mlNet.GetColumn<float>("Score").ToArray(), onnx["Score.output"].AsTensor<float>().ToArray(), "Score");
        AssertClose(mlNet.GetColumn<float>("Probability").ToArray(), onnx["Probability.output"].AsTensor<float>().ToArray(), "Probability");
        CollectionAssert.AreEqual(mlNet.GetColumn<bool>("PredictedLabel").ToArray(), onnx["PredictedLabel.output"].AsTensor<bool>().ToArray(), "PredictedLabel");
    }

    [TestMethod]
    public void Regression_OnnxRuntimeAgreesWithMlNet_AndCompactFileGivesTheSameOutputs()
    {
        var ml = new MLContext(seed: 1);
        var model = TrainRegression(ml);
        var network = model.LastTransformer.Model;
        Assert.IsTrue(network.Layers.Any(l => l.IsSparse), "the fixture needs a CSR layer");

        var (mlNet, onnx, denseBytes) = ScoreBoth(ml, model, compact: false);
        var (_, compactOnnx, compactBytes) = ScoreBoth(ml, model, compact: true);

        var expected = mlNet.GetColumn<float>("Score").ToArray();
        AssertClose(expected, onnx["Score.output"].AsTensor<float>().ToArray(), "Score");
        CollectionAssert.AreEqual(onnx["Score.output"].AsTensor<float>().ToArray(), compactOnnx["Score.output"].AsTensor<float>().ToArray(),
            "ONNX Runtime densifies the sparse initializers: the same weights, the same outputs");
        Assert.IsLessThan(denseBytes.Length, compactBytes.Length, "the compact file is smaller");
        // Weight matrices the compact export may convert: those below density 1/3 (the size rule), all of them here.
        Assert.AreEqual(network.Layers.Count(l => 3L * l.NonZeroCount < (long)l.InputCount * l.OutputCount), SparseInitializerCount(compactBytes),
            "every weight matrix below density 1/3 is a sparse initializer");
    }

    /// <summary>
    /// The exported graph clamps inputs to the training range as the ML.NET predictor does: rows 1.5 times wider than the
    /// training rows (a third of their values outside the range, a NaN and an infinity among them) score, in ONNX Runtime
    /// and in ML.NET, bit for bit what the same rows clamped by hand score.
    /// </summary>
    [TestMethod]
    public void Regression_InputsOutsideTheTrainingRange_AreClampedInTheGraphAsInMlNet()
    {
        var ml = new MLContext(seed: 1);
        var model = TrainRegression(ml);
        var range = model.LastTransformer.Model.Network.InputRange ?? throw new AssertFailedException("a model trained on dense rows has an input range");
        var wide = Inputs(200, 7, 1.5f);
        wide[3].A[0] = float.NaN;
        wide[5].B[2] = float.PositiveInfinity;
        float Clamp(float v, int i) => float.IsFinite(v) ? Math.Clamp(v, range.Lower[i], range.Upper[i]) : v;
        var byHand = wide.Select(r => new InputRow { A = r.A.Select((v, i) => Clamp(v, i)).ToArray(), B = r.B.Select((v, i) => Clamp(v, 12 + i)).ToArray() }).ToArray();
        Assert.IsGreaterThan(200, wide.Zip(byHand).Sum(p => p.First.A.Zip(p.Second.A).Count(v => v.First != v.Second)), "fixture: many values outside the range");

        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnx(model, ml.Data.LoadFromEnumerable(wide), stream);
        float[] onnxWide = Run(stream.ToArray(), wide)["Score.output"].AsTensor<float>().ToArray();
        float[] onnxByHand = Run(stream.ToArray(), byHand)["Score.output"].AsTensor<float>().ToArray();
        float[] mlNetWide = model.Transform(ml.Data.LoadFromEnumerable(wide)).GetColumn<float>("Score").ToArray();
        float[] mlNetByHand = model.Transform(ml.Data.LoadFromEnumerable(byHand)).GetColumn<float>("Score").ToArray();
        CollectionAssert.AreEqual(onnxByHand, onnxWide, "ONNX Runtime: clamped in the graph = clamped by hand");
        CollectionAssert.AreEqual(mlNetByHand, mlNetWide, "ML.NET: clamped in the predictor = clamped by hand");
        Assert.IsTrue(float.IsNaN(onnxWide[3]) && float.IsNaN(mlNetWide[3]), "a NaN input is not clamped");
        AssertClose(mlNetWide.Where(float.IsFinite).ToArray(), onnxWide.Where(float.IsFinite).ToArray(), "Score");
    }

    /// <summary>
    /// The exported graph clamps a regression's scores to the model's score range as the ML.NET predictor does: the trained
    /// network given the middle half of its scores on the rows scored as its range (so that a quarter of them clamp at
    /// each end), in ONNX Runtime and in ML.NET.
    /// </summary>
    [TestMethod]
    public void Regression_ScoresBeyondTheLabelRange_AreClampedInTheGraphAsInMlNet()
    {
        var ml = new MLContext(seed: 1);
        var trained = TrainRegression(ml);
        var network = trained.LastTransformer.Model.Network;
        Assert.IsNotNull(network.ScoreRange, "a regression model has the labels' range");
        var rows = Inputs(RowsScored, 99);
        float[] raw = trained.Transform(ml.Data.LoadFromEnumerable(rows)).GetColumn<float>("Score").Order().ToArray();
        var range = new InputRange([raw[raw.Length / 4]], [raw[raw.Length * 3 / 4]]);
        var narrowed = new SparseMlpPredictionTransformer(new SparseMlpModelParameters(SparseMlpTask.Regression,
            new CompactMlp(network.InputCount, network.Layers, network.InputRange, network.ScoresByInputs, network.Encoding, range), [],
            trained.LastTransformer.Model.TrainedLayerSizes.ToArray(), trained.LastTransformer.Model.Lambdas.ToArray(),
            trained.LastTransformer.Model.LayerNonZeroCounts.ToArray(), null), "Features");
        var model = new TransformerChain<ITransformer>(trained.First(), narrowed);

        foreach (bool compact in new[] { false, true })
        {
            var (mlNet, onnx, _) = ScoreBoth(ml, model, compact);
            float[] mlNetScores = mlNet.GetColumn<float>("Score").ToArray();
            Assert.IsGreaterThan(RowsScored / 5, mlNetScores.Count(v => v == range.Lower[0]), "a quarter of the rows clamp at the lower bound");
            Assert.IsGreaterThan(RowsScored / 5, mlNetScores.Count(v => v == range.Upper[0]), "a quarter of the rows clamp at the upper bound");
            float[] onnxScores = onnx["Score.output"].AsTensor<float>().ToArray();
            Assert.IsTrue(onnxScores.All(v => v >= range.Lower[0] && v <= range.Upper[0]), $"compact {compact}: every score of the graph is within the range");
            AssertClose(mlNetScores, onnxScores, $"Score (compact {compact})");
        }
    }

    /// <summary>
    /// A model with a piecewise-linear input encoding (<see cref="SparseMlpOptionsBase.PiecewiseLinearBins"/>) exports the
    /// encoding into the graph: ONNX Runtime, in the plain and the compact export, scores rows inside and outside the
    /// training range (with a NaN and an infinity among them) as the ML.NET predictor does.
    /// </summary>
    [TestMethod]
    public void Regression_PiecewiseLinearInputs_OnnxRuntimeAgreesWithMlNet()
    {
        var ml = new MLContext(seed: 1);
        var options = RegressionOptions();
        options.PiecewiseLinearBins = 6;
        var model = ml.Transforms.Concatenate("Features", "A", "B").Append(ml.Regression.Trainers.SparseMlp(options)).Fit(ml.Data.LoadFromEnumerable(Rows(1200, 3)));
        var encoding = model.LastTransformer.Model.Network.Encoding ?? throw new AssertFailedException("the model encodes its inputs");
        Assert.AreEqual(20 * 6, encoding.Width, "every input of the fixture has many values: 6 bins each");

        var wide = Inputs(200, 7, 1.5f);
        wide[3].A[0] = float.NaN;
        wide[5].B[2] = float.PositiveInfinity;
        wide[6].A[4] = float.NegativeInfinity;
        float[] mlNet = model.Transform(ml.Data.LoadFromEnumerable(wide)).GetColumn<float>("Score").ToArray();
        Assert.IsTrue(float.IsNaN(mlNet[3]), "a NaN input gives NaN");
        Assert.IsTrue(float.IsFinite(mlNet[5]) && float.IsFinite(mlNet[6]), "an infinite input fills or empties its bins");
        foreach (bool compact in new[] { false, true })
        {
            using var stream = new MemoryStream();
            if (compact)
                ml.Model.ConvertToCompactOnnx(model, ml.Data.LoadFromEnumerable(wide), stream);
            else
                ml.Model.ConvertToOnnx(model, ml.Data.LoadFromEnumerable(wide), stream);
            float[] onnx = Run(stream.ToArray(), wide)["Score.output"].AsTensor<float>().ToArray();
            Assert.IsTrue(float.IsNaN(onnx[3]), $"compact {compact}: NaN in ONNX Runtime too");
            AssertClose(mlNet.Where(float.IsFinite).ToArray(), onnx.Where(float.IsFinite).ToArray(), $"Score (compact {compact})");
        }
    }

    [TestMethod]
    public void Compact_SparseInitializersHoldExactlyTheNonzeroWeights()
    {
        var ml = new MLContext(seed: 1);
        var model = TrainRegression(ml);
        using var stream = new MemoryStream();
        ml.Model.ConvertToCompactOnnx(model, ml.Data.LoadFromEnumerable(Inputs(10, 5)), stream);

        var parsed = OnnxProtoReader.SparseInitializers(stream.ToArray());

        var layers = model.LastTransformer.Model.Layers;
        foreach (var (name, dims, indices, values) in parsed)
        {
            int j = int.Parse(name[OnnxGraph.WeightPrefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
            var layer = layers[j];
            CollectionAssert.AreEqual(new long[] { layer.OutputCount, layer.InputCount }, dims, $"{name} shape");
            var expectedIndices = new List<long>();
            var expectedValues = new List<float>();
            for (int o = 0; o < layer.OutputCount; o++)
            {
                for (int i = 0; i < layer.InputCount; i++)
                {
                    float w = Infrastructure.TestData.Weight(layer, o, i);
                    if (w != 0f)
                    {
                        expectedIndices.Add((long)o * layer.InputCount + i);
                        expectedValues.Add(w);
                    }
                }
            }

            CollectionAssert.AreEqual(expectedIndices, indices, $"{name} indices (ascending, row-major)");
            CollectionAssert.AreEqual(expectedValues, values, $"{name} values");
        }

        Assert.IsNotEmpty(parsed);
    }

    /// <summary>The regression pipeline of the tests, trained on 1,200 rows.</summary>
    private static TransformerChain<SparseMlpPredictionTransformer> TrainRegression(MLContext ml) =>
        ml.Transforms.Concatenate("Features", "A", "B")
            .Append(ml.Regression.Trainers.SparseMlp(RegressionOptions()))
            .Fit(ml.Data.LoadFromEnumerable(Rows(1200, 3)));

    /// <summary>
    /// A fixed step (no step choice) and the inputs as they are (the encoded graph has its own test), so the fixture keeps
    /// the CSR layer it was written for.
    /// </summary>
    private static SparseMlpRegressionTrainer.Options RegressionOptions() =>
        new() { LabelColumnName = "Value", HiddenLayerSizes = [64, 32], LearningRate = 1e-3f, PiecewiseLinearBins = 0 };

    /// <summary>ML.NET's Transform of 1,000 fresh rows, and ONNX Runtime's outputs for the same rows from the exported model.</summary>
    private static (IDataView MlNet, Dictionary<string, DisposableNamedOnnxValue> Onnx, byte[] File) ScoreBoth(MLContext ml, ITransformer model, bool compact,
        float inputScale = 1f)
    {
        var rows = Inputs(RowsScored, 99, inputScale);
        var data = ml.Data.LoadFromEnumerable(rows);
        using var stream = new MemoryStream();
        if (compact)
            ml.Model.ConvertToCompactOnnx(model, data, stream);
        else
            ml.Model.ConvertToOnnx(model, data, stream);
        byte[] file = stream.ToArray();
        return (ml.Data.Cache(model.Transform(data)), Run(file, rows), file);
    }

    /// <summary>ONNX Runtime's outputs for <paramref name="rows"/> from the model file.</summary>
    private static Dictionary<string, DisposableNamedOnnxValue> Run(byte[] file, InputRow[] rows)
    {
        using var session = new InferenceSession(file);
        CollectionAssert.AreEquivalent(new[] { "A", "B" }, session.InputMetadata.Keys.ToArray(), "graph inputs");
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("A", new DenseTensor<float>(rows.SelectMany(r => r.A).ToArray(), [rows.Length, 12])),
            NamedOnnxValue.CreateFromTensor("B", new DenseTensor<float>(rows.SelectMany(r => r.B).ToArray(), [rows.Length, 8])),
        };
        return session.Run(inputs).ToDictionary(v => v.Name);
    }

    private static void AssertClose(float[] expected, float[] actual, string column)
    {
        Assert.HasCount(expected.Length, actual, $"{column}: values");
        for (int i = 0; i < expected.Length; i++)
            Infrastructure.TestData.AssertClose(expected[i], actual[i], 1e-5, 1e-6, $"{column} value {i}");
    }

    private static int SparseInitializerCount(byte[] model) => OnnxProtoReader.SparseInitializers(model).Count;

    /// <summary>Rows whose labels depend on the features nonlinearly (4 classes, a sign, a smooth target).</summary>
    private static Row[] Rows(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var a = Infrastructure.TestData.Uniform(random, 12, 2f);
            var b = Infrastructure.TestData.Uniform(random, 8, 2f);
            float u = a[0] * b[0] + a[1], v = MathF.Sin(a[2]) + b[1] * b[2];
            return new Row
            {
                A = a,
                B = b,
                Class = u > 0 ? (v > 0 ? "north" : "east") : (v > 0 ? "west" : "south"),
                Positive = u + v > 0.3f,
                Value = 3 * u + 2 * v + 0.1f * (float)random.NextDouble(),
            };
        }).ToArray();
    }

    /// <summary>The 1,200 multiclass training rows with the class as a key Label.</summary>
    private static IDataView KeyedRows(MLContext ml)
    {
        var rows = ml.Data.LoadFromEnumerable(Rows(1200, 1));
        return ml.Transforms.Conversion.MapValueToKey("Label", "Class").Fit(rows).Transform(rows);
    }

    private static InputRow[] Inputs(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => new InputRow
        {
            A = Infrastructure.TestData.Uniform(random, 12, 2f * scale),
            B = Infrastructure.TestData.Uniform(random, 8, 2f * scale),
        }).ToArray();
    }
}
