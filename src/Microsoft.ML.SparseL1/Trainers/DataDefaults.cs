// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;

namespace Microsoft.ML.SparseL1.Trainers;

/// <summary>
/// What the trainer resolves from the data when <see cref="SparseMlpOptionsBase.HiddenLayerSizes"/> or
/// <see cref="SparseMlpOptionsBase.NumberOfEpochs"/> is null. The base: one hidden layer of <see cref="MinimumWidth"/>,
/// at least <see cref="MinimumEpochs"/> epochs and <see cref="MinimumSteps"/> steps. A multiclass set with few inputs
/// (at most <see cref="GrowthMaximumInputs"/>) grows from it: a width of <see cref="WidthPerSqrtRowOutput"/> · √(rows ·
/// classes) between <see cref="MinimumWidth"/> and <see cref="MaximumWidth"/>, a second hidden layer from
/// <see cref="DeepFromRows"/> rows, and a budget of at least <see cref="MulticlassMinimumEpochs"/> epochs while that
/// stays under <see cref="MulticlassMaximumSteps"/> steps: at 90 % sparsity the base network keeps a few hundred weights,
/// too few for many classes on few inputs (ggplot2's diamonds clarity: 0.41 against LightGbm's 0.59).
/// </summary>
/// <remarks>
/// The rule's parameters are settable so that the tabular benchmark (bench/tabular.sh, <c>--sparsemlp 'Rule.Name=value'</c>) can measure other
/// values by reflection; the library itself never writes them. Their values are chosen on the benchmark's tuning half
/// and checked on its other half (docs/algorithm.md §6, "Defaults on data they were not chosen on").
/// </remarks>
internal static class DataDefaults
{
    /// <summary>Hidden layers of the base network.</summary>
    internal static int HiddenLayers { get; set; } = 1;

    /// <summary>Width of the base network's hidden layers, and the narrowest a grown one gets.</summary>
    internal static int MinimumWidth { get; set; } = 100;

    /// <summary>Widest hidden layer a grown network gets.</summary>
    internal static int MaximumWidth { get; set; } = 400;

    /// <summary>The most inputs a multiclass set may have for its network and budget to grow (0: never).</summary>
    internal static int GrowthMaximumInputs { get; set; } = 256;

    /// <summary>A grown network's width per square root of the training rows times the classes.</summary>
    internal static double WidthPerSqrtRowOutput { get; set; } = 2;

    /// <summary>From this many training rows a grown network has one more hidden layer (below <see cref="DepthChosenBelowRows"/>, if the validation loss says so).</summary>
    internal static int DeepFromRows { get; set; } = 400;

    /// <summary>
    /// Below this many training rows the depth of a grown network (one layer, or two from <see cref="DeepFromRows"/>) is
    /// chosen by 3-fold cross-validation on the training rows (<see cref="ChoosesDepth"/>).
    /// </summary>
    internal static int DepthChosenBelowRows { get; set; } = 3000;

    /// <summary>With NumberOfEpochs null, the fewest epochs a growing multiclass run trains while under <see cref="MulticlassMaximumSteps"/> steps.</summary>
    internal static int MulticlassMinimumEpochs { get; set; } = 50;

    /// <summary>The steps <see cref="MulticlassMinimumEpochs"/> may cost at most.</summary>
    internal static int MulticlassMaximumSteps { get; set; } = 7500;

    /// <summary>With NumberOfEpochs null, the fewest epochs a run trains.</summary>
    internal static int MinimumEpochs { get; set; } = SparseMlpOptionsBase.Defaults.MinimumEpochs;

    /// <summary>With NumberOfEpochs null, the fewest optimizer steps a run trains.</summary>
    internal static int MinimumSteps { get; set; } = SparseMlpOptionsBase.Defaults.MinimumSteps;

    /// <summary>
    /// With NumberOfEpochs null, the fewest optimizer steps a run whose step is chosen by cross-validation trains (small
    /// regression sets): half of <see cref="MinimumSteps"/>, because a larger chosen step makes up for the shorter budget
    /// and the choice's nine fold runs cost half as much (docs/algorithm.md §6, "Round 3").
    /// </summary>
    internal static int ChosenStepMinimumSteps { get; set; } = SparseMlpOptionsBase.Defaults.ChosenStepMinimumSteps;

    /// <summary>
    /// Whether classification, like regression, chooses its step by cross-validation on a small set (LearningRate null,
    /// a budget of steps rather than epochs); the validation loss is then the cross-entropy.
    /// </summary>
    internal static bool ChooseClassificationStep { get; set; }

    /// <summary>
    /// In a sparsity-tracking run without input selection or a fixed λ, before the pattern is frozen, every this many steps
    /// one takes the gradient of every weight and the steps between train a layer below a quarter nonzero by its nonzero
    /// weights only (<c>TrainingSettings.DenseGradientEvery</c>; networks of at least 2^17 weights, in one process, on
    /// dense rows): a zero weight may revive on those whole-layer steps only. 1 is every step (docs/kernels.md, "Before
    /// the freeze").
    /// </summary>
    internal static int DenseGradientEvery { get; set; } = 8;

    /// <summary>The candidate steps of <c>StepSizeChoice</c>, as multiples of the optimizer's default step.</summary>
    internal static float[] StepMultipliers { get; set; } = [.. Selection.StepSizeChoice.DefaultMultipliers];

    /// <summary>Up to this many inputs the step of a small regression set is chosen by cross-validation (<c>StepSizeChoice</c>).</summary>
    internal static int StepChoiceMaximumInputs { get; set; } = int.MaxValue;

    /// <summary>
    /// Up to this many inputs, <see cref="SparseMlpOptionsBase.InputsToKeep"/> keeps the inputs a first network's loss
    /// depends on most (permutation importance, then a second run on those alone: <c>ImportanceSelection</c>) instead of
    /// steering a group penalty (dense features of one process); 0 never. Above it the importance passes (one forward
    /// pass of up to 4,096 rows per input) would cost more than a training run, and the group penalty keeps them.
    /// </summary>
    internal static int ImportanceInputLimit { get; set; } = 256;

    /// <summary>
    /// With <see cref="SparseMlpOptionsBase.PiecewiseLinearBins"/> null, the bins of the piecewise-linear encoding the
    /// trainer weighs against the inputs as they are by 3-fold cross-validation on the training rows (<see cref="ChoosesEncoding"/>); 0 never.
    /// </summary>
    internal static int ChosenEncodingBins { get; set; } = 8;

    /// <summary>From this many training rows the encoding is chosen (<see cref="ChoosesEncoding"/>): on fewer, a third of them validates too little.</summary>
    internal static int EncodingChosenFromRows { get; set; } = 100;

    /// <summary>Below this many training rows the encoding is chosen (<see cref="ChoosesEncoding"/>): the choice's six fold runs cost about four fits.</summary>
    internal static int EncodingChosenBelowRows { get; set; } = 10000;

    /// <summary>
    /// The most inputs the chosen encoding may cut into bins (those with more than two distinct values), else the inputs
    /// are fed as they are: a tabular set's numeric columns are fewer; an image's pixels are not what the bins are for,
    /// and their choice would cost six fold runs of a first layer nine times as wide.
    /// </summary>
    internal static int ChosenEncodingMaximumBinnedInputs { get; set; } = 256;

    /// <summary>The most encoded values (rows times slots) the choice prepares beside the rows as they are.</summary>
    private const long MaximumChosenEncodingValues = 1L << 25;

    /// <summary>
    /// Whether the trainer chooses between the inputs as they are and encoded in <see cref="ChosenEncodingBins"/> bins:
    /// with the option null, a single process, no input selection, from <see cref="EncodingChosenFromRows"/> to fewer than <see cref="EncodingChosenBelowRows"/> rows,
    /// at most <see cref="Experiment.ExperimentSearch.MaximumEncodedInputs"/> inputs (tabular ones), and an encoded copy of a modest size.
    /// </summary>
    public static bool ChoosesEncoding(SparseMlpOptionsBase options, Training.Data.TrainingData data, int inputs) =>
        ChosenEncodingBins > 0 && options.PiecewiseLinearBins is null && !options.InputsToKeep.HasValue && data.Shard is null
        && data.Rows >= EncodingChosenFromRows && data.Rows < EncodingChosenBelowRows && inputs <= Experiment.ExperimentSearch.MaximumEncodedInputs
        && (long)data.Rows * inputs * (ChosenEncodingBins + 1) <= MaximumChosenEncodingValues;

    /// <summary>The number of hidden layers the options give (before any data is seen).</summary>
    public static int HiddenLayerCount(SparseMlpOptionsBase options) => options.HiddenLayerSizes?.Length ?? HiddenLayers;

    /// <summary>The widest hidden layers the options can give on <paramref name="inputs"/> inputs, for the size checks made before the rows are read.</summary>
    public static int[] WidestHiddenLayers(SparseMlpOptionsBase options, int inputs) => options.HiddenLayerSizes
        ?? (inputs <= GrowthMaximumInputs ? Enumerable.Repeat(Math.Max(MinimumWidth, MaximumWidth), HiddenLayers + 1) : Enumerable.Repeat(MinimumWidth, HiddenLayers)).ToArray();

    /// <summary>Whether the network and budget grow from the base for a <paramref name="task"/> set of <paramref name="inputs"/> inputs.</summary>
    public static bool Grows(SparseMlpTask task, int inputs) => task == SparseMlpTask.MulticlassClassification && inputs <= GrowthMaximumInputs;

    /// <summary>Whether the default network's depth is chosen by cross-validation between <paramref name="sizes"/>' two hidden layers and its first alone.</summary>
    public static bool ChoosesDepth(SparseMlpOptionsBase options, int[] sizes, int rows) =>
        options.HiddenLayerSizes is null && sizes.Length == HiddenLayers + 3 && rows < DepthChosenBelowRows;

    /// <summary>
    /// The hidden layer sizes: the option, or the rule's for <paramref name="rows"/> training rows, <paramref name="inputs"/>
    /// inputs and <paramref name="outputs"/> outputs. Per-layer options (λ or targets per layer), which are checked against
    /// the layer count before the rows are read, keep <see cref="HiddenLayers"/> layers.
    /// </summary>
    public static int[] HiddenLayerSizes(SparseMlpOptionsBase options, SparseMlpTask task, int rows, int inputs, int outputs)
    {
        if (options.HiddenLayerSizes is int[] sizes)
            return sizes;
        if (!Grows(task, inputs))
            return Enumerable.Repeat(MinimumWidth, HiddenLayers).ToArray();
        double width = Math.Clamp(WidthPerSqrtRowOutput * Math.Sqrt((double)rows * outputs), MinimumWidth, Math.Max(MinimumWidth, MaximumWidth));
        bool deep = rows >= DeepFromRows && options.LayerLambdas is null && options.LayerTargetSparsities is null;
        return Enumerable.Repeat((int)Math.Round(width), deep ? HiddenLayers + 1 : HiddenLayers).ToArray();
    }
}
