// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.SparseL1;

namespace SparseL1.Bench.Defaults.Shared;

/// <summary>A trainer as the benchmark runs it: a fresh estimator per cross-validation.</summary>
internal sealed record TrainerSpec(string Name, bool IsOurs, Func<MLContext, IEstimator<ITransformer>> Create);

/// <summary>Per-fold results of one cross-validation: the task's metric, AUC (binary only), the fit seconds, and for our
/// trainer what its selection delivered.</summary>
internal sealed record FoldScores(double[] Metric, double[]? Auc, double[] FitSeconds, OurFold[]? Ours);

/// <summary>Our model of one fold: what the default target-sparsity selection reached, and at what cost.</summary>
internal sealed record OurFold(double Sparsity, bool Converged, int SelectionRuns, int Epochs);

internal static class Trainers
{
    /// <summary>Name of our trainer in the tables.</summary>
    public const string Ours = "SparseMlp (ours)";

    /// <summary>Name of the trainer our fit time is compared with.</summary>
    public const string LightGbm = "LightGbm";

    /// <summary>Seed of the fold split: the same folds for every trainer, so their scores are paired.</summary>
    public const int Seed = 1;

    /// <summary>
    /// Every trainer with its defaults: only the column names, which are ML.NET's defaults anyway. No normalization
    /// anywhere: the point is what a user gets from the defaults, so the linear trainers are measured unscaled too.
    /// </summary>
    public static TrainerSpec[] For(MlTask task) => task switch
    {
        MlTask.Multiclass =>
        [
            new(Ours, true, ml => ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options { LabelColumnName = "Label", FeatureColumnName = "Features" })),
            new(LightGbm, false, ml => ml.MulticlassClassification.Trainers.LightGbm()),
            // ML.NET has no multiclass FastTree; one-versus-all over the binary one is its usual multiclass form.
            new("FastTree (one-versus-all)", false, ml => ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastTree())),
            new("LbfgsMaximumEntropy", false, ml => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy()),
            new("SdcaMaximumEntropy", false, ml => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy()),
        ],
        MlTask.Binary =>
        [
            new(Ours, true, ml => ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { LabelColumnName = "Label", FeatureColumnName = "Features" })),
            new(LightGbm, false, ml => ml.BinaryClassification.Trainers.LightGbm()),
            new("FastTree", false, ml => ml.BinaryClassification.Trainers.FastTree()),
            new("LbfgsLogisticRegression", false, ml => ml.BinaryClassification.Trainers.LbfgsLogisticRegression()),
            new("SdcaLogisticRegression", false, ml => ml.BinaryClassification.Trainers.SdcaLogisticRegression()),
        ],
        _ =>
        [
            new(Ours, true, ml => ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { LabelColumnName = "Label", FeatureColumnName = "Features" })),
            new(LightGbm, false, ml => ml.Regression.Trainers.LightGbm()),
            new("FastTree", false, ml => ml.Regression.Trainers.FastTree()),
            // Ordinary least squares would be the natural baseline but lives in Microsoft.ML.Mkl.Components (native MKL).
            new("Sdca", false, ml => ml.Regression.Trainers.Sdca()),
            new("OnlineGradientDescent", false, ml => ml.Regression.Trainers.OnlineGradientDescent()),
        ],
    };

    /// <summary>The task's <c>CrossValidate</c> on <paramref name="data"/>, with each fold's fit timed.</summary>
    public static FoldScores CrossValidate(MLContext ml, MlTask task, IDataView data, IEstimator<ITransformer> estimator, int folds)
    {
        var timed = new TimedEstimator(estimator);
        switch (task)
        {
            case MlTask.Multiclass:
                var multiclass = ml.MulticlassClassification.CrossValidate(data, timed, folds, seed: Seed);
                return new FoldScores(multiclass.Select(fold => fold.Metrics.MicroAccuracy).ToArray(), null, [.. timed.Seconds],
                    DescribeOurs(multiclass.Select(fold => fold.Model)));
            case MlTask.Binary:
                var binary = ml.BinaryClassification.CrossValidate(data, timed, folds, seed: Seed);
                return new FoldScores(binary.Select(fold => fold.Metrics.Accuracy).ToArray(),
                    binary.Select(fold => fold.Metrics.AreaUnderRocCurve).ToArray(), [.. timed.Seconds], DescribeOurs(binary.Select(fold => fold.Model)));
            default:
                var regression = ml.Regression.CrossValidate(data, timed, folds, seed: Seed);
                return new FoldScores(regression.Select(fold => fold.Metrics.RSquared).ToArray(), null, [.. timed.Seconds],
                    DescribeOurs(regression.Select(fold => fold.Model)));
        }
    }

    /// <summary>
    /// Cross-validates one trainer on one set and writes a progress line to stderr; a trainer that throws (diverges,
    /// rejects the data) gives a failed result, not an exception: it is a result of the benchmark.
    /// </summary>
    public static TrainerResult Measure(MLContext ml, string setName, MlTask task, IDataView data, TrainerSpec spec, int folds)
    {
        var watch = Stopwatch.StartNew();
        TrainerResult result;
        try
        {
            var scores = CrossValidate(ml, task, data, spec.Create(ml), folds);
            result = new TrainerResult(spec.Name, spec.IsOurs, scores.Metric, scores.Auc, scores.FitSeconds, scores.Ours, null);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var root = ex.GetBaseException();
            result = new TrainerResult(spec.Name, spec.IsOurs, [], null, [], null, $"{root.GetType().Name}: {root.Message}");
        }

        Console.Error.WriteLine($"{setName}: {spec.Name}: " +
            (result.Failed ? $"failed: {Output.Cell(result.Error!)}" : $"{result.ScoreMean:F4} (fit {string.Join(", ", result.FitSeconds.Select(seconds => seconds.ToString("F3", CultureInfo.InvariantCulture)))} s)") +
            $", {watch.Elapsed.TotalSeconds:F1} s in all");
        return result;
    }

    /// <summary>Null unless the fold models are ours; a score alone does not tell whether the selection reached its target.</summary>
    private static OurFold[]? DescribeOurs(IEnumerable<ITransformer> models)
    {
        // A chain (a transform before our trainer, --sparsemlp 'Pre=...') ends in our transformer.
        var ours = models.Select(model => model is IEnumerable<ITransformer> chain ? chain.Last() : model)
            .OfType<ISingleFeaturePredictionTransformer<SparseMlpModelParameters>>().Select(model => model.Model).ToArray();
        return ours.Length == 0 ? null : ours.Select(model => new OurFold(model.Sparsity, model.SelectionReport?.Converged ?? true,
            model.SelectionReport?.Iterations.Count ?? 1, model.SelectionReport?.TotalEpochs ?? 0)).ToArray();
    }

    /// <summary>The metric each task reports.</summary>
    public static string MetricName(MlTask task) => task switch
    {
        MlTask.Multiclass => "MicroAccuracy",
        MlTask.Binary => "Accuracy",
        _ => "RSquared",
    };

    /// <summary>
    /// Times each <c>Fit</c>: CrossValidate calls it once per fold, one fold after the other, so this is the training
    /// time alone, without the split and the (lazy) scoring and evaluation of the test fold.
    /// </summary>
    private sealed class TimedEstimator(IEstimator<ITransformer> inner) : IEstimator<ITransformer>
    {
        public List<double> Seconds { get; } = [];

        public ITransformer Fit(IDataView input)
        {
            var watch = Stopwatch.StartNew();
            var model = inner.Fit(input);
            Seconds.Add(watch.Elapsed.TotalSeconds);
            return model;
        }

        public SchemaShape GetOutputSchema(SchemaShape inputSchema) => inner.GetOutputSchema(inputSchema);
    }
}
