// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Globalization;
using Microsoft.ML.SparseL1.Format;

namespace Microsoft.ML.SparseL1.Trainers;

/// <summary>Checks every option before any data is read, naming the option and the expected value.</summary>
internal static class OptionsValidation
{
    public static void Validate(SparseMlpOptionsBase options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateColumnsAndLayers(options);
        ValidateDistributedSelection(options);
        int layers = DataDefaults.HiddenLayerCount(options) + 1;
        ValidateRegularization(options, layers);
        ValidateTraining(options);
        ValidateSelection(options, layers);
        ValidateInputSelection(options);
    }

    private static void ValidateColumnsAndLayers(SparseMlpOptionsBase options)
    {
        RequireName(options.LabelColumnName, nameof(options.LabelColumnName));
        RequireName(options.FeatureColumnName, nameof(options.FeatureColumnName));
        if (options.ExampleWeightColumnName is { Length: 0 })
            Fail(nameof(options.ExampleWeightColumnName), "must be null or a column name, not empty");
        for (int i = 0; i < options.HiddenLayerSizes?.Length; i++)
        {
            if (options.HiddenLayerSizes[i] < 1)
                Fail(nameof(options.HiddenLayerSizes), $"must hold sizes of at least 1 (or be null for the default, empty for a linear model); element {i} is {options.HiddenLayerSizes[i]}");
        }
    }

    /// <summary>The selection's options that depend on other options: the group itself, data-parallel training, the checkpoint.</summary>
    private static void ValidateDistributedSelection(SparseMlpOptionsBase options)
    {
        var selection = options.ParameterSelection;
        if (selection is null)
            Fail(nameof(options.ParameterSelection), "must not be null (new ParameterSelectionOptions() holds the defaults)");

        if (options.Communicator is { Size: > 1 } && selection.UseAccumulatedGradient)
            Fail(Selection(nameof(selection.UseAccumulatedGradient)), "must be false in data-parallel training (Communicator with more than one process): the authors' last-batch gradient is not defined across shards");
        if (selection.CheckpointDirectory is string checkpoint)
        {
            if (checkpoint.Length == 0)
                Fail(Selection(nameof(selection.CheckpointDirectory)), "must be null or a folder, not empty");
            if (options.SelectionStrategy == SelectionStrategy.SparsityTracking || options.Lambda.HasValue || options.LayerLambdas is not null)
                Fail(Selection(nameof(selection.CheckpointDirectory)), "applies to the paper's iteration of several runs (a SelectionStrategy other than SparsityTracking, with a target); leave it null for one run or a fixed λ");
        }
    }

    /// <summary>Exactly one way of fixing the l1 regularization, each value in range, one per layer where per layer.</summary>
    private static void ValidateRegularization(SparseMlpOptionsBase options, int layers)
    {
        int ways = (options.TargetSparsity.HasValue ? 1 : 0) + (options.LayerTargetSparsities is null ? 0 : 1)
            + (options.Lambda.HasValue ? 1 : 0) + (options.LayerLambdas is null ? 0 : 1);
        if (ways > 1)
            Fail(nameof(options.TargetSparsity), "set exactly one of TargetSparsity, LayerTargetSparsities, Lambda and LayerLambdas; several were set");
        if (options.TargetSparsity is float target)
            CheckSparsity(target, nameof(options.TargetSparsity));
        if (options.LayerTargetSparsities is float[] targets)
        {
            CheckCount(targets.Length, layers, nameof(options.LayerTargetSparsities));
            for (int j = 0; j < targets.Length; j++)
                CheckSparsity(targets[j], $"{nameof(options.LayerTargetSparsities)}[{j}]");
        }

        if (options.Lambda is float lambda)
            CheckLambda(lambda, nameof(options.Lambda));
        if (options.LayerLambdas is float[] lambdas)
        {
            CheckCount(lambdas.Length, layers, nameof(options.LayerLambdas));
            for (int j = 0; j < lambdas.Length; j++)
                CheckLambda(lambdas[j], $"{nameof(options.LayerLambdas)}[{j}]");
        }
    }

    private static void ValidateTraining(SparseMlpOptionsBase options)
    {
        if (options.LearningRate is float rate && (!(rate > 0) || !float.IsFinite(rate)))
            Fail(nameof(options.LearningRate), $"must be null, or finite and greater than 0; got {Format(rate)}");
        if (options.BatchSize is < 0)
            Fail(nameof(options.BatchSize), $"must be at least 1, 0 for full-batch steps, or null for the default; got {options.BatchSize}");
        if (options.NumberOfEpochs is int epochs && epochs < 1)
            Fail(nameof(options.NumberOfEpochs), $"must be null or at least 1; got {epochs}");
        if (options.NumberOfThreads is int threads && threads < 1)
            Fail(nameof(options.NumberOfThreads), $"must be null or at least 1; got {threads}");
        if (!(options.SparsityTolerance > 0 && options.SparsityTolerance < 1))
            Fail(nameof(options.SparsityTolerance), $"must be in (0, 1); got {Format(options.SparsityTolerance)}");
    }

    private static void ValidateSelection(SparseMlpOptionsBase options, int layers)
    {
        var selection = options.ParameterSelection;
        if (!(selection.LargeProbe > 0) || !float.IsFinite(selection.LargeProbe))
            Fail(Selection(nameof(selection.LargeProbe)), $"must be finite and greater than 0; got {Format(selection.LargeProbe)}");
        if (!(selection.SmallProbe > 0 && selection.SmallProbe < selection.LargeProbe))
            Fail(Selection(nameof(selection.SmallProbe)), $"must be in (0, LargeProbe = {Format(selection.LargeProbe)}); got {Format(selection.SmallProbe)}");
        // The upper bounds depend on the epochs, which the data fixes when NumberOfEpochs is null: the lower bounds do not.
        ValidateEpochDependent(options, options.NumberOfEpochs ?? int.MaxValue);
        if (selection.RequiredLayersWithinTolerance is int required && (required < 1 || required > layers))
            Fail(Selection(nameof(selection.RequiredLayersWithinTolerance)), $"must be null or in [1, {layers}]; got {required}");
        if (!Enum.IsDefined(options.SelectionStrategy))
            Fail(nameof(options.SelectionStrategy), $"must be a defined SelectionStrategy; got {(int)options.SelectionStrategy}");
        if (!Enum.IsDefined(options.Optimizer))
            Fail(nameof(options.Optimizer), $"must be a defined SparseMlpOptimizer; got {(int)options.Optimizer}");
        if (options.RefitEpochs < 0)
            Fail(nameof(options.RefitEpochs), $"must be at least 0; got {options.RefitEpochs}");
        ValidateEncoding(options);
        if (selection.MaximumNumberOfIterations < 1)
            Fail(Selection(nameof(selection.MaximumNumberOfIterations)), $"must be at least 1; got {selection.MaximumNumberOfIterations}");
    }

    private static void ValidateEncoding(SparseMlpOptionsBase options)
    {
        if (options.PiecewiseLinearBins is not int bins || bins == 0)
            return;
        if (bins < Model.PiecewiseLinearInputs.MinimumBins || bins > Model.PiecewiseLinearInputs.MaximumBins)
            Fail(nameof(options.PiecewiseLinearBins), $"must be null, 0 or in [{Model.PiecewiseLinearInputs.MinimumBins}, {Model.PiecewiseLinearInputs.MaximumBins}]; got {bins}");
        if (options.InputsToKeep.HasValue)
            Fail(nameof(options.PiecewiseLinearBins), "cannot be combined with InputsToKeep (input selection chooses among the first layer's inputs, which the encoding turns into bins); leave it null or 0 with InputsToKeep");
        if (options.Communicator is { Size: > 1 })
            Fail(nameof(options.PiecewiseLinearBins), "is for training in one process (the bins are quantiles of all training rows); leave it null or 0 with a Communicator of more than one process");
    }

    private static void ValidateInputSelection(SparseMlpOptionsBase options)
    {
        if (options.InputsToKeep is int keep)
        {
            if (keep < 1)
                Fail(nameof(options.InputsToKeep), $"must be null or at least 1; got {keep}");
            if (options.SelectionStrategy != SelectionStrategy.SparsityTracking || options.Lambda.HasValue || options.LayerLambdas is not null)
                Fail(nameof(options.InputsToKeep), "needs a sparsity target with SelectionStrategy.SparsityTracking (the input penalty is steered during its run); set TargetSparsity or LayerTargetSparsities and leave Lambda, LayerLambdas and SelectionStrategy unset");
        }
    }

    /// <summary>Checks <see cref="SparseMlpOptionsBase.InputsToKeep"/> against the feature column's size.</summary>
    public static void ValidateInputs(SparseMlpOptionsBase options, int featureCount)
    {
        if (options.InputsToKeep is int keep && keep > featureCount)
            Fail(nameof(options.InputsToKeep), $"must be at most the {featureCount} values of the feature column '{options.FeatureColumnName}'; got {keep}");
    }

    /// <summary>
    /// Checks that the network the options and the data make can be saved and loaded again: every width (inputs, hidden
    /// layers, outputs) and the layer count within the model format's limits, and its largest possible payload (every
    /// layer dense, 4 bytes a weight or bias) within the format's length limit. Checked before any row is read.
    /// </summary>
    public static void ValidateNetworkSize(SparseMlpOptionsBase options, int featureCount, int outputCount)
    {
        if (featureCount > ModelFormat.MaxWidth)
        {
            throw new ArgumentOutOfRangeException($"options.{nameof(options.FeatureColumnName)}",
                $"The feature column '{options.FeatureColumnName}' has {featureCount} values; a sparse MLP model holds at most {ModelFormat.MaxWidth} (2^26) inputs. Hash or select features to fewer slots.");
        }

        if (outputCount > ModelFormat.MaxWidth)
            throw new ArgumentOutOfRangeException($"options.{nameof(options.LabelColumnName)}", $"The label column '{options.LabelColumnName}' gives {outputCount} classes; a sparse MLP model holds at most {ModelFormat.MaxWidth}.");
        int[] hidden = DataDefaults.WidestHiddenLayers(options, featureCount);
        if (hidden.Length + 1 > ModelFormat.MaxLayers)
            Fail(nameof(options.HiddenLayerSizes), $"must hold at most {ModelFormat.MaxLayers - 1} hidden layers; got {hidden.Length}");
        // Encoded, each input may become as many slots as bins.
        long previous = (long)featureCount * (options.PiecewiseLinearBins is > 0 and int bins ? bins : 1);
        if (previous > ModelFormat.MaxWidth)
            Fail(nameof(options.PiecewiseLinearBins), $"may make up to {previous:N0} slots of the {featureCount} inputs, more than a model holds ({ModelFormat.MaxWidth}); use fewer bins");
        long values = 0;
        for (int i = 0; i <= hidden.Length; i++)
        {
            int width = i < hidden.Length ? hidden[i] : outputCount;
            if (width > ModelFormat.MaxWidth)
                Fail(nameof(options.HiddenLayerSizes), $"must hold sizes of at most {ModelFormat.MaxWidth} (2^26); element {i} is {width}");
            // Weights and biases at 4 bytes, and a CSR layer's row pointers (the rest of the format is a few kilobytes).
            values += (long)previous * width + 2L * width + 1;
            previous = width;
        }

        if (4 * values > ModelFormat.MaxPayloadLength)
        {
            Fail(nameof(options.HiddenLayerSizes), string.Create(CultureInfo.InvariantCulture,
                $"make a network of {values:N0} weights and biases on {featureCount} inputs, more than a model file holds ({ModelFormat.MaxPayloadLength / 4:N0}, 2 GiB at 4 bytes each); use fewer or narrower layers"));
        }
    }

    /// <summary>
    /// The options whose range depends on the epochs of a run: checked with the options when NumberOfEpochs is set,
    /// else once the data has fixed the epochs.
    /// </summary>
    public static void ValidateEpochDependent(SparseMlpOptionsBase options, int epochs)
    {
        string source = options.NumberOfEpochs is not null ? $"NumberOfEpochs = {epochs}"
            : epochs == int.MaxValue ? "the epochs chosen for the data (NumberOfEpochs is null)" : $"the {epochs} epochs chosen for this data (NumberOfEpochs is null)";
        var selection = options.ParameterSelection;
        if (selection.MinimumEpochsBeforeStop is int minimum && (minimum < 0 || minimum >= epochs))
            Fail(Selection(nameof(selection.MinimumEpochsBeforeStop)), $"must be null or in [0, {source}); got {minimum}");
        if (selection.SmallProbeEpochs is int probeEpochs && (probeEpochs < 1 || probeEpochs > epochs))
            Fail(Selection(nameof(selection.SmallProbeEpochs)), $"must be null or in [1, {source}]; got {probeEpochs}");
    }

    private static void CheckSparsity(float value, string name)
    {
        if (!(value >= 0 && value < 1))
            Fail(name, $"must be a sparsity (fraction of zero weights) in [0, 1); got {Format(value)}");
    }

    private static void CheckLambda(float value, string name)
    {
        if (!(value >= 0) || !float.IsFinite(value))
            Fail(name, $"must be finite and at least 0; got {Format(value)}");
    }

    private static void CheckCount(int count, int layers, string name)
    {
        if (count != layers)
            Fail(name, $"must have one value per weight layer ({layers}: the hidden layers, then the output layer); got {count}");
    }

    private static void RequireName(string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
            Fail(name, "must name a column");
    }

    private static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The name of an option of <see cref="SparseMlpOptionsBase.ParameterSelection"/>, as errors give it.</summary>
    private static string Selection(string option) => $"{nameof(SparseMlpOptionsBase.ParameterSelection)}.{option}";

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(string option, string expectation) =>
        throw new ArgumentOutOfRangeException($"options.{option}", $"Option {option} {expectation}.");
}
