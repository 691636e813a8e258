// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1;

// The shortest useful program: binary classification on a generated data set with a sparse MLP at 80 % sparsity,
// evaluated with ML.NET and saved. Argument: [output.zip]
var ml = new MLContext(seed: 1);
var random = new Random(3);
var rows = Enumerable.Range(0, 2000).Select(_ =>
{
    var x = Enumerable.Range(0, 20).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    return new Example { Features = x, Label = x[0] * x[1] + 0.5f * x[2] > 0 }; // only 3 of 20 features matter
}).ToArray();
var split = ml.Data.TrainTestSplit(ml.Data.LoadFromEnumerable(rows), testFraction: 0.25, seed: 1);

var trainer = ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { HiddenLayerSizes = [32], TargetSparsity = 0.8f, NumberOfEpochs = 200, RefitEpochs = 20 });
var model = trainer.Fit(split.TrainSet);

var metrics = ml.BinaryClassification.Evaluate(model.Transform(split.TestSet));
var network = model.Model;
Console.WriteLine($"Sparsity {network.Sparsity:P1} ({network.NonZeroWeightCount} of {network.WeightCount} weights), " +
    $"inputs used: {string.Join(", ", network.UsedInputIndices)}; test accuracy {metrics.Accuracy:P1}, AUC {metrics.AreaUnderRocCurve:F3}");
string path = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "sparse-mlp-quickstart.zip");
ml.Model.Save(model, split.TrainSet.Schema, path);
Console.WriteLine($"Saved {path}.");

internal sealed class Example
{
    [VectorType(20)]
    public float[] Features { get; set; } = [];

    public bool Label { get; set; }
}
