// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.SparseL1.Internal;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Selection;
using Microsoft.ML.SparseL1.Training;

namespace Microsoft.ML.SparseL1;

/// <summary>What <c>Fit</c> does for every task: check, read, train (fixed λ or selection), compact.</summary>
internal static class SparseMlpTraining
{
    public static SparseMlpPredictionTransformer Fit(IHostEnvironment environment, SparseMlpTask task, SparseMlpOptionsBase options, IDataView trainData)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        OptionsValidation.Validate(options);
        var info = SchemaChecks.CheckTrainingSchema(trainData.Schema, task, options);
        var host = environment.Register("SparseMlp");
        using var channel = host.Start("Training");
        var cancellation = new TrainingCancellation(options.CancellationToken, MlNetCancellation.Probe(host));
        var data = DataViewReader.Read(trainData, task, options, info, cancellation.ThrowIfCancelled);

        int outputs = task == SparseMlpTask.MulticlassClassification ? info.ClassCount : 1;
        int[] sizes = [info.FeatureCount, .. options.HiddenLayerSizes, outputs];
        int layers = sizes.Length - 1;
        var training = new TrainingSettings
        {
            Loss = task.Loss(),
            Optimizer = options.Optimizer,
            LearningRate = options.LearningRate,
            BatchSize = options.BatchSize,
            Epochs = options.NumberOfEpochs,
            Seed = options.Seed,
            Threads = options.NumberOfThreads ?? Environment.ProcessorCount,
            Lambdas = new float[layers],
        };
        var clock = Stopwatch.StartNew();
        TimeSpan lastReport = TimeSpan.Zero, runStart = TimeSpan.Zero;
        void Report(int run, EpochSummary s, float[] lambdas)
        {
            // A run's first epoch started at the previous report (or at the start): the gap between runs is the
            // selection's gradient pass, cheaper than an epoch, so the estimate stays close.
            var elapsed = clock.Elapsed;
            if (s.Epoch == 1)
                runStart = lastReport;
            lastReport = elapsed;
            var timeLeft = (elapsed - runStart) / s.Epoch * (s.Epochs - s.Epoch);
            options.Progress?.Report(new SparseMlpProgress(run, s.Epoch, s.Epochs, s.MeanLoss, (int[])s.LayerNonZeroCounts.Clone(), lambdas,
                elapsed, timeLeft));
            channel.Trace(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture, "run {0} epoch {1}/{2}: loss {3:G5}, nonzero weights [{4}]",
                run, s.Epoch, s.Epochs, s.MeanLoss, string.Join(", ", s.LayerNonZeroCounts)));
        }

        MlpParameters parameters;
        float[] chosenLambdas;
        SparsitySelectionReport? report = null;
        if (options.Lambda.HasValue || options.LayerLambdas is not null)
        {
            chosenLambdas = options.LayerLambdas?.ToArray() ?? Enumerable.Repeat(options.Lambda!.Value, layers).ToArray();
            parameters = MlpParameters.Initialize(sizes, options.Seed);
            ProximalTrainer.Train(data, parameters, training with { Lambdas = chosenLambdas }, null, s => Report(0, s, chosenLambdas), cancellation);
        }
        else
        {
            var selection = SelectionFor(options, sizes);
            (parameters, chosenLambdas, report) = ParameterSelection.Run(data, sizes, options.Seed, training, selection,
                (run, lambdas, s) => Report(run, s, lambdas), cancellation);
            channel.Info(MessageSensitivity.None, report.ToString());
            if (!report.Converged)
                channel.Warning(MessageSensitivity.None, $"The sparsity selection did not reach its targets within {options.MaxSelectionIterations} iterations; the closest network is delivered (see SparseMlpModelParameters.SelectionReport).");
        }

        if (options.RefitEpochs > 0)
        {
            var refit = training with { Lambdas = new float[layers], Epochs = options.RefitEpochs, FreezeZeroWeights = true };
            ProximalTrainer.Train(data, parameters, refit, null, s => Report(-1, s, refit.Lambdas), cancellation);
            channel.Info(MessageSensitivity.None, $"Refit the surviving weights for {options.RefitEpochs} epochs with the zero pattern frozen.");
        }

        var model = new SparseMlpModelParameters(task, CompactMlp.FromParameters(parameters), ClassNames(trainData.Schema[options.LabelColumnName], task),
            sizes, chosenLambdas, parameters.CountNonZeroWeights(), report);
        channel.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture, "Trained {0}: sparsity {1:P2} ({2} of {3} weights nonzero) in {4:F1}s.",
            string.Join("-", sizes), model.Sparsity, model.NonZeroWeightCount, model.WeightCount, clock.Elapsed.TotalSeconds));
        return new SparseMlpPredictionTransformer(model, options.FeatureColumnName);
    }

    private static SelectionSettings SelectionFor(SparseMlpOptionsBase options, int[] sizes)
    {
        int layers = sizes.Length - 1;
        long[] weights = Enumerable.Range(0, layers).Select(j => (long)sizes[j] * sizes[j + 1]).ToArray();
        bool layerWise = options.LayerTargetSparsities is not null;
        int[] targets = layerWise
            ? options.LayerTargetSparsities!.Select((s, j) => (int)Math.Round((1 - s) * weights[j])).ToArray()
            : [(int)Math.Round((1 - (options.TargetSparsity ?? SparseMlpOptionsBase.Defaults.TargetSparsity)) * weights.Sum())];
        return new SelectionSettings
        {
            LayerWise = layerWise,
            Targets = targets,
            Tolerance = options.SparsityTolerance,
            MaxIterations = options.MaxSelectionIterations,
            MinimumEpochsBeforeStop = options.MinimumEpochsBeforeStop ?? options.NumberOfEpochs / 2,
            Strategy = options.SelectionStrategy,
            LargeProbe = options.SelectionLargeProbe,
            SmallProbe = options.SelectionSmallProbe,
            SmallProbeEpochs = options.SelectionSmallProbeEpochs ?? Math.Max(1, options.NumberOfEpochs / 5),
            RequiredLayersWithinTolerance = options.RequiredLayersWithinTolerance,
            AccumulatedGradient = options.UseAccumulatedGradient,
        };
    }

    private static string[] ClassNames(DataViewSchema.Column label, SparseMlpTask task)
    {
        if (task != SparseMlpTask.MulticlassClassification || label.Annotations.Schema.GetColumnOrNull(AnnotationUtils.Kinds.KeyValues) is not { } column
            || column.Type is not VectorDataViewType { ItemType: TextDataViewType })
            return [];
        VBuffer<ReadOnlyMemory<char>> values = default;
        label.Annotations.GetValue(AnnotationUtils.Kinds.KeyValues, ref values);
        return values.DenseValues().Select(v => v.ToString()).ToArray();
    }
}
