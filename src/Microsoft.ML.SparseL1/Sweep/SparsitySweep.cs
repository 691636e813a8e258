// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Sweep;

namespace Microsoft.ML.SparseL1;

/// <summary>
/// AutoML-style sparsity sweeps: for each target sparsity, k-fold cross-validation of a pipeline (with ML.NET's own
/// <c>CrossValidate</c>), giving the metric's mean and spread, the achieved sparsity per layer, model size, latency and
/// training time; then the Pareto front of metric against size and the sparsest model within a tolerance of the best.
/// With <see cref="SparsitySweepOptions.Communicator"/> the (target, fold) jobs are spread over the ranks of a group.
/// </summary>
public static class SparsitySweep
{
    /// <summary>Sweeps a multiclass pipeline; the primary metric is MicroAccuracy unless <paramref name="metric"/> is given.</summary>
    /// <param name="context">The ML.NET context.</param>
    /// <param name="data">Training data.</param>
    /// <param name="pipelineForTarget">Builds the pipeline (ending in a sparse MLP) for a target sparsity.</param>
    /// <param name="options">Sweep options.</param>
    /// <param name="metric">Optional primary metric (larger is better).</param>
    /// <returns>The sweep table.</returns>
    public static SparsitySweepResult<MulticlassClassificationMetrics> Multiclass(MLContext context, IDataView data,
        Func<float, IEstimator<ITransformer>> pipelineForTarget, SparsitySweepOptions options, Func<MulticlassClassificationMetrics, double>? metric = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Run(context, data, pipelineForTarget, options, metric is null ? "MicroAccuracy" : "metric", true, metric ?? (m => m.MicroAccuracy),
            scored => context.MulticlassClassification.Evaluate(scored, options.LabelColumnName));
    }

    /// <summary>Sweeps a binary pipeline; the primary metric is Accuracy unless <paramref name="metric"/> is given.</summary>
    /// <param name="context">The ML.NET context.</param>
    /// <param name="data">Training data.</param>
    /// <param name="pipelineForTarget">Builds the pipeline (ending in a sparse MLP) for a target sparsity.</param>
    /// <param name="options">Sweep options.</param>
    /// <param name="metric">Optional primary metric (larger is better).</param>
    /// <returns>The sweep table.</returns>
    public static SparsitySweepResult<CalibratedBinaryClassificationMetrics> Binary(MLContext context, IDataView data,
        Func<float, IEstimator<ITransformer>> pipelineForTarget, SparsitySweepOptions options, Func<CalibratedBinaryClassificationMetrics, double>? metric = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Run(context, data, pipelineForTarget, options, metric is null ? "Accuracy" : "metric", true, metric ?? (m => m.Accuracy),
            scored => context.BinaryClassification.Evaluate(scored, options.LabelColumnName));
    }

    /// <summary>Sweeps a regression pipeline; the primary metric is RSquared unless <paramref name="metric"/> is given.</summary>
    /// <param name="context">The ML.NET context.</param>
    /// <param name="data">Training data.</param>
    /// <param name="pipelineForTarget">Builds the pipeline (ending in a sparse MLP) for a target sparsity.</param>
    /// <param name="options">Sweep options.</param>
    /// <param name="metric">Optional primary metric (larger is better).</param>
    /// <returns>The sweep table.</returns>
    public static SparsitySweepResult<RegressionMetrics> Regression(MLContext context, IDataView data,
        Func<float, IEstimator<ITransformer>> pipelineForTarget, SparsitySweepOptions options, Func<RegressionMetrics, double>? metric = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Run(context, data, pipelineForTarget, options, metric is null ? "RSquared" : "metric", true, metric ?? (m => m.RSquared),
            scored => context.Regression.Evaluate(scored, options.LabelColumnName));
    }

    private static SparsitySweepResult<TMetrics> Run<TMetrics>(MLContext context, IDataView data, Func<float, IEstimator<ITransformer>> pipelineForTarget,
        SparsitySweepOptions options, string metricName, bool higherIsBetter, Func<TMetrics, double> metric, Func<IDataView, TMetrics> evaluate)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(pipelineForTarget);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var communicator = options.Communicator ?? SparseL1Communicator.SingleProcess;
        communicator.CheckRankAndSize(nameof(options.Communicator));
        using var exclusive = communicator.Size > 1 ? communicator.BeginExclusiveUse("sweep") : null;
        // Spread over ranks, a cancellation is exchanged with the jobs (SweepJobs): a rank must not stop alone before them.
        if (communicator.Size == 1)
            options.CancellationToken.ThrowIfCancellationRequested();
        if (ContainsTrainer(pipelineForTarget(options.TargetSparsities[0])) == false)
            throw new ArgumentException("The swept pipeline must contain a sparse MLP trainer (SparseMlp); none was found in the estimator chain, so no fold was trained.", nameof(pipelineForTarget));

        // The folds of ML.NET's CrossValidate (the same split column and seed), made once, so every target is trained and
        // evaluated on the same folds and every rank of a distributed sweep makes the same ones.
        var folds = context.Data.CrossValidationSplit(data, options.NumberOfFolds, seed: options.Seed);
        int targets = options.TargetSparsities.Count, k = folds.Count;
        // One process goes target by target, so that Progress sees each row when it is done; several deal every
        // (target, fold) job out at once, so the ranks wait for each other only once.
        int[][] rounds = communicator.Size == 1
            ? Enumerable.Range(0, targets).Select(t => new[] { t }).ToArray()
            : [Enumerable.Range(0, targets).ToArray()];
        var rows = new List<SparsitySweepRow>();
        var foldMetrics = new List<IReadOnlyList<TMetrics>>();
        foreach (int[] round in rounds)
        {
            var jobs = round.SelectMany(t => Enumerable.Range(0, k).Select(f => new SweepJob(options.TargetSparsities[t], f))).ToArray();
            var trained = SweepJobs.Train(communicator, context, jobs, job => pipelineForTarget(job.Target).Fit(folds[job.Fold].TrainSet),
                data.Schema, options.CancellationToken);
            for (int i = 0; i < round.Length; i++)
            {
                var targetJobs = trained.Skip(i * k).Take(k).ToArray();
                var models = targetJobs.Select(j => j.Model).ToArray();
                var metrics = models.Select((m, f) => evaluate(m.Transform(folds[f].TestSet))).ToArray();
                long bytes = targetJobs[0].SavedBytes ?? ModelBytes(context, models[0], data.Schema);
                var row = Row(data, options, jobs[i * k].Target, models, metrics.Select(metric).ToArray(), targetJobs.Average(j => j.Seconds), bytes);
                rows.Add(row);
                foldMetrics.Add(metrics);
                options.Progress?.Report(row);
            }
        }

        return new SparsitySweepResult<TMetrics>(metricName, higherIsBetter, rows, foldMetrics, options.MetricTolerance);
    }

    private static SparsitySweepRow Row(IDataView data, SparsitySweepOptions options, float target, ITransformer[] models,
        double[] values, double trainingSeconds, long modelBytes)
    {
        var networks = models.Select(PipelineModels.Network).ToArray();
        int layers = networks[0].LayerNonZeroCounts.Count;
        var layerSparsity = Enumerable.Range(0, layers).Select(j => networks.Average(n =>
            1.0 - (double)n.LayerNonZeroCounts[j] / ((long)n.TrainedLayerSizes[j] * n.TrainedLayerSizes[j + 1]))).ToArray();
        return new SparsitySweepRow(target, networks.Average(n => n.Sparsity), layerSparsity, values.Average(), StandardDeviation(values),
            networks.Average(n => (double)n.NonZeroWeightCount), modelBytes,
            PipelineModels.LatencyMicroseconds(models[0], data, options.LatencyRows), trainingSeconds,
            networks.All(n => n.SelectionReport?.Converged ?? true));
    }

    /// <summary>
    /// Whether the estimator is, or chains, one of our trainers: true, false, or null when a chain's contents cannot be
    /// seen. ML.NET's EstimatorChain exposes only its last estimator, so its private estimator array is read by
    /// reflection (ML.NET 5.x and 6.x name it <c>_estimators</c>); should a later version rename it, the check answers null and
    /// the sweep finds out after the first fold instead of before it.
    /// </summary>
    private static bool? ContainsTrainer(IEstimator<ITransformer> estimator)
    {
        var type = estimator.GetType();
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(SparseMlpTrainerBase<>))
                return true;
        }

        if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(EstimatorChain<>))
            return false;
        if (type.GetField("_estimators", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)?.GetValue(estimator)
            is not IEstimator<ITransformer>[] parts)
            return null;
        bool unknown = false;
        foreach (var part in parts)
        {
            switch (ContainsTrainer(part))
            {
                case true: return true;
                case null: unknown = true; break;
            }
        }

        return unknown ? null : false;
    }

    private static long ModelBytes(MLContext context, ITransformer model, DataViewSchema schema) => SweepJobs.Save(context, model, schema).Length;

    private static double StandardDeviation(double[] values)
    {
        double mean = values.Average();
        return values.Length < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    }
}
