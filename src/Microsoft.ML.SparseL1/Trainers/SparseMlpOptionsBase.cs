// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Threading;

namespace Microsoft.ML.SparseL1;

/// <summary>
/// Options shared by the sparse MLP trainers. Exactly one way of fixing the l1 regularization may be set:
/// <see cref="TargetSparsity"/>, <see cref="LayerTargetSparsities"/>, <see cref="Lambda"/> or <see cref="LayerLambdas"/>;
/// none set means <see cref="TargetSparsity"/> = <see cref="Defaults.TargetSparsity"/>.
/// </summary>
public abstract class SparseMlpOptionsBase
{
    /// <summary>Default values, used by the options and by the simple catalog overloads.</summary>
    public static class Defaults
    {
        /// <summary>Default <see cref="TargetSparsity"/> when no regularization option is set.</summary>
        public const float TargetSparsity = 0.9f;

        /// <summary>Default <see cref="LearningRate"/> for <see cref="SparseMlpOptimizer.Sgd"/> (the paper's 0.1).</summary>
        public const float SgdLearningRate = 0.1f;

        /// <summary>Default <see cref="LearningRate"/> for <see cref="SparseMlpOptimizer.Adam"/> (Kingma and Ba's, PyTorch's and Keras's 1e-3).</summary>
        public const float AdamLearningRate = 1e-3f;

        /// <summary>Default <see cref="Optimizer"/>.</summary>
        public const SparseMlpOptimizer Optimizer = SparseMlpOptimizer.Adam;

        /// <summary>Default <see cref="SparseMlpOptionsBase.SelectionStrategy"/>.</summary>
        public const SelectionStrategy SelectionStrategy = SparseL1.SelectionStrategy.SparsityTracking;

        /// <summary>
        /// With <see cref="NumberOfEpochs"/> null, the run trains at least <see cref="MinimumEpochs"/> epochs and at least
        /// this many optimizer steps, so that a few hundred rows get as many updates as a large data set's 20 epochs.
        /// </summary>
        /// <remarks>
        /// Chosen on the defaults benchmark (bench/defaults.sh, 5-fold CV on six small real sets): twice as many steps overfit
        /// the noisiest set, and this many were close to the best ML.NET trainer on all six (docs/algorithm.md §6).
        /// </remarks>
        public const int MinimumSteps = 3000;

        /// <summary>
        /// With <see cref="NumberOfEpochs"/> null, the fewest optimizer steps of a run whose <see cref="LearningRate"/> is
        /// chosen by cross-validation (regression on 30 to 19,072 rows with LearningRate null).
        /// </summary>
        public const int ChosenStepMinimumSteps = 1500;

        /// <summary>With <see cref="NumberOfEpochs"/> null, the fewest epochs a run trains.</summary>
        public const int MinimumEpochs = 20;

        /// <summary>
        /// <see cref="BatchSize"/> when it is null: for regression, and for classification on a set of at least
        /// <see cref="MinimumSteps"/> x 128 / <see cref="MinimumEpochs"/> = 19,200 rows (about where <see cref="MinimumEpochs"/>
        /// epochs of 128 make the step budget).
        /// </summary>
        public const int BatchSize = 128;

        /// <summary>
        /// The smallest batch <see cref="BatchSize"/> null gives: for classification on a set of fewer than 19,200 rows
        /// the batch is the one that makes <see cref="MinimumSteps"/> steps in <see cref="MinimumEpochs"/> epochs (rows /
        /// 150), but not below this (4,800 rows and fewer).
        /// </summary>
        /// <remarks>
        /// Why: on a small set the budget is a number of steps, and a step's cost grows with its batch. On the defaults
        /// benchmark batches of 32 instead of 128 fit the small classification sets faster at the same accuracy, while
        /// regression lost accuracy with them and keeps 128 (docs/algorithm.md §6, "Batch").
        /// </remarks>
        public const int MinimumBatchSize = 32;

        /// <summary>Default <see cref="Seed"/> (the paper's).</summary>
        public const int Seed = 123;

        /// <summary>Default <see cref="SparsityTolerance"/>.</summary>
        public const float SparsityTolerance = 0.01f;
    }

    /// <summary>Name of the label column. Default <c>"Label"</c>.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Name of the feature column: a known-size vector of <see cref="float"/>. Default <c>"Features"</c>.</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>Name of an optional example-weight column of <see cref="float"/> (non-negative, finite). Default null (all weights 1).</summary>
    public string? ExampleWeightColumnName { get; set; }

    /// <summary>
    /// Sizes of the hidden layers, input side first; each at least 1. Empty means a linear model. Default null: chosen from
    /// the data (one layer of 100; the trainer's log says what it resolved to).
    /// </summary>
    public int[]? HiddenLayerSizes { get; set; }

    /// <summary>
    /// Target fraction of all weights (biases excluded) that are exactly zero, in [0, 1). The trainer chooses λ by the
    /// paper's parameter-selection iteration. Default null (see the class remarks).
    /// </summary>
    public float? TargetSparsity { get; set; }

    /// <summary>Target sparsity of each weight layer (hidden layers, then output), each in [0, 1). Default null.</summary>
    public float[]? LayerTargetSparsities { get; set; }

    /// <summary>A fixed λ ≥ 0 for all layers (no selection). Default null.</summary>
    public float? Lambda { get; set; }

    /// <summary>A fixed λ_j ≥ 0 per weight layer (hidden layers, then output). Default null.</summary>
    public float[]? LayerLambdas { get; set; }

    /// <summary>
    /// Standardize the features (and a regression label) with the training data's mean and standard deviation before
    /// training, so that the l1 penalty and the step size mean the same whatever the units (as glmnet does). The affine
    /// maps are folded into the first layer's weights and biases and the last layer's outputs of the delivered
    /// network, so prediction costs nothing extra and zeros stay zeros; λ and the selection report refer to the
    /// standardized problem. Constant features are centred only. Default true.
    /// </summary>
    public bool Standardize { get; set; } = true;

    /// <summary>
    /// Clamp each input of the delivered network to the range it had in the training rows (finite values only; NaN and
    /// infinities pass as they are), so that a row outside what training saw scores like the nearest training value
    /// instead of being extrapolated linearly by the ReLU network: one such row could otherwise score orders of
    /// magnitude off, as trees never do. The range is saved with the model and exported to ONNX; rows inside it score
    /// exactly as without it. Not applied to sparse feature vectors (text), whose implicit zeros it could move.
    /// Default true; false lets the network extrapolate (a trend the training range does not cover).
    /// </summary>
    public bool ClampInputsToTrainingRange { get; set; } = true;

    /// <summary>
    /// The piecewise-linear input encoding (Gorishniy et al., NeurIPS 2022): each input with more than two distinct
    /// values in the training rows is cut at up to this many + 1 quantiles of its training values and becomes one slot per
    /// bin, each rising from 0 to 1 across its bin, so the network can weigh each stretch of an input's range on its own,
    /// as a tree's splits do; inputs with two values or fewer (one-hot slots) pass as they are. The encoding is part of
    /// the model (saved, exported to ONNX), the first layer's weights and the sparsity target count its slots. It helps
    /// most where trees lead (heavy-tailed counts, thresholds) and can cost on smooth inputs (measurements:
    /// docs/algorithm.md §9).
    /// <para>
    /// Null (the default): the trainer chooses. On feature vectors of at most 1,024 slots of which at most 256 have more
    /// than two distinct values, 100 to 9,999 rows and one process, without <see cref="InputsToKeep"/>, it trains the resolved network on the inputs as they are and in 8
    /// bins in 3-fold cross-validation on the training rows and keeps the encoding that scores better (the error rate for
    /// classification, the squared error for regression; a tie keeps the inputs as they are), at the cost of six fold
    /// runs; otherwise the inputs are fed as they are. <see cref="SparseMlpModelParameters.PiecewiseLinearBins"/> tells
    /// which was kept. 0 feeds the inputs as they are; 2 to 256 encodes them in that many bins (dense feature vectors in
    /// one process only; not with <see cref="InputsToKeep"/>).
    /// </para>
    /// </summary>
    public int? PiecewiseLinearBins { get; set; }

    /// <summary>The gradient step before each soft-threshold. Default <see cref="SparseMlpOptimizer.Adam"/>.</summary>
    public SparseMlpOptimizer Optimizer { get; set; } = Defaults.Optimizer;

    /// <summary>
    /// Step size η, in (0, ∞); the soft-threshold is η·λ (in Adam's metric for Adam). Default null: <see cref="Defaults.AdamLearningRate"/>
    /// for Adam, <see cref="Defaults.SgdLearningRate"/> for SGD; for regression on 30 to 19,072 rows (batch 128),
    /// 0.3, 1, 3 or 10 times that, chosen by 3-fold cross-validation on the training rows, and the run is then
    /// <see cref="Defaults.ChosenStepMinimumSteps"/> steps long (docs/algorithm.md §6; the choice is logged, and its runs
    /// are not reported to <see cref="Progress"/>).
    /// </summary>
    public float? LearningRate { get; set; }

    /// <summary>
    /// Examples per step, at least 1; 0 means full-batch steps. Default null: <see cref="Defaults.BatchSize"/> (128) for
    /// regression and on 19,200 rows or more; for classification on fewer, rows / 150 (so that
    /// <see cref="Defaults.MinimumEpochs"/> epochs make <see cref="Defaults.MinimumSteps"/> steps), at least
    /// <see cref="Defaults.MinimumBatchSize"/> (32, from 4,800 rows down).
    /// </summary>
    public int? BatchSize { get; set; }

    /// <summary>
    /// Epochs per training run, at least 1. Default null: at least <see cref="Defaults.MinimumEpochs"/> epochs and at least
    /// <see cref="Defaults.MinimumSteps"/> optimizer steps (20 epochs of 60,000 rows in batches of 128; 1,500 epochs of 250 rows),
    /// or <see cref="Defaults.ChosenStepMinimumSteps"/> when the step is chosen by cross-validation (see <see cref="LearningRate"/>).
    /// </summary>
    public int? NumberOfEpochs { get; set; }

    /// <summary>
    /// Input selection: the number of feature values (inputs) the network may use, at least 1 and at most the feature
    /// column's size; null means no input selection (inputs are dropped only when all their weights happen to die). A
    /// group-lasso penalty on each input's first-layer weights is steered during the <see cref="SelectionStrategy.SparsityTracking"/>
    /// run from all inputs down to this many (the strongest are kept at the end of the schedule if more remain), beside
    /// the sparsity target. The kept inputs: <see cref="SparseMlpModelParameters.UsedInputIndices"/>, or by name
    /// <see cref="SparseMlpPredictionTransformer.GetUsedInputNames"/>. With <see cref="SparseMlpOptimizer.Adam"/> a
    /// first-layer weight at zero then leaves it only when its run-average gradient exceeds λ, so inputs that carry only
    /// noise stay dropped (docs/algorithm.md §7). Default null.
    /// </summary>
    public int? InputsToKeep { get; set; }

    /// <summary>Seed of the initial weights and the shuffles. Default <see cref="Defaults.Seed"/>.</summary>
    public int Seed { get; set; } = Defaults.Seed;

    /// <summary>Threads for the matrix products, at least 1; null means all cores. Results do not depend on it. Default null.</summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>
    /// Accepted relative miss of each sparsity target, in (0, 1): a target of T nonzero weights is met when the count is
    /// within T·(1 ± tolerance). Default <see cref="Defaults.SparsityTolerance"/>.
    /// </summary>
    public float SparsityTolerance { get; set; } = Defaults.SparsityTolerance;

    /// <summary>
    /// Epochs of refit after λ is fixed or chosen, at least 0: the surviving weights are trained without the l1 term and
    /// with the zero pattern frozen, which undoes the l1 shrinkage of the kept weights at unchanged sparsity (the
    /// refit phase suggested by docs/algorithm.md A.2; not in the authors' code). Default 0.
    /// </summary>
    public int RefitEpochs { get; set; }

    /// <summary>
    /// The λ-update rule of the selection. Default <see cref="SelectionStrategy.SparsityTracking"/> (one run, λ steered
    /// along a gradual schedule to the target, then the pattern frozen and refit);
    /// <see cref="SelectionStrategy.GradientMedianBracket"/> is the paper's iteration of full runs.
    /// </summary>
    public SelectionStrategy SelectionStrategy { get; set; } = Defaults.SelectionStrategy;

    /// <summary>
    /// The options of the paper's iteration (a <see cref="SelectionStrategy"/> other than
    /// <see cref="SelectionStrategy.SparsityTracking"/>): its probes, its run budget, its stop rule and its checkpoint
    /// folder; not null. Default: a <see cref="ParameterSelectionOptions"/> with its defaults.
    /// </summary>
    public ParameterSelectionOptions ParameterSelection { get; set; } = new();

    /// <summary>
    /// Data-parallel training over several processes (Open MPI: <c>MpiCommunicator</c> in the package SparseL1.MLNet.Mpi).
    /// Every rank calls <c>Fit</c> with these options (equal on every rank) and its own shard of the rows; the shards in
    /// rank order make the training set. Every rank draws the same shuffle of the whole set, computes the gradient of its
    /// rows of each global batch, and the ranks' sums are added in rank order, so every rank applies the same update and
    /// receives the same network (bit-identical across runs with the same rank count; equal to one process on the
    /// concatenated shards within float rounding). The step choice of small regression sets is not run (set
    /// <see cref="LearningRate"/>); <see cref="ParameterSelectionOptions.UseAccumulatedGradient"/> is not supported. Set <see cref="NumberOfThreads"/>
    /// to the cores each rank may use. Default null (one process).
    /// </summary>
    public SparseL1Communicator? Communicator { get; set; }

    /// <summary>Optional progress callback, called after every epoch of every training run. Default null.</summary>
    public IProgress<SparseMlpProgress>? Progress { get; set; }

    /// <summary>Cancels training; <c>mlContext.CancelExecution()</c> also does. Default none.</summary>
    public CancellationToken CancellationToken { get; set; }
}
