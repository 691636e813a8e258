// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using Microsoft.ML.Data;
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
        var split = context.Data.TrainTestSplit(data, options.HoldoutFraction, seed: options.Seed);
        int rows = CountRows(split.TrainSet);
        var search = new ExperimentSearch(options, vector.Size);
        var trials = new List<SparseMlpTrial>();
        int[]? point = search.Start;
        SparseMlpTrial? best = null;
        int[] bestPoint = point;
        while (point is not null)
        {
            search.Tried(point);
            var trial = Trial(trials.Count, point, search, options, task, rows, newOptions, trainer, score, split);
            trials.Add(trial);
            options.Progress?.Report(trial);
            if (best is null || trial.Metric > best.Metric)
                (best, bestPoint) = (trial, point);
            if (trials.Count >= (options.MaxTrials ?? int.MaxValue) || clock.Elapsed.TotalSeconds >= options.TrainingTimeInSeconds)
                break;
            point = search.Next(bestPoint);
        }

        return new SparseMlpExperimentResult(metricName, trials, clock.Elapsed.TotalSeconds);
    }

    private static SparseMlpTrial Trial(int index, int[] point, ExperimentSearch search, SparseMlpExperimentOptions experiment, SparseMlpTask task, int rows,
        Func<SparseMlpOptionsBase> newOptions, Func<SparseMlpOptionsBase, IEstimator<SparseMlpPredictionTransformer>> trainer, Func<IDataView, double> score,
        DataOperationsCatalog.TrainTestData split)
    {
        var (hidden, target, stepMultiplier, epochMultiplier) = search.Values(point);
        var options = newOptions();
        options.HiddenLayerSizes = hidden;
        options.TargetSparsity = target;
        options.Seed = experiment.Seed;
        options.LabelColumnName = experiment.LabelColumnName;
        options.FeatureColumnName = experiment.FeatureColumnName;
        options.ExampleWeightColumnName = experiment.ExampleWeightColumnName;
        options.CancellationToken = experiment.CancellationToken;
        // Multiplier 1 keeps the trainer's own choice (the step chosen by cross-validation on small regression sets).
        if (stepMultiplier != 1f)
            options.LearningRate = SparseMlpOptionsBase.Defaults.AdamLearningRate * stepMultiplier;
        if (epochMultiplier != 1)
            options.NumberOfEpochs = epochMultiplier * SparseMlpFit.EpochsFor(options, SparseMlpFit.StepsPerEpoch(task, options, rows));
        var watch = Stopwatch.StartNew();
        var model = trainer(options).Fit(split.TrainSet);
        double seconds = watch.Elapsed.TotalSeconds;
        double metric = score(model.Transform(split.TestSet));
        var network = model.Model;
        return new SparseMlpTrial(index, hidden, target, stepMultiplier, epochMultiplier, metric, network.NonZeroWeightCount, network.Sparsity, seconds, model);
    }

    private static int CountRows(IDataView data)
    {
        if (data.GetRowCount() is long known)
            return (int)Math.Min(known, int.MaxValue);
        int count = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext())
            count++;
        return count;
    }
}
