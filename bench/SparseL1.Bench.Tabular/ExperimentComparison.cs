// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.SparseL1;
using SparseL1.Bench.Defaults.Shared;

namespace SparseL1.Bench.Tabular;

/// <summary>
/// Issue 33's benchmark: per set, one split (80 % to train, 20 % to score, seed 1 unless --split-seed); on the 80 %, a SparseMlpExperiment
/// with the time budget (which holds out its own 20 % to choose), SparseMlp with its defaults and each ML.NET trainer of
/// the tabular benchmark (LightGbm, FastTree, the linear one) with its defaults; every model scored on the same 20 %, the
/// best ML.NET trainer of each set being the one the issue's goal compares with. Markdown to stdout, progress to stderr.
/// </summary>
internal static class ExperimentComparison
{
    public static string Run(IReadOnlyList<TabularSet> sets, string root, string exportDirectory, double seconds, int splitSeed, float[]? inputFractions)
    {
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"Experiment budget {seconds:F0} s per set; scores on a 20 % test split (seed {splitSeed}) not seen by any fit.");
        table.AppendLine();
        table.AppendLine("| set | task | metric | LightGbm | FastTree | linear | best ML.NET trainer | SparseMlp defaults (nonzero) | experiment best (nonzero, hidden, target, bins, inputs kept) | sparsest within 0.01 of the best in the search (nonzero) | the highest test score of a trial with a model (nonzero, trial; the most a choice among them could give) | trials | experiment s | leader's lead over the defaults (rows kept from the search, or the holdout's parts) |");
        table.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var set in sets)
        {
            var ml = new MLContext(seed: 1);
            var data = TabularLoading.Load(ml, set, set.FilePath(root, exportDirectory));
            var split = ml.Data.TrainTestSplit(data.View, 0.2, seed: splitSeed);
            // LightGbm, FastTree and the linear trainer, in the tabular benchmark's order and with its definitions.
            double[] peers = TabularTrainers.For(set.Task, SparseMlpSettings.None).Where(t => !t.Spec.IsOurs)
                .Select(t => Score(ml, set.Task, t.Spec.Create(ml).Fit(split.TrainSet), split.TestSet)).ToArray();
            var defaults = Defaults(ml, set.Task).Fit(split.TrainSet);
            double ours = Score(ml, set.Task, defaults, split.TestSet);
            var options = new SparseMlpExperimentOptions { TrainingTimeInSeconds = seconds, Progress = new Progress(set.Name) };
            if (inputFractions is not null)
                options.InputFractions = inputFractions;
            var clock = Stopwatch.StartNew();
            var result = set.Task switch
            {
                MlTask.Multiclass => SparseMlpExperiment.Multiclass(ml, split.TrainSet, options),
                MlTask.Binary => SparseMlpExperiment.Binary(ml, split.TrainSet, options),
                _ => SparseMlpExperiment.Regression(ml, split.TrainSet, options),
            };
            double elapsed = clock.Elapsed.TotalSeconds;
            var best = result.Best;
            var sparsest = result.SparsestWithin(0.01);
            // The trials with a model (the Pareto front and the best, trained as the result delivers them) scored on the
            // test rows: the ceiling of any rule that chooses among them.
            var ceiling = result.Trials.Where(t => t.Model is not null)
                .Select(t => (Trial: t, Score: Score(ml, set.Task, t.Model!, split.TestSet))).OrderByDescending(t => t.Score).First();
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {set.Name} | {set.Task.ToString().ToLowerInvariant()} | {Trainers.MetricName(set.Task)} | {string.Join(" | ", peers.Select(p => p.ToString("F4", CultureInfo.InvariantCulture)))} | {peers.Max():F4} | {ours:F4} ({defaults.Model.NonZeroWeightCount:N0}) | " +
                $"{Score(ml, set.Task, best.Model!, split.TestSet):F4} ({best.NonZeroWeights:N0}, [{string.Join(", ", best.HiddenLayerSizes)}], {best.TargetSparsity:P0}{(best.PiecewiseLinearBins > 0 ? $", {best.PiecewiseLinearBins} bins" : "")}{(best.InputsToKeep is int kept ? $", {kept} inputs kept" : "")}) | " +
                $"{Score(ml, set.Task, sparsest.Model!, split.TestSet):F4} ({sparsest.NonZeroWeights:N0}) | {ceiling.Score:F4} ({ceiling.Trial.NonZeroWeights:N0}, trial {ceiling.Trial.Index}) | {result.Trials.Count} | {elapsed:F0} | {Lead(result)} |");
            Console.Error.WriteLine($"{set.Name}: done in {elapsed:F0} s");
        }

        return table.ToString();
    }

    /// <summary>
    /// The leader's lead over trial 0. With rows kept from the search (the weighed leader): its mean over the kept rows'
    /// resamples and how many of them it wins (the experiment takes it from SparseMlpExperimentResult.RequiredConfidence of
    /// them, 196 of 200). Without (the top trial after trial 0): its mean over the folds or the holdout's parts in standard
    /// errors of the differences (taken above the t quantile, 2.87 on five). Another threshold's choice can be read from it.
    /// </summary>
    private static string Lead(SparseMlpExperimentResult result)
    {
        var defaults = result.Trials[0];
        if (result.Leader is { } confirmed)
        {
            if (result.LeaderWins is not int wins)
                return string.Create(CultureInfo.InvariantCulture, $"trial {confirmed.Index}: kept rows not resampled");
            double lead = confirmed.ConfirmationMetrics.Zip(defaults.ConfirmationMetrics, (a, b) => a - b).Average();
            return string.Create(CultureInfo.InvariantCulture,
                $"trial {confirmed.Index}: {lead:+0.0000;-0.0000} (wins {wins} of {defaults.ConfirmationMetrics.Count} resamples of the kept rows)");
        }

        var top = result.Trials.Skip(1).OrderByDescending(t => t.Metric).ThenBy(t => t.NonZeroWeights).FirstOrDefault();
        if (top is null || top.FoldMetrics.Count < 2 || defaults.FoldMetrics.Count != top.FoldMetrics.Count)
            return "not confirmed";
        var differences = top.FoldMetrics.Zip(defaults.FoldMetrics, (a, b) => a - b).ToArray();
        double mean = differences.Average();
        double standardError = Math.Sqrt(differences.Sum(d => (d - mean) * (d - mean)) / (differences.Length - 1) / differences.Length);
        return string.Create(CultureInfo.InvariantCulture, $"trial {top.Index}: {mean:+0.0000;-0.0000} ({mean / standardError:F2} SE, folds or holdout parts)");
    }

    private static IEstimator<SparseMlpPredictionTransformer> Defaults(MLContext ml, MlTask task) => task switch
    {
        MlTask.Multiclass => ml.MulticlassClassification.Trainers.SparseMlp(),
        MlTask.Binary => ml.BinaryClassification.Trainers.SparseMlp(),
        _ => ml.Regression.Trainers.SparseMlp(),
    };

    private static double Score(MLContext ml, MlTask task, ITransformer model, IDataView test)
    {
        var scored = model.Transform(test);
        return task switch
        {
            MlTask.Multiclass => ml.MulticlassClassification.Evaluate(scored).MicroAccuracy,
            MlTask.Binary => ml.BinaryClassification.Evaluate(scored).Accuracy,
            _ => ml.Regression.Evaluate(scored).RSquared,
        };
    }

    private sealed class Progress(string set) : IProgress<SparseMlpTrial>
    {
        public void Report(SparseMlpTrial value) => Console.Error.WriteLine($"{set}: {value}");
    }
}
