// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Data;
using SparseL1.Examples.Shared;

namespace Microsoft.ML.SparseL1.Benchmarks;

/// <summary>
/// Issue 12's table: one Fashion-MNIST 784-300-100-10 model trained with default options to 90 % sparsity, scored
/// through every path a user has (the model's own PredictRaw, a PredictionEngine, Transform + Evaluate, ONNX Runtime),
/// single rows and the 10,000 test rows, in one run.
/// </summary>
internal static class DeploymentBenchmarks
{
    private sealed class Image
    {
        [VectorType(784)]
        public float[] Pixels { get; set; } = [];

        /// <summary>The class index 0-9, mapped to the key column Label.</summary>
        public float Class { get; set; }
    }

    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];
    }

    public static List<Dictionary<string, object>> Run(int trainRows)
    {
        var ml = new MLContext(seed: 1);
        var (trainPixels, trainLabels, trainCount) = FashionMnist.Load(train: true, trainRows);
        var (testPixels, testLabels, testCount) = FashionMnist.Load(train: false);
        IDataView View(float[] pixels, byte[] labels, int rows) => ml.Data.LoadFromEnumerable(
            Enumerable.Range(0, rows).Select(i => new Image { Pixels = pixels.AsSpan(i * 784, 784).ToArray(), Class = labels[i] }).ToArray());
        var rawTrain = View(trainPixels, trainLabels, trainCount);
        var toKey = ml.Transforms.Conversion.MapValueToKey("Label", "Class", keyOrdinality: Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(rawTrain);
        var train = ml.Data.Cache(toKey.Transform(rawTrain));
        var test = ml.Data.Cache(toKey.Transform(View(testPixels, testLabels, testCount)));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var model = ml.MulticlassClassification.Trainers.SparseMlp("Label", "Pixels", hiddenLayerSizes: [300, 100], targetSparsity: 0.9f).Fit(train);
        double trainingSeconds = clock.Elapsed.TotalSeconds;
        var network = model.Model;

        var features = testPixels.AsSpan(0, testCount * 784).ToArray();
        var outputs = new float[testCount * network.OutputCount];
        double rawSingle = Timing.MedianSeconds(() => { for (int r = 0; r < 1000; r++) network.PredictRaw(features.AsSpan(r * 784, 784)); }, 11) / 1000;
        double rawBatch = Timing.MedianSeconds(() => network.PredictRaw(features, testCount, outputs, threads: 2), 11);

        var engine = ml.Model.CreatePredictionEngine<Image, Prediction>(model);
        var images = Enumerable.Range(0, 1000).Select(i => new Image { Pixels = features.AsSpan(i * 784, 784).ToArray() }).ToArray();
        var prediction = new Prediction();
        double engineSingle = Timing.MedianSeconds(() => { foreach (var image in images) engine.Predict(image, ref prediction); }, 11) / 1000;

        double accuracy = 0;
        double transformEvaluate = Timing.MedianSeconds(() => accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test), "Label").MicroAccuracy, 5);

        var row = new Dictionary<string, object>
        {
            ["benchmark"] = "deployment",
            ["model"] = $"Fashion-MNIST 784-300-100-10, defaults, target 90 %, {trainCount} training rows, trained in {trainingSeconds:F1} s",
            ["sparsity"] = Math.Round(network.Sparsity, 4),
            ["testAccuracy"] = Math.Round(accuracy, 4),
            ["layers"] = string.Join(", ", network.Layers.Select(l => $"{l.InputCount}->{l.OutputCount} {(l.IsSparse ? "CSR" : "dense")} nnz {l.NonZeroCount}")),
            ["predictRawSingleRowMicroseconds"] = Math.Round(rawSingle * 1e6, 2),
            ["predictRawBatchRowsPerSecond"] = Math.Round(testCount / rawBatch),
            ["predictionEngineSingleRowMicroseconds"] = Math.Round(engineSingle * 1e6, 2),
            ["transformEvaluateRowsPerSecond"] = Math.Round(testCount / transformEvaluate),
            ["transformEvaluateOverPredictRawBatch"] = Math.Round(rawBatch / transformEvaluate, 3),
            ["predictionEngineOverPredictRawSingle"] = Math.Round(engineSingle / rawSingle, 3),
        };
        return [row];
    }
}
