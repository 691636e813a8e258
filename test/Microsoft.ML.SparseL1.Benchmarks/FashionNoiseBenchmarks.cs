// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Data;
using SparseL1.Examples.Shared;

namespace Microsoft.ML.SparseL1.Benchmarks;

/// <summary>
/// Issue 18's second goal: Fashion-MNIST with 200 columns of uniform [0, 1] noise appended to the 784 pixels,
/// 784-300-100-10 at 90 % with default options, with and without input selection, each beside the same run without the noise.
/// </summary>
internal static class FashionNoiseBenchmarks
{
    private const int NoiseColumns = 200;

    private sealed class Image
    {
        public float[] Features { get; set; } = [];

        public float Class { get; set; }
    }

    public static List<Dictionary<string, object>> Run(int? inputsToKeep)
    {
        var (trainPixels, trainLabels, trainCount) = FashionMnist.Load(train: true);
        var (testPixels, testLabels, testCount) = FashionMnist.Load(train: false);
        var results = new List<Dictionary<string, object>>();
        // Each run with input selection beside the same run without the noise columns.
        foreach (var (noise, keep) in new (bool, int?)[] { (false, null), (true, null), (false, inputsToKeep), (true, inputsToKeep) }.Distinct())
        {
            var ml = new MLContext(seed: 1);
            int width = 784 + (noise ? NoiseColumns : 0);
            var random = new Random(7);
            IDataView View(float[] pixels, byte[] labels, int rows)
            {
                var images = Enumerable.Range(0, rows).Select(i =>
                {
                    var x = new float[width];
                    pixels.AsSpan(i * 784, 784).CopyTo(x);
                    for (int c = 784; c < width; c++)
                        x[c] = (float)random.NextDouble();
                    return new Image { Features = x, Class = labels[i] };
                }).ToArray();
                var schema = SchemaDefinition.Create(typeof(Image));
                schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
                return ml.Data.LoadFromEnumerable(images, schema);
            }

            var rawTrain = View(trainPixels, trainLabels, trainCount);
            var toKey = ml.Transforms.Conversion.MapValueToKey("Label", "Class").Fit(rawTrain);
            var train = ml.Data.Cache(toKey.Transform(rawTrain));
            var test = ml.Data.Cache(toKey.Transform(View(testPixels, testLabels, testCount)));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var model = ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options
            {
                HiddenLayerSizes = [300, 100], TargetSparsity = 0.9f, InputsToKeep = keep,
            }).Fit(train);
            double seconds = clock.Elapsed.TotalSeconds;
            var used = model.Model.UsedInputIndices;
            results.Add(new()
            {
                ["benchmark"] = "fashion-noise",
                ["run"] = $"{(noise ? $"784 pixels + {NoiseColumns} noise columns" : "784 pixels")}, InputsToKeep {(keep?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unset")}",
                ["testAccuracy"] = Math.Round(ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy, 4),
                ["sparsity"] = Math.Round(model.Model.Sparsity, 4),
                ["pixelsUsed"] = used.Count(i => i < 784),
                ["noiseColumnsUsed"] = used.Count(i => i >= 784),
                ["seconds"] = Math.Round(seconds, 1),
            });
        }

        return results;
    }
}
