// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Data;
using Microsoft.ML.SparseL1.Experiment;
using Microsoft.ML.SparseL1.Trainers;

namespace Microsoft.ML.SparseL1;

/// <summary>
/// AutoML-style experiments with a time budget: from the trainer's defaults, a cost-aware search over the network's
/// width and depth, the target sparsity, the step and the training budget (<see cref="SparseMlpExperimentOptions"/>),
/// each trial trained on the rows not held out and scored on the others; the result holds every trial, the best, the
/// Pareto front of score against nonzeros and the sparsest model within a tolerance of the best.
/// </summary>
/// <remarks>
/// The data must already hold the feature vector and the label (featurize first, as for the trainer). One process: the
/// trials run one after another, each on the trainer's threads.
/// </remarks>
public static class SparseMlpExperiment
{
    /// <summary>A multiclass experiment; the score is MicroAccuracy unless <paramref name="metric"/> is given (larger is better).</summary>
    /// <param name="context">The ML.NET context.</param>
    /// <param name="data">Training data with the feature and label columns.</param>
    /// <param name="options">Experiment options.</param>
    /// <param name="metric">Optional score of a trial's holdout metrics (larger is better).</param>
    /// <returns>The trials and what they found.</returns>
    public static SparseMlpExperimentResult Multiclass(MLContext context, IDataView data, SparseMlpExperimentOptions options,
        Func<MulticlassClassificationMetrics, double>? metric = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        return Run(context, data, options, SparseMlpTask.MulticlassClassification, metric is null ? "MicroAccuracy" : "metric",
            () => new SparseMlpMulticlassTrainer.Options(), o => context.MulticlassClassification.Trainers.SparseMlp((SparseMlpMulticlassTrainer.Options)o),
            scored => (metric ?? (m => m.MicroAccuracy))(context.MulticlassClassification.Evaluate(scored, options.LabelColumnName)));
    }

    /// <summary>A binary experiment; the score is Accuracy unless <paramref name="metric"/> is given (larger is better).</summary>
    /// <param name="context">The ML.NET context.</param>
    /// <param name="data">Training data with the feature and label columns.</param>
    /// <param name="options">Experiment options.</param>
    /// <param name="metric">Optional score of a trial's holdout metrics (larger is better).</param>
    /// <returns>The trials and what they found.</returns>
    public static SparseMlpExperimentResult Binary(MLContext context, IDataView data, SparseMlpExperimentOptions options,
        Func<CalibratedBinaryClassificationMetrics, double>? metric = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        return Run(context, data, options, SparseMlpTask.BinaryClassification, metric is null ? "Accuracy" : "metric",
            () => new SparseMlpBinaryTrainer.Options(), o => context.BinaryClassification.Trainers.SparseMlp((SparseMlpBinaryTrainer.Options)o),
            scored => (metric ?? (m => m.Accuracy))(context.BinaryClassification.Evaluate(scored, options.LabelColumnName)));
    }

    /// <summary>A regression experiment; the score is RSquared unless <paramref name="metric"/> is given (larger is better).</summary>
    /// <param name="context">The ML.NET context.</param>
    /// <param name="data">Training data with the feature and label columns.</param>
    /// <param name="options">Experiment options.</param>
    /// <param name="metric">Optional score of a trial's holdout metrics (larger is better).</param>
    /// <returns>The trials and what they found.</returns>
    public static SparseMlpExperimentResult Regression(MLContext context, IDataView data, SparseMlpExperimentOptions options,
        Func<RegressionMetrics, double>? metric = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        return Run(context, data, options, SparseMlpTask.Regression, metric is null ? "RSquared" : "metric",
            () => new SparseMlpRegressionTrainer.Options(), o => context.Regression.Trainers.SparseMlp((SparseMlpRegressionTrainer.Options)o),
            scored => (metric ?? (m => m.RSquared))(context.Regression.Evaluate(scored, options.LabelColumnName)));
    }

    private static SparseMlpExperimentResult Run(MLContext context, IDataView data, SparseMlpExperimentOptions options, SparseMlpTask task, string metricName,
        Func<SparseMlpOptionsBase> newOptions, Func<SparseMlpOptionsBase, IEstimator<SparseMlpPredictionTransformer>> trainer, Func<IDataView, double> score)
    {
        ArgumentNullException.ThrowIfNull(data);
        options.Validate();
        options.CancellationToken.ThrowIfCancellationRequested();
        var features = data.Schema.GetColumnOrNull(options.FeatureColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(options), $"The data has no feature column '{options.FeatureColumnName}' (option FeatureColumnName).");
        if (features.Type is not VectorDataViewType { IsKnownSize: true } vector)
            throw new ArgumentOutOfRangeException(nameof(options), $"The feature column '{options.FeatureColumnName}' must be a known-size vector of Single; it is {features.Type}.");

        var clock = Stopwatch.StartNew();
        int rows = CountRows(data, options);
        int folds = options.NumberOfFolds ?? (rows < AutomaticFoldsBelowRows ? AutomaticFolds : 1);
        var parts = folds >= 2
            ? context.Data.CrossValidationSplit(data, folds, seed: options.Seed)
            : [context.Data.TrainTestSplit(data, options.HoldoutFraction, seed: options.Seed)];
        int trainRows = folds >= 2 ? (int)((long)rows * (folds - 1) / folds) : CountRows(parts[0].TrainSet, options);
        int outputs = task == SparseMlpTask.MulticlassClassification && data.Schema.GetColumnOrNull(options.LabelColumnName)?.Type is KeyDataViewType key ? (int)key.Count : 1;
        var search = new ExperimentSearch(options, vector.Size, DataDefaults.HiddenLayerSizes(newOptions(), task, trainRows, vector.Size, outputs));
        var trials = new List<SparseMlpTrial>();
        var points = new List<int[]>();
        int[]? point = search.Start;
        SparseMlpTrial? best = null;
        int[] bestPoint = point;
        while (point is not null)
        {
            search.Tried(point);
            var trialOptions = OptionsFor(point, search, options, task, trainRows, newOptions);
            var trial = Trial(trials.Count, point, search, trainer(trialOptions), parts, score, keepModel: folds < 2, best?.FoldMetrics);
            trials.Add(trial);
            points.Add(point);
            options.Progress?.Report(trial);
            if (best is null || (!trial.StoppedEarly && trial.Metric > best.Metric))
                (best, bestPoint) = (trial, point);
            if (trials.Count >= (options.MaxTrials ?? int.MaxValue) || clock.Elapsed.TotalSeconds >= options.TrainingTimeInSeconds)
                break;
            point = search.Next(bestPoint);
        }

        // Cross-validated, the leaders are checked again on a second split before the best is chosen, and the trials a user
        // may pick (the front and the best) are trained again on every row.
        if (folds >= 2)
        {
            Recheck(trials, points, context.Data.CrossValidationSplit(data, folds, seed: unchecked(options.Seed + 1)),
                (p, split) => Trial(0, p, search, trainer(OptionsFor(p, search, options, task, trainRows, newOptions)), split, score, keepModel: false));
            var found = new SparseMlpExperimentResult(metricName, trials, 0);
            foreach (var member in found.ParetoFront.Append(found.Best).Distinct())
            {
                var refit = OptionsFor(points[member.Index], search, options, task, rows, newOptions);
                trials[member.Index] = member with { Model = trainer(refit).Fit(data) };
            }
        }

        return new SparseMlpExperimentResult(metricName, trials, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Scores the <see cref="RecheckedLeaders"/> best trial and trial 0 again on a second split (<see cref="SparseMlpTrial.RecheckFoldMetrics"/>):
    /// the search chose its leaders on the first split's folds, so their scores there are biased upward by the choice (on
    /// a small set, by as much as the leaders differ), and a second split the choice never saw measures them without it.
    /// </summary>
    private static void Recheck(List<SparseMlpTrial> trials, List<int[]> points, IReadOnlyList<DataOperationsCatalog.TrainTestData> split,
        Func<int[], IReadOnlyList<DataOperationsCatalog.TrainTestData>, SparseMlpTrial> run)
    {
        var leaders = SparseMlpExperimentResult.Ranked(trials.Skip(1).Where(t => !t.StoppedEarly), t => t.Metric).Take(RecheckedLeaders).Append(trials[0]).ToArray();
        if (leaders.Length < 2)
            return;
        foreach (var trial in leaders)
            trials[trial.Index] = trial with { RecheckFoldMetrics = run(points[trial.Index], split).FoldMetrics };
    }

    /// <summary>How far below the best trial's mean on the same folds a trial's mean may fall before it stops (<see cref="Trial"/>).</summary>
    private const double HopelessMargin = 0.05;

    /// <summary>
    /// The best trials (after trial 0) scored again before the best is chosen: one, because choosing among several on the
    /// second split would bias their scores there as the search biased them on the first.
    /// </summary>
    private const int RecheckedLeaders = 1;

    private static int CountRows(IDataView data, SparseMlpExperimentOptions options) =>
        (int)Math.Min(DataViewReader.RowCount(data, options.CancellationToken.ThrowIfCancellationRequested), int.MaxValue);

    /// <summary>Below this many rows the trials are cross-validated by default (<see cref="SparseMlpExperimentOptions.NumberOfFolds"/>).</summary>
    private const int AutomaticFoldsBelowRows = 10_000;

    /// <summary>Folds of the default cross-validation.</summary>
    private const int AutomaticFolds = 5;

    /// <summary>The trainer options of a point, for training on <paramref name="rows"/> rows.</summary>
    private static SparseMlpOptionsBase OptionsFor(int[] point, ExperimentSearch search, SparseMlpExperimentOptions experiment, SparseMlpTask task, int rows,
        Func<SparseMlpOptionsBase> newOptions)
    {
        var (hidden, target, stepMultiplier, epochMultiplier) = search.Values(point);
        var options = newOptions();
        options.HiddenLayerSizes = hidden;
        options.TargetSparsity = target;
        options.LabelColumnName = experiment.LabelColumnName;
        options.FeatureColumnName = experiment.FeatureColumnName;
        options.ExampleWeightColumnName = experiment.ExampleWeightColumnName;
        options.CancellationToken = experiment.CancellationToken;
        // Multiplier 1 keeps the trainer's own choice (the step chosen by cross-validation on small regression sets).
        if (stepMultiplier != 1f)
            options.LearningRate = SparseMlpOptionsBase.Defaults.AdamLearningRate * stepMultiplier;
        if (epochMultiplier != 1)
        {
            long stepsPerEpoch = SparseMlpFit.StepsPerEpoch(task, options, rows);
            options.NumberOfEpochs = epochMultiplier * SparseMlpFit.EpochsFor(options, task, search.Inputs, stepsPerEpoch,
                SparseMlpFit.ChoosesStepSize(task, options, rows, search.Inputs, stepsPerEpoch));
        }

        return options;
    }

    /// <summary>
    /// Trains a point on each part's training rows and scores it on the part's test rows (the means over the parts). From
    /// the second fold on, a trial whose mean so far is more than <see cref="HopelessMargin"/> below the best trial's mean
    /// on the same folds stops there (<see cref="SparseMlpTrial.StoppedEarly"/>): it cannot be the best, nor within a
    /// usual tolerance of it, and its remaining folds would only spend the budget.
    /// </summary>
    private static SparseMlpTrial Trial(int index, int[] point, ExperimentSearch search, IEstimator<SparseMlpPredictionTransformer> trainer,
        IReadOnlyList<DataOperationsCatalog.TrainTestData> parts, Func<IDataView, double> score, bool keepModel, IReadOnlyList<double>? best = null)
    {
        var (hidden, target, stepMultiplier, epochMultiplier) = search.Values(point);
        var watch = Stopwatch.StartNew();
        double nonZero = 0, sparsity = 0;
        var scores = new List<double>(parts.Count);
        SparseMlpPredictionTransformer? model = null;
        bool stopped = false;
        for (int p = 0; p < parts.Count && !stopped; p++)
        {
            var part = parts[p];
            model = trainer.Fit(part.TrainSet);
            scores.Add(score(model.Transform(part.TestSet)));
            nonZero += model.Model.NonZeroWeightCount;
            sparsity += model.Model.Sparsity;
            stopped = p >= 1 && p < parts.Count - 1 && best?.Count == parts.Count && scores.Average() < best.Take(p + 1).Average() - HopelessMargin;
        }

        return new SparseMlpTrial(index, hidden, target, stepMultiplier, epochMultiplier, scores.Average(), (long)Math.Round(nonZero / scores.Count),
            sparsity / scores.Count, watch.Elapsed.TotalSeconds, keepModel ? model : null) { FoldMetrics = scores, StoppedEarly = stopped };
    }
}
