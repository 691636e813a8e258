// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Trainers;

[TestClass]
public class ReliabilityTests
{
    private sealed class Row
    {
        [VectorType(6)]
        public float[] Features { get; set; } = [];

        public string Label { get; set; } = string.Empty;
    }

    private sealed class VariableRow
    {
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    private sealed class Output
    {
        public float[] Score { get; set; } = [];
    }

    [TestMethod]
    public void SameSeed_GivesBitIdenticalModelsAndReports_AlsoAfterSaveLoad()
    {
        var ml = new MLContext(seed: 1);
        var data = Keyed(ml, Rows(400, 8));
        var options = () => new SparseMlpMulticlassTrainer.Options { HiddenLayerSizes = [16, 8], TargetSparsity = 0.6f, SparsityTolerance = 0.05f, NumberOfEpochs = 15, BatchSize = 32, NumberOfThreads = 2 };
        var first = ml.MulticlassClassification.Trainers.SparseMlp(options()).Fit(data).Model;
        var second = new MLContext(seed: 99).MulticlassClassification.Trainers.SparseMlp(options()).Fit(data).Model;
        AssertSameNetwork(first, second);

        var transformer = ml.MulticlassClassification.Trainers.SparseMlp(options()).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(transformer, data.Schema, stream);
        stream.Position = 0;
        var loaded = ((SparseMlpPredictionTransformer)ml.Model.Load(stream, out _)).Model;
        AssertSameNetwork(first, loaded);
        Assert.AreEqual(first.SelectionReport!.Iterations.Count, loaded.SelectionReport!.Iterations.Count);
        for (int i = 0; i < first.SelectionReport.Iterations.Count; i++)
        {
            var a = first.SelectionReport.Iterations[i];
            var b = loaded.SelectionReport.Iterations[i];
            CollectionAssert.AreEqual(a.Lambdas.ToArray(), b.Lambdas.ToArray());
            CollectionAssert.AreEqual(a.LayerNonZeroCounts.ToArray(), b.LayerNonZeroCounts.ToArray());
            Assert.AreEqual(a.TrainingLoss, b.TrainingLoss);
            Assert.AreEqual(a.Note, b.Note);
        }
    }

    [TestMethod]
    public void TwoFits_GivePayloadsThatDifferOnlyInTheReportsWallClockSeconds()
    {
        // Issue 11: identical fits wrote payloads differing in the report's seconds only; with the times masked, any
        // other nondeterminism (thread count included) shows as a byte difference.
        var ml = new MLContext(seed: 1);
        var data = Keyed(ml, Rows(300, 8));
        byte[] Payload(int threads)
        {
            var model = ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options
            {
                HiddenLayerSizes = [16, 8], TargetSparsity = 0.7f, SparsityTolerance = 0.05f, NumberOfThreads = threads,
            }).Fit(data).Model;
            var report = model.SelectionReport!;
            var masked = new SparsitySelectionReport(report.Strategy, report.LayerWise, report.TargetNonZeroCounts, report.LayerWeightCounts, report.Tolerance,
                report.Iterations.Select(i => i with { Seconds = 0 }).ToList(), report.ChosenIteration, report.Converged);
            var copy = new SparseMlpModelParameters(model.Task, model.Network, model.ClassNames, model.TrainedLayerSizes.ToArray(), model.Lambdas.ToArray(),
                model.LayerNonZeroCounts.ToArray(), masked);
            return Infrastructure.ModelBytes.Of(copy);
        }

        byte[] first = Payload(1);
        CollectionAssert.AreEqual(first, Payload(1), "two fits, one thread");
        CollectionAssert.AreEqual(first, Payload(2), "one thread against two");
    }

    [TestMethod]
    public void OneLoadedModel_ScoresIdenticallyFromManyThreads()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows(300, 9);
        var data = Keyed(ml, rows);
        var model = ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options { HiddenLayerSizes = [12], Lambda = 1e-3f, NumberOfEpochs = 5 }).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var loaded = ml.Model.Load(stream, out _);
        float[][] expected = ml.Model.CreatePredictionEngine<Row, Output>(loaded).Let(e => rows.Select(r => e.Predict(r).Score).ToArray());
        // Transform scores blocks through the batch kernel, which sums in another order than the single-row path.
        float[][] expectedTransform = loaded.Transform(data).GetColumn<float[]>("Score").ToArray();
        for (int i = 0; i < rows.Length; i++)
        {
            for (int c = 0; c < expected[i].Length; c++)
                Infrastructure.TestData.AssertClose(expected[i][c], expectedTransform[i][c], 1e-5, 1e-7, $"row {i} class {c}: Transform against PredictionEngine");
        }

        var mismatches = new ConcurrentBag<string>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            var engine = ml.Model.CreatePredictionEngine<Row, Output>(loaded); // one engine per thread, as PredictionEnginePool does
            for (int repeat = 0; repeat < 3; repeat++)
            {
                for (int i = (t * 37) % rows.Length, n = 0; n < rows.Length; n++, i = (i + 1) % rows.Length)
                {
                    if (!engine.Predict(rows[i]).Score.SequenceEqual(expected[i]))
                        mismatches.Add($"thread {t} row {i}");
                }
            }

            var scored = loaded.Transform(data).GetColumn<float[]>("Score").ToArray();
            for (int i = 0; i < rows.Length; i++)
            {
                if (!scored[i].SequenceEqual(expectedTransform[i]))
                    mismatches.Add($"transform thread {t} row {i}");
            }
        });
        Assert.IsEmpty(mismatches, string.Join(", ", mismatches.Take(5)));
    }

    [TestMethod]
    public void MoreBadInputs_GiveClearErrors()
    {
        var ml = new MLContext(seed: 1);
        var oneClass = Keyed(ml, Rows(20, 1).Select(r => new Row { Features = r.Features, Label = "only" }).ToArray());
        var single = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options { Lambda = 0f }).Fit(oneClass));
        StringAssert.Contains(single.Message, "has 1 classes; multiclass training needs at least 2");

        var variable = ml.Data.LoadFromEnumerable([new VariableRow { Features = [1f, 2f], Label = 1 }]);
        var unknownSize = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { Lambda = 0f }).Fit(variable));
        StringAssert.Contains(unknownSize.Message, "known-size vector of Single");

        var stringLabel = Rows(10, 2);
        var notKey = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options { Lambda = 0f }).Fit(ml.Data.LoadFromEnumerable(stringLabel)));
        StringAssert.Contains(notKey.Message, "MapValueToKey");

        var diverging = Assert.ThrowsExactly<Microsoft.ML.SparseL1.Training.Loop.TrainingDivergedException>(() =>
            ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options { Lambda = 0f, Optimizer = SparseMlpOptimizer.Sgd, LearningRate = 1e6f, NumberOfEpochs = 50 }).Fit(Keyed(ml, Rows(200, 3))));
        StringAssert.Contains(diverging.Message, "diverged in epoch");

        foreach (var (option, make) in new (string, Func<SparseMlpRegressionTrainer.Options>)[]
        {
            ("LearningRate", () => new() { LearningRate = float.NaN }),
            ("BatchSize", () => new() { BatchSize = -1 }),
            ("NumberOfEpochs", () => new() { NumberOfEpochs = 0 }),
            ("Lambda", () => new() { Lambda = -1f }),
            ("LayerLambdas", () => new() { LayerLambdas = [1f] }),
            ("TargetSparsity", () => new() { TargetSparsity = -0.1f }),
            ("SparsityTolerance", () => new() { SparsityTolerance = 0f }),
            ("NumberOfThreads", () => new() { NumberOfThreads = 0 }),
            ("ParameterSelection.SmallProbe", () => new() { ParameterSelection = { SmallProbe = 1f } }),
            ("ParameterSelection.MinimumEpochsBeforeStop", () => new() { NumberOfEpochs = 20, ParameterSelection = { MinimumEpochsBeforeStop = 20 } }),
            ("ParameterSelection.MinimumEpochsBeforeStop", () => new() { ParameterSelection = { MinimumEpochsBeforeStop = -1 } }),
            ("ParameterSelection.RequiredLayersWithinTolerance", () => new() { LayerTargetSparsities = [0.5f, 0.5f], ParameterSelection = { RequiredLayersWithinTolerance = 3 } }),
            ("ParameterSelection", () => new() { ParameterSelection = null! }),
        })
        {
            var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Regression.Trainers.SparseMlp(make()), option);
            StringAssert.Contains(error.ParamName, option);
        }
    }

    [TestMethod]
    public void BadValuesInTheData_NameTheColumnAndRow()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows(30, 4);
        rows[11].Features[4] = float.NegativeInfinity;
        var infinite = Assert.ThrowsExactly<InvalidOperationException>(() =>
            ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options { Lambda = 0f, NumberOfEpochs = 1 }).Fit(Keyed(ml, rows)));
        StringAssert.Contains(infinite.Message, "row 11, slot 4");
        StringAssert.Contains(infinite.Message, "'Features'");

        // A label the key mapping has not seen becomes key 0, a missing label.
        var known = ml.Data.LoadFromEnumerable(Rows(30, 5).Where(r => r.Label != "flat").ToArray());
        var mapping = ml.Transforms.Conversion.MapValueToKey("Label").Fit(known);
        var withUnseen = mapping.Transform(ml.Data.LoadFromEnumerable(Rows(30, 6)));
        var missingKey = Assert.ThrowsExactly<InvalidOperationException>(() =>
            ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options { Lambda = 0f, NumberOfEpochs = 1 }).Fit(withUnseen));
        StringAssert.Contains(missingKey.Message, "has key 0 at row");
        StringAssert.Contains(missingKey.Message, "expected a class key in 1..2");

        var regressionRows = Enumerable.Range(0, 10).Select(i => new RegressionRow { Features = [i, 1f], Label = i, Weight = 1f }).ToArray();
        regressionRows[3].Label = float.NaN;
        var nanLabel = Assert.ThrowsExactly<InvalidOperationException>(() =>
            ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { Lambda = 0f, NumberOfEpochs = 1 }).Fit(ml.Data.LoadFromEnumerable(regressionRows)));
        StringAssert.Contains(nanLabel.Message, "Label column 'Label' has a non-finite value (NaN) at row 3");

        regressionRows[3].Label = 3f;
        regressionRows[5].Weight = -1f;
        var negativeWeight = Assert.ThrowsExactly<InvalidOperationException>(() =>
            ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { Lambda = 0f, NumberOfEpochs = 1, ExampleWeightColumnName = "Weight" })
                .Fit(ml.Data.LoadFromEnumerable(regressionRows)));
        StringAssert.Contains(negativeWeight.Message, "Example weight column 'Weight' has -1 at row 5");
    }

    [TestMethod]
    public void BadShapesAndOptions_NameTheColumnOrOption()
    {
        var ml = new MLContext(seed: 1);
        var scalarFeatures = ml.Data.LoadFromEnumerable(new[] { new ScalarRow { Features = 1f, Label = 1f } });
        var scalar = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { Lambda = 0f }).Fit(scalarFeatures));
        StringAssert.Contains(scalar.Message, "The feature column 'Features' has type Single; expected a known-size vector of Single");

        foreach (var (option, make) in new (string, Func<SparseMlpRegressionTrainer.Options>)[]
        {
            ("HiddenLayerSizes", () => new() { HiddenLayerSizes = [8, -3] }),
            ("LayerTargetSparsities", () => new() { HiddenLayerSizes = [4], LayerTargetSparsities = [0.5f, 1f] }),
            ("LayerTargetSparsities", () => new() { HiddenLayerSizes = [4], LayerTargetSparsities = [0.5f, -0.01f] }),
            ("TargetSparsity", () => new() { TargetSparsity = float.NaN }),
            ("LearningRate", () => new() { LearningRate = 0f }),
            ("ParameterSelection.MaximumNumberOfIterations", () => new() { ParameterSelection = { MaximumNumberOfIterations = 0 } }),
            ("ParameterSelection.SmallProbeEpochs", () => new() { ParameterSelection = { SmallProbeEpochs = 0 } }),
            ("ParameterSelection.SmallProbeEpochs", () => new() { NumberOfEpochs = 10, ParameterSelection = { SmallProbeEpochs = 11 } }),
            ("ParameterSelection.LargeProbe", () => new() { ParameterSelection = { LargeProbe = float.PositiveInfinity } }),
        })
        {
            var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Regression.Trainers.SparseMlp(make()), option);
            StringAssert.Contains(error.ParamName, option);
        }
    }

    private sealed class RegressionRow
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }

        public float Weight { get; set; }
    }

    private sealed class ScalarRow
    {
        public float Features { get; set; }

        public float Label { get; set; }
    }

    private static void AssertSameNetwork(SparseMlpModelParameters a, SparseMlpModelParameters b)
    {
        CollectionAssert.AreEqual(a.Lambdas.ToArray(), b.Lambdas.ToArray());
        Assert.AreEqual(a.Layers.Count, b.Layers.Count);
        for (int j = 0; j < a.Layers.Count; j++)
        {
            CollectionAssert.AreEqual(a.Layers[j].Biases.ToArray(), b.Layers[j].Biases.ToArray());
            CollectionAssert.AreEqual(a.Layers[j].DenseWeights.ToArray(), b.Layers[j].DenseWeights.ToArray());
            CollectionAssert.AreEqual(a.Layers[j].Values.ToArray(), b.Layers[j].Values.ToArray());
            CollectionAssert.AreEqual(a.Layers[j].ColumnIndices.ToArray(), b.Layers[j].ColumnIndices.ToArray());
        }
    }

    private static IDataView Keyed(MLContext ml, Row[] rows)
    {
        var view = ml.Data.LoadFromEnumerable(rows);
        return ml.Transforms.Conversion.MapValueToKey("Label").Fit(view).Transform(view);
    }

    private static Row[] Rows(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var x = Enumerable.Range(0, 6).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            return new Row { Features = x, Label = x[0] + x[1] > 0.3 ? "up" : x[0] + x[1] < -0.3 ? "down" : "flat" };
        }).ToArray();
    }
}

internal static class FunctionalExtensions
{
    public static TResult Let<T, TResult>(this T value, Func<T, TResult> body) => body(value);
}
