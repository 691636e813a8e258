// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1;
using Microsoft.ML.SparseL1.Charts;

// An experiment with a time budget on the breast cancer set in data/ (569 rows, 30 inputs): from the trainer's defaults,
// a search over width, depth, target sparsity, step and budget; every trial, the Pareto front of accuracy against
// nonzeros, the sparsest model within 0.01 of the best; all scored on a test split the search never saw, beside the
// defaults; a chart of the trials. Arguments: [seconds = 30] [data file = data/breast_cancer.csv, found from the working directory up]
double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 30;
string path = args.Length > 1 ? args[1] : FindUp(Path.Combine("data", "breast_cancer.csv"));

var ml = new MLContext(seed: 1);
var columns = File.ReadLines(path).First().Split(',');
var loader = ml.Data.CreateTextLoader(new TextLoader.Options
{
    Separators = [','],
    HasHeader = true,
    Columns =
    [
        new TextLoader.Column("Features", DataKind.Single, 0, columns.Length - 2),
        new TextLoader.Column("Label", DataKind.Boolean, columns.Length - 1),
    ],
});
var split = ml.Data.TrainTestSplit(loader.Load(path), 0.2, seed: 1);

var defaults = ml.BinaryClassification.Trainers.SparseMlp().Fit(split.TrainSet);
double defaultsAccuracy = ml.BinaryClassification.Evaluate(defaults.Transform(split.TestSet)).Accuracy;
Console.WriteLine($"Defaults: test accuracy {defaultsAccuracy:F4}, {defaults.Model.NonZeroWeightCount:N0} nonzero weights.");

Console.WriteLine($"Experiment of {seconds:F0} s (trials cross-validated on the training rows)...");
var result = SparseMlpExperiment.Binary(ml, split.TrainSet, new SparseMlpExperimentOptions
{
    TrainingTimeInSeconds = seconds,
    Progress = new Progress<SparseMlpTrial>(trial => Console.WriteLine($"  {trial}")),
});

double Test(SparseMlpTrial trial) => ml.BinaryClassification.Evaluate(trial.Model!.Transform(split.TestSet)).Accuracy;
Console.WriteLine($"{result.Trials.Count} trials in {result.Seconds:F0} s.");
Console.WriteLine("Pareto front (cross-validated accuracy against nonzeros, sparsest first; the time a row takes through Transform):");
foreach (var trial in result.ParetoFront)
    Console.WriteLine($"  {trial.NonZeroWeights,6:N0} nonzero: accuracy {trial.Metric:F4} (test {Test(trial):F4}), {trial.PredictionMicroseconds:F1} µs a row, hidden [{string.Join(", ", trial.HiddenLayerSizes)}], target {trial.TargetSparsity:P0}");
var best = result.Best;
var sparsest = result.SparsestWithin(0.01);
// The search's leader must beat the defaults on the rows kept from the search (a fifth), resample by resample.
if (result.Leader is { } leader && result.LeaderWins is int wins)
{
    Console.WriteLine($"Leader (trial {leader.Index}) against the defaults on {leader.ConfirmationMetrics.Count} resamples of the rows kept from the search: " +
        $"ahead on {wins}, {(best == leader ? "confirmed" : "not confirmed, the best is the defaults")}.");
}

Console.WriteLine($"Best: {best}; test accuracy {Test(best):F4}.");
Console.WriteLine($"Sparsest within 0.01 of the best: {sparsest}; test accuracy {Test(sparsest):F4}, {(double)best.NonZeroWeights / sparsest.NonZeroWeights:F1}x fewer nonzeros than the best.");
ml.Model.Save(sparsest.Model!, split.TrainSet.Schema, "experiment-sparsest.zip");
Console.WriteLine("Saved the sparsest model to experiment-sparsest.zip.");
SparseL1Charts.SaveExperimentChart(result, "experiment.png");
Console.WriteLine("Wrote experiment.png (every trial's accuracy against its nonzeros, the front, the best and the sparsest within 0.01).");

static string FindUp(string relative)
{
    for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
    {
        string candidate = Path.Combine(directory.FullName, relative);
        if (File.Exists(candidate))
            return candidate;
    }

    throw new FileNotFoundException($"No {relative} in the working directory or above it; pass the data file's path as the second argument.");
}
