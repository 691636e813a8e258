// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;

namespace Microsoft.ML.SparseL1.Trainers;

/// <summary>
/// What the trainer resolves from the data when <see cref="SparseMlpOptionsBase.HiddenLayerSizes"/> or
/// <see cref="SparseMlpOptionsBase.NumberOfEpochs"/> is null: the hidden layers (a count of layers of one width that grows
/// with the rows and the outputs) and the step budget (at least <see cref="MinimumEpochs"/> epochs and
/// <see cref="MinimumSteps"/> steps).
/// </summary>
/// <remarks>
/// The rule's parameters are settable so that the tabular benchmark (bench/tabular.sh, <c>--sparsemlp 'Rule.Name=value'</c>) can measure other
/// values by reflection; the library itself never writes them. Their values are chosen on the benchmark's tuning half
/// and checked on its other half (docs/algorithm.md §6, "Defaults on data they were not chosen on").
/// </remarks>
internal static class DataDefaults
{
    /// <summary>Hidden layers of the default network.</summary>
    internal static int HiddenLayers { get; set; } = 1;

    /// <summary>From this many training rows, the default network has one more hidden layer (int.MaxValue: never).</summary>
    internal static int DeepFromRows { get; set; } = int.MaxValue;

    /// <summary>Narrowest default hidden layer.</summary>
    internal static int MinimumWidth { get; set; } = 100;

    /// <summary>Widest default hidden layer.</summary>
    internal static int MaximumWidth { get; set; } = 100;

    /// <summary>Default width per square root of the training rows (0: the rows do not widen the network).</summary>
    internal static double WidthPerSqrtRow { get; set; }

    /// <summary>Default width per square root of the training rows times the network's outputs (0: they do not widen the network).</summary>
    internal static double WidthPerSqrtRowOutput { get; set; }

    /// <summary>Default width per network output (0: the classes do not widen the network).</summary>
    internal static int WidthPerOutput { get; set; }

    /// <summary>With NumberOfEpochs null, the fewest epochs a run trains.</summary>
    internal static int MinimumEpochs { get; set; } = SparseMlpOptionsBase.Defaults.MinimumEpochs;

    /// <summary>With NumberOfEpochs null, the fewest optimizer steps a run trains.</summary>
    internal static int MinimumSteps { get; set; } = SparseMlpOptionsBase.Defaults.MinimumSteps;

    /// <summary>
    /// Whether classification, like regression, chooses its step by cross-validation on a small set (LearningRate null,
    /// a budget of steps rather than epochs); the validation loss is then the cross-entropy.
    /// </summary>
    internal static bool ChooseClassificationStep { get; set; }

    /// <summary>
    /// Up to this many inputs, <see cref="SparseMlpOptionsBase.InputsToKeep"/> keeps the inputs a first network's loss
    /// depends on most (permutation importance, then a second run on those alone: <c>ImportanceSelection</c>) instead of
    /// steering a group penalty (dense features of one process); 0 never. Above it the importance passes (one forward
    /// pass of up to 4,096 rows per input) would cost more than a training run, and the group penalty keeps them.
    /// </summary>
    internal static int ImportanceInputLimit { get; set; } = 256;

    /// <summary>The number of hidden layers the options give (before any data is seen).</summary>
    public static int HiddenLayerCount(SparseMlpOptionsBase options) => options.HiddenLayerSizes?.Length ?? HiddenLayers;

    /// <summary>
    /// The number of default hidden layers for <paramref name="rows"/> training rows; per-layer options (λ or targets per
    /// layer), which are checked against the layer count before the rows are read, keep <see cref="HiddenLayers"/>.
    /// </summary>
    private static int HiddenLayerCount(SparseMlpOptionsBase options, int rows) =>
        rows >= DeepFromRows && options.LayerLambdas is null && options.LayerTargetSparsities is null ? HiddenLayers + 1 : HiddenLayers;

    /// <summary>The widest hidden layers the options can give, for the size checks made before the rows are read.</summary>
    public static int[] WidestHiddenLayers(SparseMlpOptionsBase options) => options.HiddenLayerSizes ?? Enumerable.Repeat(MaximumWidth, DeepFromRows < int.MaxValue ? HiddenLayers + 1 : HiddenLayers).ToArray();

    /// <summary>The hidden layer sizes: the option, or the rule's for <paramref name="rows"/> training rows and <paramref name="outputs"/> outputs.</summary>
    public static int[] HiddenLayerSizes(SparseMlpOptionsBase options, int rows, int outputs)
    {
        if (options.HiddenLayerSizes is int[] sizes)
            return sizes;
        double width = Math.Max(MinimumWidth, Math.Max(Math.Max(WidthPerSqrtRow * Math.Sqrt(rows), WidthPerSqrtRowOutput * Math.Sqrt((double)rows * outputs)),
            (double)WidthPerOutput * outputs));
        return Enumerable.Repeat((int)Math.Min(MaximumWidth, Math.Round(width)), HiddenLayerCount(options, rows)).ToArray();
    }
}
