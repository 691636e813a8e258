// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Selection;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Passes;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Selection;

/// <summary>The folds behind the defaults chosen by cross-validation (the step of small regression sets, the depth of grown multiclass networks).</summary>
[TestClass]
public class FoldValidationTests
{
    /// <summary>
    /// Every row is validated exactly once: with a "trainer" that returns one fixed network whatever its rows, each
    /// candidate's validation loss is that network's mean loss over all rows (computed here by the full-gradient pass).
    /// </summary>
    [TestMethod]
    public void Losses_ValidateEveryRowOnce()
    {
        var data = SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 301, 5, 4, seed: 3);
        var fixedNetworks = new[] { MlpParameters.Initialize([5, 7, 4], 1), MlpParameters.Initialize([5, 9, 9, 4], 2) };
        var folds = new FoldValidation(data, seed: 8, LossKind.SoftmaxCrossEntropy, threads: 2);
        int calls = 0;
        double[] losses = folds.Losses(2, (k, fit) =>
        {
            System.Threading.Interlocked.Increment(ref calls);
            Assert.IsTrue(fit.Rows is 200 or 201, $"a fit on two of three folds: {fit.Rows} rows");
            return fixedNetworks[k];
        });

        Assert.AreEqual(2 * FoldValidation.Folds, calls);
        for (int k = 0; k < 2; k++)
        {
            double expected = FullGradient.Loss(fixedNetworks[k], data, LossKind.SoftmaxCrossEntropy, 1024, 1);
            TestData.AssertClose(expected, losses[k], 1e-9, 1e-12, $"candidate {k}");
        }
    }

    /// <summary>
    /// Views of the same rows get the same folds: two views that are copies of one set give each candidate the loss that
    /// one view gives it, and views of different row counts are refused.
    /// </summary>
    [TestMethod]
    public void Views_OfTheSameRows_GetTheSameFolds_CandidateKOnViewK()
    {
        var data = SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 250, 5, 3, seed: 4);
        var copy = data.Select(Enumerable.Range(0, data.Rows).ToArray());
        MlpParameters Train(int k, TrainingData fit) => ProximalRun(fit, k);
        double[] single = new FoldValidation(data, seed: 6, LossKind.SoftmaxCrossEntropy, threads: 2).Losses(2, Train);
        var seen = new System.Collections.Concurrent.ConcurrentBag<(int Candidate, float FirstValue)>();
        double[] views = new FoldValidation([data, copy], seed: 6, LossKind.SoftmaxCrossEntropy, threads: 2).Losses(2, (k, fit) =>
        {
            seen.Add((k, fit.Features[0]));
            return Train(k, fit);
        });
        CollectionAssert.AreEqual(single, views, "the same folds, the same runs");
        Assert.HasCount(2 * FoldValidation.Folds, seen);

        var shorter = data.Select(Enumerable.Range(0, data.Rows - 1).ToArray());
        Assert.ThrowsExactly<ArgumentException>(() => new FoldValidation([data, shorter], seed: 6, LossKind.SoftmaxCrossEntropy, threads: 1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new FoldValidation([data, copy], seed: 6, LossKind.SoftmaxCrossEntropy, threads: 1).Losses(3, Train));
    }

    /// <summary>A short fixed-λ run of a network whose hidden width depends on the candidate.</summary>
    private static MlpParameters ProximalRun(TrainingData fit, int candidate)
    {
        var parameters = MlpParameters.Initialize([fit.Columns, 6 + candidate, 3], 5);
        var settings = new TrainingSettings { Loss = LossKind.SoftmaxCrossEntropy, Optimizer = SparseMlpOptimizer.Adam, LearningRate = 1e-2f, BatchSize = 32, Epochs = 3, Seed = 5, Threads = 1, Lambdas = [1e-3f, 1e-3f] };
        ProximalTrainingLoop.Train(fit, parameters, settings);
        return parameters;
    }

    /// <summary>
    /// The error rate the encoding choice reads, against the delivered predictor's own outputs row by row: the weighted
    /// share of rows whose largest output (multiclass, 4 classes) or positive output (binary, classes 0) is not the label.
    /// </summary>
    [TestMethod]
    [DataRow(4)]
    [DataRow(0)]
    public void ValidationErrorRate_EqualsThePredictorsWeightedMistakes(int classes)
    {
        var loss = classes == 0 ? LossKind.SigmoidLogLoss : LossKind.SoftmaxCrossEntropy;
        var data = SyntheticData.Make(loss, 333, 6, classes, seed: 9, weighted: true);
        var parameters = MlpParameters.Initialize([6, 10, classes == 0 ? 1 : classes], 3);
        var predictor = Microsoft.ML.SparseL1.Model.CompactMlp.FromParameters(parameters);
        var scratch = (new float[predictor.MaxWidth], new float[predictor.MaxWidth]);
        var outputs = new float[predictor.OutputCount];
        double wrong = 0, total = 0;
        for (int r = 0; r < data.Rows; r++)
        {
            predictor.Predict(data.Features.AsSpan(r * 6, 6), outputs, scratch);
            int predicted = classes == 0 ? (outputs[0] > 0 ? 1 : 0) : Array.IndexOf(outputs, outputs.Max());
            total += data.WeightOf(r);
            wrong += predicted == (int)data.Labels[r] ? 0 : data.WeightOf(r);
        }

        Assert.IsTrue(wrong > 0 && wrong < total, "fixture: a network that gets some rows wrong");
        Assert.IsTrue(data.ExampleWeights!.Distinct().Count() > 1, "fixture: weights that differ");
        // Batches of 100 rows: the last one short.
        TestData.AssertClose(wrong / total, ValidationError.Rate(parameters, data, loss, 100, 1), 1e-12, 1e-12, "error rate");
        Assert.ThrowsExactly<ArgumentException>(() => ValidationError.Rate(parameters, data, LossKind.SquaredError, 100, 1));
    }

    /// <summary>The importance's held-out fifth: disjoint from the first network's rows, together every row, drawn from the seed.</summary>
    [TestMethod]
    public void ImportanceHoldOut_PartitionsTheRows()
    {
        var data = SyntheticData.Make(LossKind.SigmoidLogLoss, 503, 3, 0, seed: 2);
        var (fit, heldOut) = ImportanceSelection.HoldOut(data, seed: 4);
        Assert.AreEqual(100, heldOut.Rows);
        Assert.AreEqual(403, fit.Rows);
        // Rows are told apart by their features (uniform random floats: no two rows share their first value).
        var all = Enumerable.Range(0, data.Rows).Select(r => data.Features[r * 3]).ToHashSet();
        var fitted = Enumerable.Range(0, fit.Rows).Select(r => fit.Features[r * 3]).ToHashSet();
        var held = Enumerable.Range(0, heldOut.Rows).Select(r => heldOut.Features[r * 3]).ToHashSet();
        Assert.AreEqual(data.Rows, all.Count, "fixture: distinct rows");
        Assert.IsFalse(fitted.Overlaps(held), "disjoint");
        Assert.IsTrue(all.SetEquals(fitted.Union(held)), "every row once");
        CollectionAssert.AreEqual(heldOut.Features, ImportanceSelection.HoldOut(data, seed: 4).HeldOut.Features, "the same seed, the same rows");
    }

    private sealed class Row
    {
        [VectorType(4)]
        public float[] Features { get; set; } = [];

        public uint Label { get; set; }
    }

    /// <summary>
    /// A multiclass set with few inputs and 400-3,000 rows: the trainer chooses between the grown network's two hidden
    /// layers and the first alone by cross-validation, logs both losses, and delivers the one with the lower.
    /// </summary>
    [TestMethod]
    public void Trainer_ChoosesTheDepthOfAGrownNetwork_ByTheLowerValidationLoss()
    {
        var ml = new MLContext(seed: 1);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        ml.Log += (_, e) => log.Enqueue(e.Message);
        var random = new Random(2);
        var rows = Enumerable.Range(0, 600).Select(_ =>
        {
            var x = TestData.Uniform(random, 4, 1f);
            uint label = (uint)(1 + (x[0] * x[1] > 0 ? 1 : 0) + (x[2] > 0.3f ? 2 : 0));
            return new Row { Features = x, Label = label };
        }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var model = ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options { NumberOfEpochs = 10 }).Fit(keyed).Model;

        string choice = log.Single(m => m.Contains("Network ", StringComparison.Ordinal) && m.Contains("chosen by 3-fold cross-validation", StringComparison.Ordinal));
        var parts = System.Text.RegularExpressions.Regex.Match(choice, @"Network (\S+) chosen .*; validation loss (\S+): (\S+), (\S+): (\S+)\.$");
        Assert.IsTrue(parts.Success, choice);
        string shallow = parts.Groups[2].Value, deep = parts.Groups[4].Value;
        Assert.AreEqual(3, shallow.Split('-').Length, $"one hidden layer: {shallow}");
        Assert.AreEqual(4, deep.Split('-').Length, $"two hidden layers: {deep}");
        double shallowLoss = double.Parse(parts.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
        double deepLoss = double.Parse(parts.Groups[5].Value, System.Globalization.CultureInfo.InvariantCulture);
        string expected = deepLoss < shallowLoss ? deep : shallow;
        Assert.AreEqual(expected, parts.Groups[1].Value, choice);
        Assert.AreEqual(expected, string.Join("-", model.TrainedLayerSizes), "the delivered network is the chosen one");
    }
}
