// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SparseL1.Examples.Shared;

namespace Microsoft.ML.SparseL1.Benchmarks;

/// <summary>
/// Issue 12's table: one Fashion-MNIST 784-300-100-10 model trained with default options to 90 % sparsity, scored
/// through every path a user has (the model's own PredictRaw, a PredictionEngine, Transform + Evaluate, ONNX Runtime),
/// single rows and the 10,000 test rows, in one run; and the sizes of the ML.NET zip, the ONNX file and the compact ONNX file.
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

    private sealed class PixelsOnly
    {
        [VectorType(784)]
        public float[] Pixels { get; set; } = [];
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
        // The compact network's own single-row product without the wrapper's allocation, by input where cheaper (every
        // model trained since format 0x00010004) and row-wise (models written before), side by side.
        var compact = network.Network;
        var rowWise = new Model.CompactMlp(compact.InputCount, compact.Layers, compact.InputRange);
        double CompactSingle(Model.CompactMlp mlp)
        {
            var scratch = (new float[mlp.MaxWidth], new float[mlp.MaxWidth]);
            var scores = new float[mlp.OutputCount];
            return Timing.MedianSeconds(() => { for (int r = 0; r < 1000; r++) mlp.Predict(features.AsSpan(r * 784, 784), scores, scratch); }, 11) / 1000;
        }

        // Alternated five times (this VM's speed drifts within a minute), the median of each.
        var byInputsRounds = new double[5];
        var rowWiseRounds = new double[5];
        for (int round = 0; round < 5; round++)
        {
            byInputsRounds[round] = CompactSingle(compact);
            rowWiseRounds[round] = CompactSingle(rowWise);
        }

        double byInputsSingle = byInputsRounds.Order().ElementAt(2), rowWiseSingle = rowWiseRounds.Order().ElementAt(2);
        var (layerMicroseconds, layerNonZeroInputs) = LayerParts(compact, features, rows: 1000);

        var engine = ml.Model.CreatePredictionEngine<Image, Prediction>(model);
        var images = Enumerable.Range(0, 1000).Select(i => new Image { Pixels = features.AsSpan(i * 784, 784).ToArray() }).ToArray();
        var prediction = new Prediction();
        double engineSingle = Timing.MedianSeconds(() => { foreach (var image in images) engine.Predict(image, ref prediction); }, 11) / 1000;

        // Where Transform + Evaluate's time goes: reading the scores alone, and the evaluator alone on scores already computed.
        double transformRead = Timing.MedianSeconds(() =>
        {
            var scored = model.Transform(test);
            using var cursor = scored.GetRowCursor([scored.Schema["Score"]]);
            var getter = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
            VBuffer<float> value = default;
            while (cursor.MoveNext())
                getter(ref value);
        }, 5);
        double inputRead = Timing.MedianSeconds(() =>
        {
            using var cursor = test.GetRowCursor([test.Schema["Pixels"]]);
            var getter = cursor.GetGetter<VBuffer<float>>(test.Schema["Pixels"]);
            VBuffer<float> value = default;
            while (cursor.MoveNext())
                getter(ref value);
        }, 5);
        var precomputed = ml.Data.Cache(model.Transform(test));
        double evaluateOnly = Timing.MedianSeconds(() => ml.MulticlassClassification.Evaluate(precomputed, "Label"), 5);
        double accuracy = 0;
        double transformEvaluate = Timing.MedianSeconds(() => accuracy = ml.MulticlassClassification.Evaluate(model.Transform(test), "Label").MicroAccuracy, 5);

        // The same model saved three ways, and ONNX Runtime (2 intra-op threads) on the dense export.
        var onlyPixels = ml.Data.LoadFromEnumerable(images.Take(1).Select(i => new PixelsOnly { Pixels = i.Pixels }));
        byte[] zip = Bytes(s => ml.Model.Save(model, train.Schema, s));
        byte[] onnx = Bytes(s => ml.Model.ConvertToOnnx(model, onlyPixels, s, "Score"));
        byte[] compactOnnx = Bytes(s => ml.Model.ConvertToCompactOnnx(model, onlyPixels, s, "Score"));
        using var session = new InferenceSession(onnx, new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 });
        var single = new DenseTensor<float>(features.AsMemory(0, 784), [1, 784]);
        var batch = new DenseTensor<float>(features.AsMemory(0, testCount * 784), [testCount, 784]);
        double onnxSingle = Timing.MedianSeconds(() =>
        {
            for (int r = 0; r < 1000; r++)
            {
                using var result = session.Run([NamedOnnxValue.CreateFromTensor("Pixels", single)]);
            }
        }, 11) / 1000;
        double onnxBatch = Timing.MedianSeconds(() =>
        {
            using var result = session.Run([NamedOnnxValue.CreateFromTensor("Pixels", batch)]);
        }, 11);

        var row = new Dictionary<string, object>
        {
            ["benchmark"] = "deployment",
            ["model"] = $"Fashion-MNIST 784-300-100-10, defaults, target 90 %, {trainCount} training rows, trained in {trainingSeconds:F1} s",
            ["sparsity"] = Math.Round(network.Sparsity, 4),
            ["testAccuracy"] = Math.Round(accuracy, 4),
            ["layers"] = string.Join(", ", network.Layers.Select(l => $"{l.InputCount}->{l.OutputCount} {(l.IsSparse ? "CSR" : "dense")} nnz {l.NonZeroCount}")),
            ["predictRawSingleRowMicroseconds"] = Math.Round(rawSingle * 1e6, 2),
            ["predictRawBatchRowsPerSecond"] = Math.Round(testCount / rawBatch),
            ["compactSingleRowMicroseconds"] = Math.Round(byInputsSingle * 1e6, 2),
            ["compactSingleRowRowWiseMicroseconds"] = Math.Round(rowWiseSingle * 1e6, 2),
            ["compactByInputsOverRowWise"] = Math.Round(byInputsSingle / rowWiseSingle, 3),
            ["compactLayerMicroseconds"] = layerMicroseconds.Select(m => Math.Round(m, 2)).ToArray(),
            ["compactLayerNonZeroInputs"] = layerNonZeroInputs.Select(n => Math.Round(n, 1)).ToArray(),
            ["predictionEngineSingleRowMicroseconds"] = Math.Round(engineSingle * 1e6, 2),
            ["transformEvaluateRowsPerSecond"] = Math.Round(testCount / transformEvaluate),
            ["transformReadScoresRowsPerSecond"] = Math.Round(testCount / transformRead),
            ["readInputPixelsRowsPerSecond"] = Math.Round(testCount / inputRead),
            ["evaluateOnCachedScoresRowsPerSecond"] = Math.Round(testCount / evaluateOnly),
            ["transformEvaluateOverPredictRawBatch"] = Math.Round(rawBatch / transformEvaluate, 3),
            ["predictionEngineOverPredictRawSingle"] = Math.Round(engineSingle / rawSingle, 3),
            ["onnxRuntimeSingleRowMicroseconds"] = Math.Round(onnxSingle * 1e6, 2),
            ["onnxRuntimeBatchRowsPerSecond"] = Math.Round(testCount / onnxBatch),
            ["mlNetZipBytes"] = zip.Length,
            ["onnxBytes"] = onnx.Length,
            ["compactOnnxBytes"] = compactOnnx.Length,
            ["compactOverDenseOnnx"] = Math.Round((double)compactOnnx.Length / onnx.Length, 3),
        };
        return [row];
    }

    /// <summary>
    /// Where a single row's time goes: each layer of the compact network alone, on its own inputs for the first
    /// <paramref name="rows"/> test rows (the clamped pixels, then each layer's ReLU activations), as the network scores
    /// it (by input where the row takes that product); with the mean count of nonzero inputs a layer sees.
    /// </summary>
    internal static (double[] Microseconds, double[] NonZeroInputs) LayerParts(Model.CompactMlp mlp, float[] features, int rows)
    {
        var layers = mlp.Layers;
        var inputs = LayerInputs(mlp, features, rows);
        var microseconds = new double[layers.Length];
        var nonZero = new double[layers.Length];
        for (int j = 0; j < layers.Length; j++)
        {
            var (layer, x, byInputs) = (layers[j], inputs[j], mlp.ScoresByInputs ? Model.LayerByInputs.For(layers[j]) : null);
            var y = new float[layer.Outputs];
            microseconds[j] = 1e6 / rows * Timing.MedianSeconds(() =>
            {
                for (int r = 0; r < rows; r++)
                {
                    var row = x.AsSpan(r * layer.Inputs, layer.Inputs);
                    if (byInputs is null || !byInputs.TryMultiply(row, y))
                        layer.Multiply(row, y);
                }
            }, 11);
            nonZero[j] = (double)x.Count(v => v != 0f) / rows;
        }

        return (microseconds, nonZero);
    }

    /// <summary>
    /// Each layer's inputs for the first <paramref name="rows"/> rows of <paramref name="features"/>, row by row: the rows
    /// clamped to the network's input range, then each layer's ReLU activations.
    /// </summary>
    internal static float[][] LayerInputs(Model.CompactMlp mlp, float[] features, int rows)
    {
        var layers = mlp.Layers;
        var inputs = new float[layers.Length][];
        inputs[0] = features.AsSpan(0, rows * mlp.InputCount).ToArray();
        if (mlp.InputRange is { } range)
        {
            for (int r = 0; r < rows; r++)
                range.Clamp(features.AsSpan(r * mlp.InputCount, mlp.InputCount), inputs[0].AsSpan(r * mlp.InputCount, mlp.InputCount));
        }

        for (int j = 1; j < layers.Length; j++)
        {
            inputs[j] = new float[rows * layers[j].Inputs];
            for (int r = 0; r < rows; r++)
            {
                var y = inputs[j].AsSpan(r * layers[j].Inputs, layers[j].Inputs);
                layers[j - 1].Multiply(inputs[j - 1].AsSpan(r * layers[j - 1].Inputs, layers[j - 1].Inputs), y);
                System.Numerics.Tensors.TensorPrimitives.Max(y, 0f, y);
            }
        }

        return inputs;
    }

    private static byte[] Bytes(Action<System.IO.Stream> write)
    {
        using var stream = new System.IO.MemoryStream();
        write(stream);
        return stream.ToArray();
    }
}
