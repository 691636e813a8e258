// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Training.Data;

namespace Microsoft.ML.SparseL1.Training.Passes;

/// <summary>
/// Loss and gradient of one batch of a <see cref="TrainingData"/>: gathers the rows (dense rows are read in place
/// when they are contiguous; sparse rows are gathered into a <see cref="SparseInputBatch"/>), runs forward, evaluates
/// the loss, and back-propagates. Shared by the
/// training loop and the full-data gradient so both compute exactly the same thing.
/// </summary>
internal sealed class BatchGradient
{
    private readonly TrainingData _data;
    private readonly LossKind _loss;
    private readonly float[] _labels;
    private readonly float[] _weights;
    private readonly SparseInputBatch? _sparseBatch;

    public BatchGradient(TrainingData data, LossKind loss, int[] layerSizes, int maxBatchSize, int threads)
    {
        _data = data;
        _loss = loss;
        Network = new ForwardBackward(layerSizes, maxBatchSize, threads);
        _labels = new float[maxBatchSize];
        _weights = data.ExampleWeights is null ? [] : new float[maxBatchSize];
        _sparseBatch = data.Sparse is null ? null : new SparseInputBatch(maxBatchSize, data.Sparse.ColumnOffsets);
    }

    public ForwardBackward Network { get; }

    /// <summary>
    /// Computes the batch loss Σ ω_i ℓ_i and the gradient of (that sum · <paramref name="scale"/>) into
    /// <see cref="ForwardBackward.WeightGradients"/> and <see cref="ForwardBackward.BiasGradients"/>.
    /// </summary>
    /// <param name="parameters">Current parameters.</param>
    /// <param name="order">Row order to draw from, or null for data order.</param>
    /// <param name="start">First position in the order.</param>
    /// <param name="rows">Batch size.</param>
    /// <param name="scale">Gradient scale, or null for 1 / (the batch's weight sum), i.e. the batch mean.</param>
    /// <param name="accumulate">Add the gradient to the buffers instead of replacing it.</param>
    /// <returns>The batch's summed loss and summed example weight.</returns>
    public (double Loss, double Weight) Compute(MlpParameters parameters, int[]? order, int start, int rows, double? scale, bool accumulate)
    {
        ReadOnlySpan<float> labels, weights;
        if (order is null)
        {
            // Contiguous rows: dense features are read in place.
            if (_sparseBatch is not null)
                _sparseBatch.Gather(_data.Sparse!, start, rows);
            else
                Network.Forward(parameters, _data.Features, start, rows);
            labels = _data.Labels.AsSpan(start, rows);
            weights = _data.ExampleWeights is null ? default : _data.ExampleWeights.AsSpan(start, rows);
        }
        else
        {
            var rowIndices = order.AsSpan(start, rows);
            if (_sparseBatch is not null)
                _sparseBatch.Gather(_data.Sparse!, rowIndices);
            else
                GatherDense(rowIndices);
            GatherLabels(rowIndices);
            labels = _labels.AsSpan(0, rows);
            weights = _weights.AsSpan(0, _data.ExampleWeights is null ? 0 : rows);
        }

        if (_sparseBatch is not null)
            Network.Forward(parameters, _sparseBatch);
        else if (order is not null)
            Network.Forward(parameters, rows);

        double weightSum = rows;
        if (!weights.IsEmpty)
        {
            weightSum = 0;
            foreach (float w in weights)
                weightSum += w;
        }

        // A batch whose examples all weigh zero contributes no data gradient.
        double gradientScale = scale ?? (weightSum > 0 ? 1.0 / weightSum : 0.0);
        double loss = LossFunctions.Evaluate(_loss, Network.Outputs(rows), labels, weights, parameters.OutputSize,
            (float)gradientScale, Network.OutputGradient(rows));
        Network.Backward(parameters, rows, accumulate);
        return (loss, weightSum);
    }

    /// <summary>
    /// Data-parallel training: this rank's part of the global batch at positions [<paramref name="start"/>, start +
    /// <paramref name="rows"/>) of the global <paramref name="order"/> (null: data order). Computes the summed loss, the
    /// summed example weight and the gradient of the summed loss (unscaled: the ranks' sums are added, then divided by
    /// the batch's total weight); a rank that holds none of the batch's rows contributes zeros.
    /// </summary>
    public (double Loss, double Weight) ComputeShardPart(MlpParameters parameters, int[]? order, int start, int rows, Distributed.ShardLayout shard)
    {
        int localStart = 0, count;
        int[]? localOrder = null;
        if (order is null)
        {
            (localStart, count) = shard.Select(start, rows);
        }
        else
        {
            localOrder = _localRows ??= new int[Network.MaxBatchSize];
            count = shard.Select(order, start, rows, localOrder);
        }

        // A rank with none of the batch's rows contributes zeros. The sparse path clears only the gradient rows its own
        // last batch wrote, but the last reduction wrote every rank's sums into the buffer: it is cleared whole. (Dense
        // products overwrite the buffers.)
        if (count == 0 || _sparseBatch is not null)
        {
            foreach (var g in Network.WeightGradients)
                Array.Clear(g);
            foreach (var g in Network.BiasGradients)
                Array.Clear(g);
            _sparseBatch?.ForgetWrittenRows();
        }

        return count == 0 ? (0, 0) : Compute(parameters, localOrder, localStart, count, scale: 1.0, accumulate: false);
    }

    private int[]? _localRows;

    private void GatherDense(ReadOnlySpan<int> rowIndices)
    {
        int columns = _data.Columns;
        float[] input = Network.Input;
        for (int r = 0; r < rowIndices.Length; r++)
            _data.Features.AsSpan(rowIndices[r] * columns, columns).CopyTo(input.AsSpan(r * columns, columns));
    }

    private void GatherLabels(ReadOnlySpan<int> rowIndices)
    {
        for (int r = 0; r < rowIndices.Length; r++)
        {
            int row = rowIndices[r];
            _labels[r] = _data.Labels[row];
            if (_data.ExampleWeights is not null)
                _weights[r] = _data.ExampleWeights[row];
        }
    }
}
