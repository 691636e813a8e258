// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Catalog;

[TestClass]
public class PipelineTests
{
    private sealed class Row
    {
        [LoadColumn(0, 5)]
        [VectorType(6)]
        public float[] X { get; set; } = [];

        [LoadColumn(6)]
        public float Y { get; set; }
    }

    private sealed class ClassRow
    {
        [VectorType(4)]
        public float[] Features { get; set; } = [];

        public string Label { get; set; } = string.Empty;

        public bool Positive { get; set; }
    }

    private static string MgPath => Path.Combine(AppContext.BaseDirectory, "data", "mg.csv");

    [TestMethod]
    public void Regression_OnMackeyGlass_ReachesTargetEvaluatesAndRoundTripsBitIdentically()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromTextFile<Row>(MgPath, separatorChar: ',', hasHeader: true);
        var split = ml.Data.TrainTestSplit(data, testFraction: 0.25, seed: 3);
        var pipeline = ml.Transforms.NormalizeMinMax("Features", "X")
            .Append(ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options
            {
                LabelColumnName = "Y",
                HiddenLayerSizes = [32, 16],
                TargetSparsity = 0.8f,
                SparsityTolerance = 0.02f,
                BatchSize = 0,
                NumberOfEpochs = 1500,
                ParameterSelection = { MinimumEpochsBeforeStop = 1000 },
                LearningRate = 0.1f,
            }));
        var model = pipeline.Fit(split.TrainSet);
        var trained = model.LastTransformer.Model;
        var report = trained.SelectionReport!;
        Assert.IsTrue(report.Converged, report.ToString());
        Assert.AreEqual(0.8, trained.Sparsity, 0.02 * 0.2 + 1e-9, report.ToString());

        var metrics = ml.Regression.Evaluate(model.Transform(split.TestSet), labelColumnName: "Y");
        Assert.IsLessThan(0.03, metrics.MeanSquaredError, $"test MSE {metrics.MeanSquaredError}; a constant predictor has about 0.05");

        var reloaded = SaveAndLoad(ml, model, split.TrainSet.Schema);
        Assert.IsInstanceOfType<TransformerChain<ITransformer>>(reloaded);
        var last = ((TransformerChain<ITransformer>)reloaded).LastTransformer;
        Assert.IsInstanceOfType<SparseMlpPredictionTransformer>(last);
        Assert.IsNotNull(((SparseMlpPredictionTransformer)last).Model.SelectionReport);
        CollectionAssert.AreEqual(Scores(model.Transform(split.TestSet)), Scores(reloaded.Transform(split.TestSet)));
    }

    [TestMethod]
    public void Multiclass_WithKeyLabels_EvaluatesAndMapsPredictedLabelBack()
    {
        var ml = new MLContext(seed: 1);
        var rows = Synthetic(600, seed: 4);
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options { HiddenLayerSizes = [16], Lambda = 1e-3f, NumberOfEpochs = 30, BatchSize = 32 }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedText", "PredictedLabel"));
        var model = pipeline.Fit(data);
        var scored = model.Transform(data);
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.IsGreaterThan(0.85, metrics.MicroAccuracy);
        var texts = scored.GetColumn<ReadOnlyMemory<char>>("PredictedText").Select(t => t.ToString()).ToArray();
        CollectionAssert.IsSubsetOf(texts.Distinct().ToArray(), new[] { "a", "b", "c" });

        var engine = ml.Model.CreatePredictionEngine<ClassRow, ClassPrediction>(model);
        var single = engine.Predict(rows[0]);
        Assert.AreEqual(3, single.Score.Length);
        Assert.AreEqual(1f, single.Score.Sum(), 1e-5f);

        var reloaded = SaveAndLoad(ml, model, data.Schema);
        CollectionAssert.AreEqual(ScoreVectors(scored), ScoreVectors(reloaded.Transform(data)));
    }

    [TestMethod]
    public void Binary_EvaluatesWithProbability()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Synthetic(500, seed: 5));
        var trainer = ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options
        {
            LabelColumnName = "Positive",
            HiddenLayerSizes = [8],
            LayerLambdas = [1e-3f, 1e-3f],
            NumberOfEpochs = 30,
            BatchSize = 32,
        });
        var model = trainer.Fit(data);
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(data), labelColumnName: "Positive");
        Assert.IsGreaterThan(0.9, metrics.AreaUnderRocCurve);
        var shape = trainer.GetOutputSchema(ShapeOf(data.Schema));
        var schema = model.GetOutputSchema(data.Schema);
        foreach (string name in new[] { "Score", "Probability", "PredictedLabel" })
            Assert.AreEqual(shape.First(c => c.Name == name).ItemType, schema[name].Type is VectorDataViewType v ? v.ItemType : schema[name].Type, name);

        // The columns agree with each other row by row: Probability is the sigmoid of Score (in double, independently),
        // PredictedLabel is Score > 0, and Score is the network's raw output from the batch path.
        var scored = model.Transform(data);
        float[] scores = scored.GetColumn<float>("Score").ToArray();
        float[] probabilities = scored.GetColumn<float>("Probability").ToArray();
        bool[] predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
        float[] features = ml.Data.CreateEnumerable<ClassRow>(data, reuseRowObject: false).SelectMany(r => r.Features).ToArray();
        float[] raw = new float[scores.Length];
        model.Model.PredictRaw(features, scores.Length, raw);
        for (int r = 0; r < scores.Length; r++)
        {
            Assert.AreEqual(1 / (1 + Math.Exp(-scores[r])), probabilities[r], 1e-6, $"row {r}: Probability = sigmoid(Score)");
            Assert.AreEqual(scores[r] > 0, predicted[r], $"row {r}: PredictedLabel = Score > 0");
            Assert.AreEqual(raw[r], scores[r], 1e-5f * Math.Max(1f, Math.Abs(raw[r])), $"row {r}: Score = the network's output");
        }
    }

    [TestMethod]
    public void BadInput_GivesClearErrors()
    {
        var ml = new MLContext(seed: 1);
        var rows = Synthetic(50, seed: 6);
        rows[7].Features[2] = float.NaN;
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = new SparseMlpBinaryTrainer.Options { LabelColumnName = "Positive", HiddenLayerSizes = [4], Lambda = 1e-3f, NumberOfEpochs = 1 };
        var nan = Assert.ThrowsExactly<InvalidOperationException>(() => ml.BinaryClassification.Trainers.SparseMlp(options).Fit(data));
        StringAssert.Contains(nan.Message, "row 7, slot 2");

        var wrongLabel = new SparseMlpRegressionTrainer.Options { LabelColumnName = "Positive", Lambda = 1e-3f };
        var trainer = ml.Regression.Trainers.SparseMlp(wrongLabel);
        var typeError = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.GetOutputSchema(ShapeOf(data.Schema)));
        StringAssert.Contains(typeError.Message, "label column 'Positive'");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.Fit(data));

        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { FeatureColumnName = "Nope", Lambda = 0f }).Fit(data));
        StringAssert.Contains(missing.Message, "'Nope'");

        var target = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { TargetSparsity = 1f }));
        StringAssert.Contains(target.Message, "TargetSparsity");
        var layers = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { HiddenLayerSizes = [4], LayerTargetSparsities = [0.5f] }));
        StringAssert.Contains(layers.Message, "one value per weight layer (2");
        var two = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { Lambda = 1f, TargetSparsity = 0.5f }));
        StringAssert.Contains(two.Message, "exactly one");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { HiddenLayerSizes = [0] }));
        var empty = ml.Data.LoadFromEnumerable(Array.Empty<ClassRow>());
        var noRows = Assert.ThrowsExactly<InvalidOperationException>(() => ml.BinaryClassification.Trainers.SparseMlp(options).Fit(empty));
        StringAssert.Contains(noRows.Message, "no rows");
    }

    [TestMethod]
    public void Load_RejectsAlteredModelEntry()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Synthetic(100, seed: 7));
        var model = ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { LabelColumnName = "Positive", HiddenLayerSizes = [4], Lambda = 1e-3f, NumberOfEpochs = 2 }).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        byte[] zip = stream.ToArray();
        byte[] altered = AlterEntry(zip, 200);
        var error = Assert.Throws<Exception>(() => ml.Model.Load(new MemoryStream(altered), out _));
        Assert.IsTrue(Flatten(error).Any(e => e is InvalidDataException && e.Message.Contains("checksum", StringComparison.Ordinal)), Flatten(error).Last().Message);
    }

    /// <summary>ML.NET's SchemaShape.Create is internal; users reach shapes through estimators, tests through it by reflection.</summary>
    private static SchemaShape ShapeOf(DataViewSchema schema) =>
        (SchemaShape)typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public)!
            .Invoke(null, [schema])!;

    private static System.Collections.Generic.IEnumerable<Exception> Flatten(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            yield return x;
    }

    private static byte[] AlterEntry(byte[] zip, int offset)
    {
        using var input = new MemoryStream(zip);
        using var output = new MemoryStream();
        using (var source = new System.IO.Compression.ZipArchive(input, System.IO.Compression.ZipArchiveMode.Read))
        using (var target = new System.IO.Compression.ZipArchive(output, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in source.Entries)
            {
                using var read = entry.Open();
                using var buffer = new MemoryStream();
                read.CopyTo(buffer);
                byte[] bytes = buffer.ToArray();
                if (entry.FullName.EndsWith("SparseMlpModel.bin", StringComparison.Ordinal))
                    bytes[Math.Min(offset, bytes.Length - 5)] ^= 0x40;
                using var write = target.CreateEntry(entry.FullName).Open();
                write.Write(bytes);
            }
        }

        return output.ToArray();
    }

    private sealed class ClassPrediction
    {
        public float[] Score { get; set; } = [];
    }

    private static ITransformer SaveAndLoad(MLContext ml, ITransformer model, DataViewSchema schema)
    {
        using var stream = new MemoryStream();
        ml.Model.Save(model, schema, stream);
        stream.Position = 0;
        return new MLContext().Model.Load(stream, out _);
    }

    private static float[] Scores(IDataView scored) => scored.GetColumn<float>("Score").ToArray();

    private static float[] ScoreVectors(IDataView scored) => scored.GetColumn<float[]>("Score").SelectMany(v => v).ToArray();

    private static ClassRow[] Synthetic(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var x = Enumerable.Range(0, 4).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            float s = x[0] + 0.5f * x[1];
            return new ClassRow { Features = x, Label = s > 0.4f ? "a" : s < -0.4f ? "c" : "b", Positive = x[0] - x[2] > 0 };
        }).ToArray();
    }
}
