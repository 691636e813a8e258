// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Globalization;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Optimizer;
using Microsoft.ML.SparseL1.Training.Passes;

namespace Microsoft.ML.SparseL1.Training.Loop;

/// <summary>
/// Proximal mini-batch training: per batch a gradient step on all parameters, then soft-thresholding of
/// the weights; after every step an optional stop rule sees the nonzero counts (the paper's selection
/// stops mid-epoch when the target is hit).
/// </summary>
internal static class ProximalTrainingLoop
{
    /// <summary>Trains <paramref name="parameters"/> in place.</summary>
    /// <param name="data">Training data.</param>
    /// <param name="parameters">Starting parameters, trained in place.</param>
    /// <param name="settings">Loss, optimiser, λs, batch and epochs.</param>
    /// <param name="stopRule">Called after every proximal step; true ends training.</param>
    /// <param name="epochCompleted">Called after every epoch.</param>
    /// <param name="cancellation">Checked before every step.</param>
    /// <param name="control">
    /// Called after every proximal step, before the stop rule: returns what the next steps use (λ, step size, frozen
    /// pattern, input-group step), which the loop applies (<see cref="ControlledSteps"/>). Once a layer is frozen its kept
    /// weights may train resident (<see cref="ProximalOptimizer.ResidentLayers"/>): that layer in the parameters is stale
    /// until the run returns, so a callback must not read or write it then.
    /// </param>
    /// <param name="observe">Sees each step and the optimizer as the step left it, read-only (tests).</param>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite (training diverged).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was signalled.</exception>
    public static TrainingOutcome Train(TrainingData data, MlpParameters parameters, TrainingSettings settings,
        Func<TrainingStep, bool>? stopRule = null, Action<EpochSummary>? epochCompleted = null, TrainingCancellation cancellation = default,
        Func<TrainingStep, StepControl>? control = null, Action<TrainingStep, ProximalOptimizer>? observe = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(settings);
        if (data.Columns != parameters.InputSize)
            throw new ArgumentException($"The data has {data.Columns} features but the network expects {parameters.InputSize}.", nameof(data));
        if (settings.Lambdas.Length != parameters.LayerCount)
            throw new ArgumentException($"Expected {parameters.LayerCount} lambdas (one per weight layer), got {settings.Lambdas.Length}.", nameof(settings));

        // Data-parallel training (data.Shard set): batches and shuffles are of the whole set, so every rank draws the same
        // global permutation and computes its part of each global batch; the parts are summed in rank order.
        int batch = settings.EffectiveBatchSize(data.GlobalRows);
        var gradient = new BatchGradient(data, settings.Loss, parameters.LayerSizes, Math.Min(batch, data.Rows), settings.Threads, settings.SplitBatches);
        // On sparse rows the first layer trains transposed (ForwardBackward.FirstLayerTransposed): the optimizer and every
        // callback here are element-wise or count-based, so only the products see the layout; it is restored on any exit.
        bool transposed = data.Sparse is not null;
        foreach (var part in gradient.Parts)
            part.FirstLayerTransposed = transposed;
        // The first layer's gradient buffer, unused before the first step and after the last, holds the copy a transpose
        // needs; it is cleared after, because the sparse products clear only the rows their last batch wrote.
        float[] scratch = gradient.Network.WeightGradients[0];
        if (transposed)
        {
            TransposeFirstLayer(parameters, parameters.LayerSizes[1], parameters.InputSize, scratch);
            Array.Clear(scratch);
        }

        ProximalOptimizer? optimizer = null;
        try
        {
            // Data-parallel ranks sum the layers' gradients: the kept weights stay in the layers there.
            optimizer = new ProximalOptimizer(settings, parameters, residentLayers: data.Shard is null, firstLayerTransposed: transposed);
            return TrainSteps(data, parameters, settings, stopRule, epochCompleted, cancellation, control is null && observe is null ? null : new ControlledSteps(control ?? (_ => StepControl.Unchanged), observe), gradient, optimizer, batch);
        }
        finally
        {
            // Resident first-layer weights go into the layer before it is read whole or transposed back.
            optimizer?.Commit(parameters);
            if (transposed)
                TransposeFirstLayer(parameters, parameters.InputSize, parameters.LayerSizes[1], scratch);
        }
    }

    private static TrainingOutcome TrainSteps(TrainingData data, MlpParameters parameters, TrainingSettings settings, Func<TrainingStep, bool>? stopRule,
        Action<EpochSummary>? epochCompleted, TrainingCancellation cancellation, ControlledSteps? control,
        BatchGradient gradient, ProximalOptimizer optimizer, int batch)
    {
        int globalRows = data.GlobalRows;
        bool shuffle = batch < globalRows;
        Distributed.GradientReduction? reduction = null;
        int reductionFreezes = -1;
        int[] nonZero = parameters.CountNonZeroWeights();
        gradient.UseResidentLayers(optimizer.ResidentLayers);
        foreach (var part in gradient.Parts)
        {
            if (settings.SparseForward)
                part.UseSparseForward(nonZero);
            part.SkipInactiveNeurons = settings.SkipInactiveNeurons;
        }

        int[]? order = shuffle ? new int[globalRows] : null;
        long steps = 0;
        double epochLoss = double.NaN;

        for (int epoch = 1; epoch <= settings.Epochs; epoch++)
        {
            if (order is not null)
            {
                // A fresh permutation per epoch from (seed, epoch), independent of earlier epochs.
                for (int i = 0; i < order.Length; i++)
                    order[i] = i;
                DeterministicRandom.ForStream(settings.Seed, epoch).Shuffle(order);
            }

            double lossSum = 0, weightSum = 0;
            for (int start = 0; start < globalRows; start += batch)
            {
                int rows = Math.Min(batch, globalRows - start);
                if (settings.DenseGradientEvery > 1 && !optimizer.Frozen)
                    HoldOrRelease(parameters, optimizer, gradient, holds: steps % settings.DenseGradientEvery != 0 && AnyHeld(parameters, nonZero));
                double loss, weight;
                if (data.Shard is null)
                {
                    cancellation.ThrowIfCancelled();
                    (loss, weight) = gradient.Compute(parameters, order, start, rows, scale: null, accumulate: false);
                }
                else
                {
                    // Made again whenever the zero pattern is frozen: then only the kept weights' gradient is summed.
                    if (reduction is null || reductionFreezes != optimizer.Freezes)
                    {
                        reduction = Reduction(data.Shard, gradient, optimizer);
                        reductionFreezes = optimizer.Freezes;
                    }

                    (loss, weight) = ShardStep(gradient, reduction, parameters, order, start, rows, data.Shard, cancellation);
                }

                if (!double.IsFinite(loss))
                    throw Diverged(epoch, steps + 1, loss, optimizer.LearningRate);
                lossSum += loss;
                weightSum += weight;

                optimizer.Step(parameters, gradient.Network.WeightGradients, gradient.Network.BiasGradients, nonZero);
                steps++;
                control?.AfterStep(new TrainingStep(epoch, steps, nonZero), optimizer, parameters);
                // A freeze in the step control may have made layers resident.
                gradient.UseResidentLayers(optimizer.ResidentLayers);
                if (stopRule is not null && stopRule(new TrainingStep(epoch, steps, nonZero)))
                    return new TrainingOutcome(TrainingExit.StopRule, epoch, steps, (int[])nonZero.Clone(), lossSum / weightSum, gradient.Network.SparseLayerProducts,
                        gradient.Network.FrozenLayerProducts);
            }

            epochLoss = weightSum > 0 ? lossSum / weightSum : 0;
            epochCompleted?.Invoke(new EpochSummary(epoch, settings.Epochs, epochLoss, nonZero));
        }

        return new TrainingOutcome(TrainingExit.Completed, settings.Epochs, steps, (int[])nonZero.Clone(), epochLoss, gradient.Network.SparseLayerProducts,
            gradient.Network.FrozenLayerProducts);
    }

    /// <summary>
    /// Before a step that takes the whole gradient, the held pattern is released; before one between, it is held
    /// (<see cref="TrainingSettings.DenseGradientEvery"/>). The first step of a run takes the whole gradient.
    /// </summary>
    private static void HoldOrRelease(MlpParameters parameters, ProximalOptimizer optimizer, BatchGradient gradient, bool holds)
    {
        if (holds == optimizer.Held)
            return;
        if (holds)
            optimizer.HoldZeroPattern(parameters);
        else
            optimizer.ReleaseZeroPattern(parameters);
        gradient.UseResidentLayers(optimizer.ResidentLayers);
    }

    /// <summary>Whether some layer would be held (<see cref="ProximalOptimizer.Holds"/>).</summary>
    private static bool AnyHeld(MlpParameters parameters, int[] nonZero)
    {
        for (int j = 0; j < parameters.LayerCount; j++)
        {
            if (ProximalOptimizer.Holds(parameters, j, nonZero[j]))
                return true;
        }

        return false;
    }

    /// <summary>The per-step reduction of this run's gradient: every layer whole, or only the kept weights of frozen layers.</summary>
    private static Distributed.GradientReduction Reduction(Distributed.ShardLayout shard, BatchGradient gradient, ProximalOptimizer optimizer)
    {
        var weights = gradient.Network.WeightGradients;
        var positions = new int[]?[weights.Length];
        for (int j = 0; j < weights.Length; j++)
            positions[j] = optimizer.KeptPositions(j);
        long count = Distributed.GradientReduction.Count(weights, positions) + Distributed.GradientReduction.Count(gradient.Network.BiasGradients);
        return new Distributed.GradientReduction(shard.Communicator, count, 3, positions);
    }

    /// <summary>
    /// One data-parallel step's gradient: this rank's part of the global batch, the ranks' sums added in rank order, then
    /// divided by the batch's total weight (so every rank holds the same batch-mean gradient). Cancellation is agreed in
    /// the same reduction, so a rank that was cancelled stops every rank at the same step instead of leaving them waiting.
    /// </summary>
    private static (double Loss, double Weight) ShardStep(BatchGradient gradient, Distributed.GradientReduction reduction, MlpParameters parameters,
        int[]? order, int start, int rows, Distributed.ShardLayout shard, TrainingCancellation cancellation)
    {
        bool cancelled = cancellation.IsRequested;
        var (loss, weight) = gradient.ComputeShardPart(parameters, order, start, rows, shard);
        Span<double> scalars = [loss, weight, cancelled ? 1 : 0];
        reduction.Sum(gradient.Network.WeightGradients, gradient.Network.BiasGradients, scalars, divisorIndex: 1);
        if (scalars[2] > 0)
            throw new OperationCanceledException($"Training was cancelled on {scalars[2]} of {shard.Communicator.Size} ranks; every rank stopped at the same step.");
        return (scalars[0], scalars[1]);
    }

    /// <summary>Transposes the rows x columns first-layer weights in place (the array object stays the same) through <paramref name="scratch"/>.</summary>
    private static void TransposeFirstLayer(MlpParameters parameters, int rows, int columns, float[] scratch)
    {
        float[] weights = parameters.Weights[0];
        weights.CopyTo(scratch, 0);
        Kernels.GemmPackingTranspose.Transpose(scratch.AsSpan(0, weights.Length), columns, rows, columns, weights, rows);
    }

    private static TrainingDivergedException Diverged(int epoch, long step, double loss, float learningRate) =>
        new(learningRate, string.Format(CultureInfo.InvariantCulture,
            "Training diverged in epoch {0} (step {1}): the training loss became {2}. Lower LearningRate (now {3}) or check the feature scale.",
            epoch, step, loss, learningRate));
}
