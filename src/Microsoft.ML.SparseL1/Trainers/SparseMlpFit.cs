// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Microsoft.ML.Runtime;
using Microsoft.ML.SparseL1.Data;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Selection;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Loop;

namespace Microsoft.ML.SparseL1.Trainers;

/// <summary>What <c>Fit</c> does for every task: check, read, train (fixed λ or selection), compact.</summary>
internal static class SparseMlpFit
{
    public static SparseMlpPredictionTransformer Fit(IHostEnvironment environment, SparseMlpTask task, SparseMlpOptionsBase options, IDataView trainData)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        ArgumentNullException.ThrowIfNull(options);
        var host = environment.Register("SparseMlp");
        using var channel = host.Start("Training");
        var clock = new Stopwatch();
        var progress = new FitProgress(options.Progress, channel, clock);
        var hostCancelled = MlNetCancellation.Probe(host);
        options.Communicator?.CheckRankAndSize($"{nameof(options)}.{nameof(options.Communicator)}");
        using var exclusive = options.Communicator is { Size: > 1 } group ? group.BeginExclusiveUse("fit") : null;
        var cancellation = new TrainingCancellation(options.CancellationToken, () => progress.Failed || hostCancelled?.Invoke() == true);
        var (info, read) = ReadData(trainData, task, options, cancellation);
        var scoreRange = PreparedInputs.LabelRange(read, options);
        // The encoded candidate of the choice is prepared first: preparing the inputs as they are standardizes the read rows in place.
        var encodedCandidate = EncodedCandidate(read, task, options, info.FeatureCount);
        var inputs = PreparedInputs.Of(read, options.PiecewiseLinearBins is > 0 and int bins ? bins : null, task, options);
        var (sizes, training, choosesStep) = Resolve(task, options, info, inputs.Data, channel);
        clock.Start();
        if (encodedCandidate is not null)
            (inputs, sizes) = ChooseEncoding(inputs, encodedCandidate, sizes, options, training, channel, cancellation);
        if (inputs.Encoding is { } encoding)
            channel.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture, "Inputs encoded piecewise-linearly: {0} inputs into {1} slots ({2} cut into at most {3} bins).",
                encoding.InputCount, encoding.Width, encoding.Edges.Count(e => e.Length > 0), options.PiecewiseLinearBins ?? DataDefaults.ChosenEncodingBins));
        var data = inputs.Data;
        if (data.Shard is null && DataDefaults.ChoosesDepth(options, sizes, data.Rows))
            sizes = ChooseDepth(data, sizes, options, training, channel, cancellation);
        if (choosesStep)
            training = ChooseStepSize(data, sizes, options, training, channel, cancellation);

        progress.Start(distributed: data.Shard is not null);
        var (parameters, chosenLambdas, report) = TrainWithRetries(data, sizes, options, ref training, progress, channel, cancellation);
        if (options.RefitEpochs > 0)
            Refit(data, parameters, options, training, progress, channel, cancellation);
        progress.ThrowIfFailed();
        // After the fold: dividing by a tiny feature scale or multiplying by a huge label scale can overflow there too.
        inputs.Standardization?.FoldInto(parameters);
        CheckFinite(parameters, options.Communicator is { Size: > 1 });
        var compact = CompactMlp.FromParameters(parameters, inputs.Range, inputs.Encoding, scoreRange);
        report = ReportOutcome(compact, report, channel);
        var model = new SparseMlpModelParameters(task, compact, TaskDescriptor.For(task).ClassNames(trainData.Schema[options.LabelColumnName]),
            sizes, chosenLambdas, parameters.CountNonZeroWeights(), report);
        channel.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture, "Trained {0}: sparsity {1:P2} ({2} of {3} weights nonzero) in {4:F1}s.",
            string.Join("-", sizes), model.Sparsity, model.NonZeroWeightCount, model.WeightCount, clock.Elapsed.TotalSeconds));
        return new SparseMlpPredictionTransformer(model, options.FeatureColumnName);
    }

    /// <summary>Reads the rows (this rank's shard in data-parallel training) and refuses a set whose example weights sum to nothing.</summary>
    private static (SchemaChecks.ColumnInfo Info, TrainingData Data) ReadData(IDataView trainData, SparseMlpTask task, SparseMlpOptionsBase options,
        TrainingCancellation cancellation)
    {
        var (info, data) = options.Communicator is { Size: > 1 } communicator
            ? ShardedRead.Read(communicator, trainData, task, options, cancellation)
            : Read(trainData, task, options, cancellation);
        if (!(data.GlobalTotalWeight > 0))
        {
            throw new InvalidOperationException($"Example weight column '{options.ExampleWeightColumnName}' sums to {data.GlobalTotalWeight} over the training rows" +
                (data.Shard is null ? "" : " of every rank") + "; at least one row needs a weight above 0 (the loss is a weighted mean).");
        }

        return (info, data);
    }

    /// <summary>
    /// The network, batch and epochs the options and the data give (logged), the settings of a training run, and whether
    /// its step is chosen by cross-validation (<see cref="ChoosesStepSize"/>).
    /// </summary>
    private static (int[] Sizes, TrainingSettings Training, bool ChoosesStep) Resolve(SparseMlpTask task, SparseMlpOptionsBase options, SchemaChecks.ColumnInfo info,
        TrainingData data, IChannel channel)
    {
        int batchSize = BatchSizeFor(task, options, data.GlobalRows);
        int effectiveBatch = TrainingSettings.EffectiveBatchSize(batchSize, data.GlobalRows);
        long stepsPerEpoch = TrainingSettings.StepsPerEpoch(effectiveBatch, data.GlobalRows);
        bool choosesStep = data.Shard is null && ChoosesStepSize(task, options, data.Rows, info.FeatureCount, stepsPerEpoch);
        int epochs = EpochsFor(options, task, info.FeatureCount, stepsPerEpoch, choosesStep);
        OptionsValidation.ValidateEpochDependent(options, epochs);
        int outputs = info.OutputCount;
        // The network reads data.Columns inputs (the encoded slots when the inputs are encoded); the rule sees the feature column's.
        int[] sizes = [data.Columns, .. DataDefaults.HiddenLayerSizes(options, task, data.GlobalRows, info.FeatureCount, outputs), outputs];
        const string resolved = " (default for this data)";
        channel.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture, "Network {0}{1}; batch {2}{3}; {4} epochs of {5} steps a run{6}.",
            string.Join("-", sizes), options.HiddenLayerSizes is null ? resolved : "", effectiveBatch, options.BatchSize is null ? resolved : "",
            epochs, stepsPerEpoch, options.NumberOfEpochs is null ? resolved : ""));
        var training = new TrainingSettings
        {
            Loss = task.Loss(),
            Optimizer = options.Optimizer,
            LearningRate = LearningRateFor(options),
            BatchSize = batchSize,
            Epochs = epochs,
            Seed = options.Seed,
            Threads = options.NumberOfThreads ?? Environment.ProcessorCount,
            Lambdas = new float[sizes.Length - 1],
            // Input selection drops inputs whose weights carry only mini-batch noise: they must not keep reviving.
            GateFirstLayerRevival = options.InputsToKeep.HasValue,
            // Held patterns between whole-gradient steps: sparsity tracking only, whose callbacks read counts, not weights
            // (input selection steers its group penalty on the weights; the paper's iteration and a fixed λ keep every step).
            DenseGradientEvery = options.SelectionStrategy == SelectionStrategy.SparsityTracking && !options.InputsToKeep.HasValue
                && !options.Lambda.HasValue && options.LayerLambdas is null ? DataDefaults.DenseGradientEvery : 1,
        };
        return (sizes, training, choosesStep);
    }

    /// <summary>The step chosen by cross-validation on the training rows (<see cref="StepSizeChoice"/>), logged with each candidate's loss.</summary>
    private static TrainingSettings ChooseStepSize(TrainingData data, int[] sizes, SparseMlpOptionsBase options, TrainingSettings training, IChannel channel,
        TrainingCancellation cancellation)
    {
        var (rate, losses) = StepSizeChoice.Choose(data, training, DataDefaults.StepMultipliers,
            (rows, settings) => FoldRun(rows, sizes, options, settings, cancellation));
        channel.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
            "LearningRate {0} chosen by {1}-fold cross-validation on the training rows; validation loss per candidate: {2}.", rate, StepSizeChoice.Folds,
            string.Join(", ", DataDefaults.StepMultipliers.Select((m, c) => string.Create(CultureInfo.InvariantCulture,
                $"{LearningRateFor(options) * m}: {(double.IsNaN(losses[c]) ? "not run" : losses[c].ToString("G5", CultureInfo.InvariantCulture))}")))));
        return training with { LearningRate = rate };
    }

    /// <summary>
    /// The rows encoded in <see cref="DataDefaults.ChosenEncodingBins"/> bins for the encoding choice, where the trainer
    /// chooses (<see cref="DataDefaults.ChoosesEncoding"/>) and the encoding cuts at most
    /// <see cref="DataDefaults.ChosenEncodingMaximumBinnedInputs"/> inputs into bins; otherwise null.
    /// </summary>
    private static PreparedInputs? EncodedCandidate(TrainingData read, SparseMlpTask task, SparseMlpOptionsBase options, int inputs)
    {
        if (!DataDefaults.ChoosesEncoding(options, read, inputs))
            return null;
        var encoded = PreparedInputs.Of(read, DataDefaults.ChosenEncodingBins, task, options);
        return encoded.Encoding!.Edges.Count(e => e.Length > 0) <= DataDefaults.ChosenEncodingMaximumBinnedInputs ? encoded : null;
    }

    /// <summary>
    /// The inputs as they are or encoded piecewise-linearly (<see cref="DataDefaults.ChosenEncodingBins"/>), whichever
    /// scores better in 3-fold cross-validation on the training rows (<see cref="FoldValidation"/>) with the resolved
    /// network (logged with both): by the error rate for classification, whose cross-entropy the encoded network's sharper
    /// fits raise even where it classifies more rows right, and by the squared error for regression. A tie keeps the inputs as they are.
    /// </summary>
    private static (PreparedInputs Inputs, int[] Sizes) ChooseEncoding(PreparedInputs plain, PreparedInputs encoded, int[] sizes, SparseMlpOptionsBase options,
        TrainingSettings training, IChannel channel, TrainingCancellation cancellation)
    {
        int[][] candidates = [sizes, [encoded.Data.Columns, .. sizes[1..]]];
        double[] losses = new FoldValidation([plain.Data, encoded.Data], training.Seed, training.Loss, training.Threads) { ScoresErrorRate = true }.Losses(candidates.Length,
            (k, fit) => FoldRun(fit, candidates[k], options, training with { Threads = 1 }, cancellation));
        bool encode = losses[1] < losses[0];
        channel.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
            "{0} chosen by {1}-fold cross-validation on the training rows; validation {2} as they are: {3:G5}, in {4} bins: {5:G5}.",
            encode ? "Inputs encoded piecewise-linearly" : "Inputs as they are", FoldValidation.Folds,
            training.Loss == Training.Passes.LossKind.SquaredError ? "loss" : "error rate", losses[0], DataDefaults.ChosenEncodingBins, losses[1]));
        return encode ? (encoded, candidates[1]) : (plain, sizes);
    }

    /// <summary>
    /// The depth of a grown default network chosen by 3-fold cross-validation on the training rows (<see cref="FoldValidation"/>):
    /// its two hidden layers, or the first alone, whichever has the lower validation loss (logged with both).
    /// </summary>
    private static int[] ChooseDepth(TrainingData data, int[] sizes, SparseMlpOptionsBase options, TrainingSettings training, IChannel channel,
        TrainingCancellation cancellation)
    {
        int[][] candidates = [[sizes[0], sizes[1], sizes[^1]], sizes];
        double[] losses = new FoldValidation(data, training.Seed, training.Loss, training.Threads).Losses(candidates.Length,
            (k, fit) => FoldRun(fit, candidates[k], options, training with { Threads = 1 }, cancellation));
        int chosen = losses[1] < losses[0] ? 1 : 0;
        channel.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
            "Network {0} chosen by {1}-fold cross-validation on the training rows; validation loss {2}: {3:G5}, {4}: {5:G5}.", string.Join("-", candidates[chosen]),
            FoldValidation.Folds, string.Join("-", candidates[0]), losses[0], string.Join("-", candidates[1]), losses[1]));
        return candidates[chosen];
    }

    /// <summary>
    /// Trains (fixed λ or selection). A loss that becomes infinite restarts the whole training from its seed with half the
    /// step, a bounded number of times: the named error is thrown only when that does not help either;
    /// <paramref name="training"/> ends with the step that trained.
    /// </summary>
    private static (MlpParameters Parameters, float[] Lambdas, SparsitySelectionReport? Report) TrainWithRetries(TrainingData data, int[] sizes,
        SparseMlpOptionsBase options, ref TrainingSettings training, FitProgress progress, IChannel channel, TrainingCancellation cancellation)
    {
        for (int attempt = 0; ; attempt++)
        {
            var settings = training;
            try
            {
                return progress.Guard(() => TrainOnce(data, sizes, options, settings, progress.Report, cancellation));
            }
            catch (TrainingDivergedException diverged) when (attempt < MaxDivergenceRetries)
            {
                training = training with { LearningRate = diverged.LearningRate / 2 };
                channel.Warning(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
                    "{0} Restarting from the seed with LearningRate {1} (retry {2} of {3}).", diverged.Message, training.LearningRate, attempt + 1, MaxDivergenceRetries));
            }
        }
    }

    /// <summary>Trains the surviving weights <see cref="SparseMlpOptionsBase.RefitEpochs"/> more epochs without l1, the zero pattern frozen.</summary>
    private static void Refit(TrainingData data, MlpParameters parameters, SparseMlpOptionsBase options, TrainingSettings training, FitProgress progress,
        IChannel channel, TrainingCancellation cancellation)
    {
        var refit = training with { Lambdas = new float[parameters.LayerCount], Epochs = options.RefitEpochs, FreezeZeroWeights = true };
        progress.Guard(() => ProximalTrainingLoop.Train(data, parameters, refit, null, s => progress.Report(-1, s, refit.Lambdas), cancellation));
        channel.Info(MessageSensitivity.None, $"Refit the surviving weights for {options.RefitEpochs} epochs with the zero pattern frozen.");
    }

    /// <summary>
    /// Warns of a constant network and of a selection that missed its targets, and logs the report; a target is met by a
    /// count of weights, and a constant network meets none of what the user asked for.
    /// </summary>
    private static SparsitySelectionReport? ReportOutcome(CompactMlp compact, SparsitySelectionReport? report, IChannel channel)
    {
        bool constant = compact.Layers.All(l => l.NonZeroCount == 0);
        if (constant)
            channel.Warning(MessageSensitivity.None, "No input reaches the output (every weight of a layer, or every neuron of a hidden layer, is zero): the model predicts a constant. Lower the target sparsity or λ.");
        if (constant && report is { Converged: true })
            report = report.NotConverged();
        if (report is not null)
        {
            channel.Info(MessageSensitivity.None, report.ToString());
            if (!report.Converged)
                channel.Warning(MessageSensitivity.None, "The sparsity selection did not reach its targets" + (constant ? " with a network that uses its inputs" : "") + "; the closest network is delivered (see SparseMlpModelParameters.SelectionReport).");
        }

        return report;
    }

    /// <summary>
    /// Refuses a network with a NaN or infinite weight or bias, which no step check saw (a value gone bad in the last
    /// step, or a communicator that returned non-finite sums): it would score NaN and could not be loaded once saved.
    /// </summary>
    private static void CheckFinite(MlpParameters parameters, bool distributed)
    {
        for (int j = 0; j < parameters.LayerCount; j++)
        {
            int weight = System.Numerics.Tensors.TensorPrimitives.IndexOfMaxMagnitude(parameters.Weights[j]);
            int bias = System.Numerics.Tensors.TensorPrimitives.IndexOfMaxMagnitude(parameters.Biases[j]);
            bool badWeight = weight >= 0 && !float.IsFinite(parameters.Weights[j][weight]), badBias = bias >= 0 && !float.IsFinite(parameters.Biases[j][bias]);
            if (badWeight || badBias)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"Training ended with a non-finite {(badWeight ? "weight" : "bias")} in layer {j} ({(badWeight ? parameters.Weights[j][weight] : parameters.Biases[j][bias])}); no model is delivered. ")
                    + (distributed ? "In data-parallel training this means the communicator returned non-finite sums (check the transport), or a feature or label scale overflowed; otherwise lower LearningRate or check the feature and label scales." : "Lower LearningRate or check the feature and label scales (a feature of tiny spread or a label near float's limit overflows when the standardization is folded in)."));
            }
        }
    }

    /// <summary>Checks the options and the schema, then reads the rows (what every rank of a data-parallel fit also does).</summary>
    internal static (SchemaChecks.ColumnInfo Info, TrainingData Data) Read(IDataView trainData, SparseMlpTask task, SparseMlpOptionsBase options,
        TrainingCancellation cancellation)
    {
        OptionsValidation.Validate(options);
        var info = SchemaChecks.CheckTrainingSchema(trainData.Schema, task, options);
        OptionsValidation.ValidateInputs(options, info.FeatureCount);
        OptionsValidation.ValidateNetworkSize(options, info.FeatureCount, info.OutputCount);
        return (info, DataViewReader.Read(trainData, task, options, info, cancellation.ThrowIfCancelled));
    }

    /// <summary>Restarts with half the step after a divergence, before the divergence error is thrown.</summary>
    private const int MaxDivergenceRetries = 4;

    /// <summary>
    /// One run of a choice's cross-validation on a fold's fitting rows: trained as the delivered run would be, without
    /// progress reports or a checkpoint (the user's checkpoint folder holds the delivered run's selection only).
    /// </summary>
    private static MlpParameters FoldRun(TrainingData fit, int[] sizes, SparseMlpOptionsBase options, TrainingSettings training, TrainingCancellation cancellation) =>
        TrainOnce(fit, sizes, options, training, (_, _, _) => { }, cancellation, checkpoints: false).Parameters;

    private static (MlpParameters Parameters, float[] Lambdas, SparsitySelectionReport? Report) TrainOnce(TrainingData data, int[] sizes,
        SparseMlpOptionsBase options, TrainingSettings training, Action<int, EpochSummary, float[]> report, TrainingCancellation cancellation, bool checkpoints = true)
    {
        int layers = sizes.Length - 1;
        if (options.Lambda.HasValue || options.LayerLambdas is not null)
        {
            float[] lambdas = options.LayerLambdas?.ToArray() ?? Enumerable.Repeat(options.Lambda!.Value, layers).ToArray();
            var parameters = MlpParameters.Initialize(sizes, options.Seed);
            ProximalTrainingLoop.Train(data, parameters, training with { Lambdas = lambdas }, null, s => report(0, s, lambdas), cancellation);
            return (parameters, lambdas, null);
        }

        var selection = SelectionFor(options, sizes, training.Epochs);
        if (options.InputsToKeep is int keep && data.Columns <= DataDefaults.ImportanceInputLimit && data.Sparse is null && data.Shard is null)
        {
            // A network on every input, trained on four fifths of the rows (reported as run 0), ranks them by how much its
            // loss on the other fifth needs each; a second run (run 1) trains on the kept ones alone, on every row, and is delivered.
            var plain = training with { GateFirstLayerRevival = false };
            var (fit, heldOut) = ImportanceSelection.HoldOut(data, options.Seed);
            var (all, _, _) = SparsityTracking.Run(fit, sizes, options.Seed, plain, selection, new TrackingSettings(),
                (run, lambdas, s) => report(run, s, lambdas), cancellation);
            var (kept, rise) = ImportanceSelection.Strongest(all, heldOut, training.Loss, keep, options.Seed, training.Threads);
            string chosen = string.Create(CultureInfo.InvariantCulture,
                $"inputs kept by how much shuffling each raised a first network's validation loss (on the {heldOut.Rows} rows held out from it): {string.Join(", ", kept.Select((c, k) => $"{c} (+{rise[k]:G3})"))}");
            return SparsityTracking.Run(ImportanceSelection.Mask(data, kept), sizes, options.Seed, plain, selection,
                new TrackingSettings
                {
                    KeptInputs = kept,
                    KeptInputsNote = chosen,
                    // Classification keeps its l1 to the end, as a run on the masked columns does (docs/algorithm.md §7).
                    SettleBelowUnreachableTarget = training.Loss == Training.Passes.LossKind.SquaredError,
                },
                (run, lambdas, s) => report(run + 1, s, lambdas), cancellation);
        }

        return options.SelectionStrategy == SelectionStrategy.SparsityTracking
            ? SparsityTracking.Run(data, sizes, options.Seed, training, selection, new TrackingSettings { InputsToKeep = options.InputsToKeep },
                (run, lambdas, s) => report(run, s, lambdas), cancellation)
            : ParameterSelection.Run(data, sizes, options.Seed, training, selection, (run, lambdas, s) => report(run, s, lambdas), cancellation,
                checkpoints ? CheckpointFor(options, data, sizes, training) : null);
    }

    /// <summary>
    /// The selection's checkpoint folder, when asked for. Its runs are named by a hash of what decides them (the options,
    /// the loss, the data's shape and weight, a digest of every feature value, label and example weight (each rank's, in
    /// rank order), the rank count, and the step actually used: a divergence restart halves it), so selections that differ
    /// keep apart in one folder, and only the same selection on the same data resumes. In data-parallel training rank 0
    /// writes and every rank reads (the folder must be shared to resume on every rank).
    /// </summary>
    private static SelectionCheckpoint? CheckpointFor(SparseMlpOptionsBase options, TrainingData data, int[] sizes, TrainingSettings training)
    {
        if (options.ParameterSelection.CheckpointDirectory is not string directory)
            return null;
        long[] digests = data.Shard is null ? [data.ContentDigest()] : Distributed.Collectives.AllGather<long>(data.Shard.Communicator, [data.ContentDigest()]);
        long identity = OptionsFingerprint.Combine(OptionsFingerprint.Of(options), string.Create(CultureInfo.InvariantCulture,
            $"{training.Loss};{string.Join("-", sizes)};{data.GlobalRows};{data.Columns};{data.GlobalTotalWeight:R};{string.Join(",", digests)};{data.Shard?.Communicator.Size ?? 1};{training.LearningRate:R};{training.Epochs}"));
        return new SelectionCheckpoint(directory, identity, writes: data.Shard is null || data.Shard.Communicator.Rank == 0);
    }

    private static float LearningRateFor(SparseMlpOptionsBase options) => options.LearningRate
        ?? (options.Optimizer == SparseMlpOptimizer.Adam ? SparseMlpOptionsBase.Defaults.AdamLearningRate : SparseMlpOptionsBase.Defaults.SgdLearningRate);

    /// <summary>
    /// Whether the step is chosen by cross-validation (<see cref="StepSizeChoice"/>): regression with
    /// <see cref="SparseMlpOptionsBase.LearningRate"/> unset, on a set small enough that the default budget is
    /// <see cref="SparseMlpOptionsBase.Defaults.MinimumSteps"/> steps rather than 20 epochs (fewer than 150 steps an epoch:
    /// up to 19,072 rows at regression's default batch of 128), so that the extra runs cost a bounded number of steps,
    /// large enough for three validation folds, and with at most <see cref="DataDefaults.StepChoiceMaximumInputs"/> inputs
    /// (every count by default; the benchmark's knob).
    /// </summary>
    internal static bool ChoosesStepSize(SparseMlpTask task, SparseMlpOptionsBase options, int rows, int inputs, long stepsPerEpoch) =>
        (task == SparseMlpTask.Regression || DataDefaults.ChooseClassificationStep) && options.LearningRate is null && rows >= MinimumRowsPerFold * StepSizeChoice.Folds
        && inputs <= DataDefaults.StepChoiceMaximumInputs
        && stepsPerEpoch * SparseMlpOptionsBase.Defaults.MinimumEpochs < SparseMlpOptionsBase.Defaults.MinimumSteps;

    /// <summary>Below this many rows per validation fold, the step is not chosen (the measurement would be noise).</summary>
    private const int MinimumRowsPerFold = 10;

    /// <summary>
    /// The batch of a run: the option, or for classification on a set too small for
    /// <see cref="SparseMlpOptionsBase.Defaults.MinimumEpochs"/> epochs of <see cref="SparseMlpOptionsBase.Defaults.BatchSize"/>
    /// to make the step budget, the batch that makes it in that many epochs, at least
    /// <see cref="SparseMlpOptionsBase.Defaults.MinimumBatchSize"/> (the budget then costs the fewest example passes);
    /// regression keeps <see cref="SparseMlpOptionsBase.Defaults.BatchSize"/> (see that constant's measurements).
    /// </summary>
    internal static int BatchSizeFor(SparseMlpTask task, SparseMlpOptionsBase options, int rows) => options.BatchSize
        ?? (task == SparseMlpTask.Regression ? SparseMlpOptionsBase.Defaults.BatchSize
            : (int)Math.Clamp((long)rows * SparseMlpOptionsBase.Defaults.MinimumEpochs / SparseMlpOptionsBase.Defaults.MinimumSteps,
                SparseMlpOptionsBase.Defaults.MinimumBatchSize, SparseMlpOptionsBase.Defaults.BatchSize));

    /// <summary>Optimizer steps per epoch on <paramref name="rows"/> rows with the options' batch (or the rule's).</summary>
    internal static long StepsPerEpoch(SparseMlpTask task, SparseMlpOptionsBase options, int rows) =>
        TrainingSettings.StepsPerEpoch(TrainingSettings.EffectiveBatchSize(BatchSizeFor(task, options, rows), rows), rows);

    /// <summary>
    /// The epochs of a run: the option, or enough for <see cref="DataDefaults.MinimumSteps"/> optimizer steps
    /// (<see cref="DataDefaults.ChosenStepMinimumSteps"/> when <paramref name="choosesStep"/>: the step is chosen by
    /// cross-validation) and at least
    /// <see cref="DataDefaults.MinimumEpochs"/>; a growing multiclass set (<see cref="DataDefaults.Grows"/>) at least
    /// <see cref="DataDefaults.MulticlassMinimumEpochs"/> as long as they cost at most <see cref="DataDefaults.MulticlassMaximumSteps"/> steps.
    /// </summary>
    internal static int EpochsFor(SparseMlpOptionsBase options, SparseMlpTask task, int inputs, long stepsPerEpoch, bool choosesStep)
    {
        if (options.NumberOfEpochs is int epochs)
            return epochs;
        long minimumSteps = choosesStep ? DataDefaults.ChosenStepMinimumSteps : DataDefaults.MinimumSteps;
        long needed = Math.Max(DataDefaults.MinimumEpochs, (minimumSteps + stepsPerEpoch - 1) / stepsPerEpoch);
        if (DataDefaults.Grows(task, inputs))
            needed = Math.Max(needed, Math.Min(DataDefaults.MulticlassMinimumEpochs, DataDefaults.MulticlassMaximumSteps / stepsPerEpoch));
        return (int)needed;
    }

    private static SelectionSettings SelectionFor(SparseMlpOptionsBase options, int[] sizes, int epochs)
    {
        int layers = sizes.Length - 1;
        long[] weights = MlpParameters.LayerWeightCounts(sizes).Select(w => (long)w).ToArray();
        bool layerWise = options.LayerTargetSparsities is not null;
        int[] targets = layerWise
            ? options.LayerTargetSparsities!.Select((s, j) => (int)Math.Round((1 - s) * weights[j])).ToArray()
            : [(int)Math.Round((1 - (options.TargetSparsity ?? SparseMlpOptionsBase.Defaults.TargetSparsity)) * weights.Sum())];
        return new SelectionSettings
        {
            LayerWise = layerWise,
            Targets = targets,
            Tolerance = options.SparsityTolerance,
            MaxIterations = options.ParameterSelection.MaximumNumberOfIterations,
            MinimumEpochsBeforeStop = options.ParameterSelection.MinimumEpochsBeforeStop ?? epochs / 2,
            Strategy = options.SelectionStrategy,
            LargeProbe = options.ParameterSelection.LargeProbe,
            SmallProbe = options.ParameterSelection.SmallProbe,
            SmallProbeEpochs = options.ParameterSelection.SmallProbeEpochs ?? Math.Max(1, epochs / 5),
            RequiredLayersWithinTolerance = options.ParameterSelection.RequiredLayersWithinTolerance,
            AccumulatedGradient = options.ParameterSelection.UseAccumulatedGradient,
        };
    }
}
