// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.SparseL1;
using Microsoft.ML.SparseL1.Charts;
using SparseL1.Examples.Shared;

// A sparsity sweep with cross-validation on Fashion-MNIST: one 784-300-100-10 network per target sparsity, k folds
// each, the table, the Pareto front, the chosen model, and a chart. Arguments: [rows = 60000] [folds = 3] [epochs = 4] [outputDirectory = .]
int rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60000;
int folds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
int epochs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 4;
string output = args.Length > 3 ? args[3] : ".";

var (pixels, labels, count) = FashionMnist.Load(train: true, rows);
var ml = new MLContext(seed: 1);
var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, count).Select(i => new FashionImage
{
    Pixels = pixels.AsSpan(i * 784, 784).ToArray(),
    Label = FashionMnist.ClassNames[labels[i]],
}));
var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);

Console.WriteLine($"Sweeping 784-300-100-10 on {count} Fashion-MNIST images, {folds}-fold cross-validation...");
var result = SparsitySweep.Multiclass(ml, keyed,
    target => ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options
    {
        FeatureColumnName = "Pixels",
        HiddenLayerSizes = [300, 100],
        TargetSparsity = target,
        SparsityTolerance = 0.02f,
        Optimizer = SparseMlpOptimizer.Adam,
        LearningRate = 1e-3f,
        NumberOfEpochs = epochs,
    }),
    new SparsitySweepOptions
    {
        TargetSparsities = [0.5f, 0.8f, 0.9f, 0.95f, 0.98f],
        NumberOfFolds = folds,
        Seed = 7,
        MetricTolerance = 0.01,
        Progress = new Progress<SparsitySweepRow>(r => Console.WriteLine($"  {r.TargetSparsity:P0}: accuracy {r.MetricMean:F4} ± {r.MetricStandardDeviation:F4}, {r.TrainingSeconds:F1}s per fold")),
    });

Console.WriteLine(result);
Console.WriteLine($"Pareto front: {string.Join(", ", result.ParetoFront.Select(r => $"{r.AchievedSparsity:P1} → {r.MetricMean:F4}"))}");
Console.WriteLine($"Chosen: target {result.Chosen.TargetSparsity:P0}, {result.Chosen.NonZeroWeights:F0} nonzero weights, accuracy {result.Chosen.MetricMean:F4}");
Directory.CreateDirectory(output);
string chart = Path.Combine(output, "sparsity-sweep.png");
SparseL1Charts.SaveSweepChart(result, chart);
SparseL1Charts.SaveSweepChart(result, Path.ChangeExtension(chart, ".svg"));
Console.WriteLine($"Wrote {chart} and its .svg twin.");
