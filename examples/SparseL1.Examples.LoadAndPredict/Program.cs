// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using SparseL1.Examples.Shared;

// Loads a saved Fashion-MNIST model (written by examples/SparseL1.Examples.FashionMnist) in a process that never
// trained it, and predicts test images with a prediction engine and in batch through Transform.
// Argument: [model.zip = <temp>/sparse-mlp-fashion.zip]
string path = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "sparse-mlp-fashion.zip");
if (!File.Exists(path))
    throw new FileNotFoundException("Run examples/SparseL1.Examples.FashionMnist first, or pass a model zip.", path);

var ml = new MLContext();
var model = ml.Model.Load(path, out var inputSchema);
Console.WriteLine($"Loaded {path}: input columns {string.Join(", ", inputSchema.Select(c => $"{c.Name} ({c.Type})"))}");

var (pixels, labels, count) = FashionMnist.Load(train: false);
var engine = ml.Model.CreatePredictionEngine<FashionImage, FashionPrediction>(model);
int correct = 0;
for (int i = 0; i < count; i++)
{
    var prediction = engine.Predict(new FashionImage { Pixels = pixels.AsSpan(i * 784, 784).ToArray() });
    correct += prediction.PredictedName == FashionMnist.ClassNames[labels[i]] ? 1 : 0;
    if (i < 3)
        Console.WriteLine($"  image {i}: predicted '{prediction.PredictedName}' (p = {prediction.Score.Max():F3}), true '{FashionMnist.ClassNames[labels[i]]}'");
}

Console.WriteLine($"Prediction engine: {correct} of {count} test images right ({(double)correct / count:P2}).");
var view = ml.Data.LoadFromEnumerable(Enumerable.Range(0, count).Select(i => new FashionImage { Pixels = pixels.AsSpan(i * 784, 784).ToArray() }));
var names = model.Transform(view).GetColumn<ReadOnlyMemory<char>>("PredictedName").Select(n => n.ToString()).ToArray();
Console.WriteLine($"Transform: {names.Where((n, i) => n == FashionMnist.ClassNames[labels[i]]).Count()} of {count} right.");
