// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Training.Data;

namespace Microsoft.ML.SparseL1.Training.Passes;

/// <summary>
/// The gradient of the data loss L (the weighted mean over the whole training set, l1 term excluded) with
/// respect to every weight, accumulated over batches in data order: each batch adds its summed gradient
/// divided by the total weight, so the result is the full-batch gradient whatever the batch size.
/// </summary>
internal static class FullGradient
{
    /// <summary>Returns ∇_W L per layer and the full-data loss L at <paramref name="parameters"/>.</summary>
    public static (float[][] WeightGradients, double Loss) Compute(MlpParameters parameters, TrainingData data, LossKind loss, int batchSize, int threads) =>
        Pass(parameters, data, loss, batchSize, threads, withGradient: true);

    /// <summary>
    /// The full-data loss L at <paramref name="parameters"/>, from forward passes alone: the same batches, forward and sums as
    /// <see cref="Compute"/>, so the same bits, at about half its cost.
    /// </summary>
    public static double Loss(MlpParameters parameters, TrainingData data, LossKind loss, int batchSize, int threads) =>
        Pass(parameters, data, loss, batchSize, threads, withGradient: false).Loss;

    /// <summary>The batches in data order, with or without the gradient; the ranks' sums added (the gradient's too, when computed).</summary>
    private static (float[][] WeightGradients, double Loss) Pass(MlpParameters parameters, TrainingData data, LossKind loss, int batchSize, int threads,
        bool withGradient)
    {
        int batch = batchSize <= 0 ? data.Rows : Math.Min(batchSize, data.Rows);
        var pass = new BatchGradient(data, loss, parameters.LayerSizes, batch, threads);
        pass.Network.SkipInactiveNeurons = true;
        double totalLoss = 0;
        // In data-parallel training each rank sums its own rows (divided by the whole set's weight), then the ranks' sums are added.
        double scale = data.GlobalTotalWeight > 0 ? 1.0 / data.GlobalTotalWeight : 0.0;
        for (int start = 0; start < data.Rows; start += batch)
        {
            int rows = Math.Min(batch, data.Rows - start);
            totalLoss += withGradient ? pass.Compute(parameters, null, start, rows, scale, accumulate: start > 0).Loss : pass.ForwardLoss(parameters, start, rows);
        }

        if (data.Shard is { } shard)
        {
            // The loss is added in rank order with the gradient, or alone.
            float[][] gradients = withGradient ? pass.Network.WeightGradients : [];
            Span<double> scalars = [totalLoss];
            new Distributed.GradientReduction(shard.Communicator, Distributed.GradientReduction.Count(gradients), 1).Sum(gradients, [], scalars);
            totalLoss = scalars[0];
        }

        return (pass.Network.WeightGradients, totalLoss * scale);
    }
}
