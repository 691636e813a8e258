// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1;

// The paper's regression experiment (arXiv 2408.02801, docs/algorithm.md §4) on the Mackey-Glass set:
// network 6-128-128-64-1, full-batch proximal gradient, learning rate 0.1, rows 1-1000 train, 1002-1385 test,
// single λ with 2000 nonzero weights (±0.1 %) and layer-wise targets (650, 1200, 1000, 45) every layer within 5 %.
// Mode "default" trains the same network to the same 2000 nonzero weights with the library's default options instead
// (Adam, standardized features and label, SparsityTracking, its own epoch budget; maxEpochs is ignored).
// Mode "random" trains a 64-32 network at 90 % with default options on five random 75/25 splits (a user's first try).
// Arguments: [maxEpochs = 50000] [single|layerwise|both|default|random = both] [path to mg.csv, or "-" to find it] [clean|accumulated = clean]
// [GradientMedianBracket|TrajectoryAim|OrderStatistic = GradientMedianBracket]
// ("accumulated" updates λ from the authors' uncleared PyTorch gradient, docs/algorithm.md §3, instead of the clean one).
int maxEpochs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50000;
string mode = args.Length > 1 ? args[1] : "both";
string path = args.Length > 2 && args[2] != "-" ? args[2] : FindData();
bool accumulatedGradient = args.Length > 3 && args[3] == "accumulated";
var strategy = args.Length > 4 ? Enum.Parse<SelectionStrategy>(args[4]) : SelectionStrategy.GradientMedianBracket;

var ml = new MLContext(seed: 123);
var all = ml.Data.LoadFromTextFile<MgRow>(path, separatorChar: ',', hasHeader: true);
var train = ml.Data.TakeRows(all, 1000);
var test = ml.Data.SkipRows(all, 1001); // the authors skip row 1001 (0-based 1000): test = rows 1002..1385
int[] weightsPerLayer = [6 * 128, 128 * 128, 128 * 64, 64];
int totalWeights = weightsPerLayer.Sum();

if (mode is "default")
{
    var clock = Stopwatch.StartNew();
    var model = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options
    {
        FeatureColumnName = "X", LabelColumnName = "Y", HiddenLayerSizes = [128, 128, 64], TargetSparsity = 1f - 2000f / totalWeights,
    }).Fit(train);
    Report("default options, 2000 nonzero weights ±1 %", model, clock);
}

if (mode is "random")
{
    // A user's first try: a random 75/25 split, a 64-32 network at 90 %, nothing else set (issue 16 quotes LightGbm
    // R² 0.74 on one such split). Seeds 1-5 of the split.
    foreach (int splitSeed in Enumerable.Range(1, 5))
    {
        var split = ml.Data.TrainTestSplit(all, testFraction: 0.25, seed: splitSeed);
        var clock = Stopwatch.StartNew();
        var model = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options
        {
            FeatureColumnName = "X", LabelColumnName = "Y", HiddenLayerSizes = [64, 32], TargetSparsity = 0.9f,
        }).Fit(split.TrainSet);
        var metrics = ml.Regression.Evaluate(model.Transform(split.TestSet), labelColumnName: "Y");
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "random split {0}: test R² {1:F4}, sparsity {2:P1}, {3:F1}s",
            splitSeed, metrics.RSquared, model.Model.Sparsity, clock.Elapsed.TotalSeconds));
    }
}

if (mode is "single" or "both")
{
    Run("single λ, 2000 nonzero weights ±0.1 %", new SparseMlpRegressionTrainer.Options
    {
        TargetSparsity = 1f - 2000f / totalWeights,
        SparsityTolerance = 0.001f,
        ParameterSelection = { LargeProbe = 1e-3f, MaximumNumberOfIterations = 99 },
    });
}

if (mode is "layerwise" or "both")
{
    int[] targets = [650, 1200, 1000, 45];
    Run("layer-wise (650, 1200, 1000, 45), every layer within 5 %", new SparseMlpRegressionTrainer.Options
    {
        LayerTargetSparsities = targets.Select((t, j) => 1f - (float)t / weightsPerLayer[j]).ToArray(),
        SparsityTolerance = 0.05f,
        ParameterSelection = { LargeProbe = 1e-3f, MaximumNumberOfIterations = 99 },
    });
}

void Run(string title, SparseMlpRegressionTrainer.Options options)
{
    options.FeatureColumnName = "X";
    options.LabelColumnName = "Y";
    options.HiddenLayerSizes = [128, 128, 64];
    options.BatchSize = 0;
    options.Optimizer = SparseMlpOptimizer.Sgd; // the authors': plain proximal gradient on unscaled data
    options.Standardize = false;
    options.LearningRate = 0.1f;
    options.NumberOfEpochs = maxEpochs;
    options.Seed = 123;
    options.ParameterSelection.MinimumEpochsBeforeStop = 0; // the authors' rule: a run ends at the first step within tolerance
    options.ParameterSelection.SmallProbeEpochs = maxEpochs; // the authors' full-length small probe
    options.ParameterSelection.UseAccumulatedGradient = accumulatedGradient;
    options.SelectionStrategy = strategy;
    options.Progress = new Progress<SparseMlpProgress>(p =>
    {
        if (p.Epoch % 10000 == 0)
            Console.WriteLine($"  run {p.SelectionIteration}: epoch {p.Epoch}, loss {p.Loss:F5}, nonzero [{string.Join(", ", p.LayerNonZeroCounts)}], {p.Elapsed.TotalSeconds:F0}s");
    });
    Console.WriteLine($"== {title}, up to {maxEpochs} full-batch epochs per run");
    var clock = Stopwatch.StartNew();
    Report(title, ml.Regression.Trainers.SparseMlp(options).Fit(train), clock);
}

void Report(string title, SparseMlpPredictionTransformer model, Stopwatch clock)
{
    var network = model.Model;
    Console.WriteLine(network.SelectionReport);
    double trainMse = ml.Regression.Evaluate(model.Transform(train), labelColumnName: "Y").MeanSquaredError;
    double testMse = ml.Regression.Evaluate(model.Transform(test), labelColumnName: "Y").MeanSquaredError;
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
        "{5}: NNZ per layer [{0}] = {1}; train MSE {2:F5}, test MSE {3:F5} (authors' code: about 0.012 / 0.014); {4:F1}s",
        string.Join(", ", network.LayerNonZeroCounts), network.NonZeroWeightCount, trainMse, testMse, clock.Elapsed.TotalSeconds, title));
}

// data/mg.csv of the repository: the first folder holding SparseL1.MLNet.sln above the program (bin/...), else above
// the working directory.
static string FindData()
{
    foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SparseL1.MLNet.sln")))
            {
                string candidate = Path.Combine(dir.FullName, "data", "mg.csv");
                if (File.Exists(candidate))
                    return candidate;
                break;
            }
        }
    }

    throw new FileNotFoundException("mg.csv not found: it is data/mg.csv in the repository (beside SparseL1.MLNet.sln); run the example from "
        + "inside the repository or pass the file's path as the third argument.");
}

internal sealed class MgRow
{
    [LoadColumn(0, 5)]
    [VectorType(6)]
    public float[] X { get; set; } = [];

    [LoadColumn(6)]
    public float Y { get; set; }
}
