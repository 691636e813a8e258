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
    /// <summary>
    /// Rows of a part below which a batch is not split (<see cref="Parts"/>): smaller products would run the kernels
    /// below their speed (docs/kernels.md, "Threads").
    /// </summary>
    internal const int MinimumPartRows = 32;

    private readonly TrainingData _data;
    private readonly LossKind _loss;
    private readonly float[] _labels;
    private readonly float[] _weights;
    private readonly SparseInputBatch? _sparseBatch;
    private readonly ForwardBackward[] _parts;
    private readonly int _threads;

    /// <param name="data">The training rows.</param>
    /// <param name="loss">The loss.</param>
    /// <param name="layerSizes">The network's layer sizes.</param>
    /// <param name="maxBatchSize">The largest batch <see cref="Compute"/> is given.</param>
    /// <param name="threads">Threads for the products.</param>
    /// <param name="splitBatches">
    /// Whether a batch of dense rows in one process is split into two halves that run side by side, one thread each,
    /// their gradients summed in a fixed order (<see cref="Parts"/>). The split depends on the batch only, never on
    /// <paramref name="threads"/>, so the result is the same for any thread count.
    /// </param>
    public BatchGradient(TrainingData data, LossKind loss, int[] layerSizes, int maxBatchSize, int threads, bool splitBatches = false)
    {
        _data = data;
        _loss = loss;
        _threads = threads;
        _labels = new float[maxBatchSize];
        _weights = data.ExampleWeights is null ? [] : new float[maxBatchSize];
        _sparseBatch = data.Sparse is null ? null : new SparseInputBatch(maxBatchSize, data.Sparse.ColumnOffsets);
        bool split = splitBatches && data.Sparse is null && data.Shard is null && maxBatchSize >= 2 * MinimumPartRows;
        // A batch run whole (too small to split, or a network that is not mostly resident) runs on part 0 with every
        // thread; split, each part runs its products on its share of them.
        Network = new ForwardBackward(layerSizes, maxBatchSize, threads);
        _parts = split ? [Network, new ForwardBackward(layerSizes, maxBatchSize - maxBatchSize / 2, Math.Max(1, threads / 2)) { SeparateKeptGradients = true }] : [Network];
    }

    /// <summary>The network workspace of the whole batch (of its first half when split): the summed gradients are read here.</summary>
    public ForwardBackward Network { get; }

    /// <summary>
    /// The workspaces a batch runs on: one, or two when batches are split (the first is <see cref="Network"/>); a setting of
    /// the products is made on each.
    /// </summary>
    public ReadOnlySpan<ForwardBackward> Parts => _parts;

    /// <summary>Sets every part's resident layers (<see cref="ForwardBackward.ResidentLayers"/>): the optimizer's, after each change.</summary>
    public void UseResidentLayers(Optimizer.KeptWeights?[]? residentLayers)
    {
        foreach (var part in _parts)
            part.ResidentLayers = residentLayers;
    }

    /// <summary>
    /// Computes the batch loss Σ ω_i ℓ_i and the gradient of (that sum · <paramref name="scale"/>) into
    /// <see cref="ForwardBackward.WeightGradients"/> and <see cref="ForwardBackward.BiasGradients"/> of <see cref="Network"/>
    /// (and the kept gradients of resident layers).
    /// </summary>
    /// <param name="parameters">Current parameters.</param>
    /// <param name="order">Row order to draw from, or null for data order.</param>
    /// <param name="start">First position in the order.</param>
    /// <param name="rows">Batch size.</param>
    /// <param name="scale">Gradient scale, or null for 1 / (the batch's weight sum), i.e. the batch mean.</param>
    /// <param name="accumulate">Add the gradient to the buffers instead of replacing it (never split).</param>
    /// <returns>The batch's summed loss and summed example weight.</returns>
    public (double Loss, double Weight) Compute(MlpParameters parameters, int[]? order, int start, int rows, double? scale, bool accumulate)
    {
        ReadOnlySpan<float> labels, weights;
        if (order is null)
        {
            labels = _data.Labels.AsSpan(start, rows);
            weights = _data.ExampleWeights is null ? default : _data.ExampleWeights.AsSpan(start, rows);
        }
        else
        {
            GatherLabels(order.AsSpan(start, rows));
            labels = _labels.AsSpan(0, rows);
            weights = _weights.AsSpan(0, _data.ExampleWeights is null ? 0 : rows);
        }

        double weightSum = rows;
        if (!weights.IsEmpty)
        {
            weightSum = 0;
            foreach (float w in weights)
                weightSum += w;
        }

        // A batch whose examples all weigh zero contributes no data gradient.
        float gradientScale = (float)(scale ?? (weightSum > 0 ? 1.0 / weightSum : 0.0));
        if (_parts.Length == 1 || accumulate || rows < 2 * MinimumPartRows || !MostlyResident(parameters))
        {
            Network.Threads = _threads;
            return (RunPart(Network, parameters, order, start, 0, rows, gradientScale, accumulate), weightSum);
        }

        // The first half takes the odd thread out (3 threads: 2 and 1).
        Network.Threads = Math.Max(1, _threads - _threads / 2);
        int half = rows / 2;
        var losses = new double[2];
        RunSideBySide(p => losses[p] = RunPart(_parts[p], parameters, order, start, p * half, p == 0 ? half : rows - half, gradientScale, accumulate: false));
        SumParts(parameters.LayerCount);
        return (losses[0] + losses[1], weightSum);
    }

    /// <summary>
    /// The summed loss Σ ω_i ℓ_i of rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="rows"/>) in
    /// data order, from the forward pass alone: the same forward and loss as <see cref="Compute"/> gives a batch it runs whole
    /// (so the same bits; a split batch's loss is the sum of its halves'), with no gradient back-propagated. The rows'
    /// outputs are left in <see cref="ForwardBackward.Outputs"/> of <see cref="Network"/>.
    /// </summary>
    public double ForwardLoss(MlpParameters parameters, int start, int rows)
    {
        Network.Threads = _threads;
        return RunPart(Network, parameters, null, start, 0, rows, gradientScale: 0f, accumulate: false, backward: false);
    }

    /// <summary>
    /// Whether resident layers (trained by their kept weights) hold at least half of the network's weights: only then is a
    /// batch split. Their products are bound by each core's own cache bandwidth and scale with the cores side by side,
    /// where one product split by neurons does not; the dense GEMMs of two halves gain nothing over one GEMM threaded by
    /// columns and cost more on one thread (docs/kernels.md, "Threads"), so a network that is not frozen keeps its batches
    /// whole. The pattern decides it, never the thread count.
    /// </summary>
    private bool MostlyResident(MlpParameters parameters)
    {
        if (Network.ResidentLayers is not { } resident)
            return false;
        long residentWeights = 0, weights = 0;
        for (int j = 0; j < parameters.LayerCount; j++)
        {
            long count = (long)parameters.LayerSizes[j] * parameters.LayerSizes[j + 1];
            weights += count;
            residentWeights += resident[j] is null ? 0 : count;
        }

        return 2 * residentWeights >= weights;
    }

    /// <summary>
    /// Forward, loss and (with <paramref name="backward"/>) backward of the batch's rows [offset, offset + count) on one
    /// workspace, on its threads (the rows gathered on them too); returns their summed loss.
    /// </summary>
    private double RunPart(ForwardBackward network, MlpParameters parameters, int[]? order, int start, int offset, int count, float gradientScale, bool accumulate,
        bool backward = true)
    {
        if (_sparseBatch is not null)
        {
            if (order is null)
                _sparseBatch.Gather(_data.Sparse!, start + offset, count);
            else
                _sparseBatch.Gather(_data.Sparse!, order.AsSpan(start + offset, count));
            network.Forward(parameters, _sparseBatch);
        }
        else if (order is null)
        {
            // Contiguous rows: dense features are read in place.
            network.Forward(parameters, _data.Features, start + offset, count);
        }
        else
        {
            GatherDense(network, order, start + offset, count);
            network.Forward(parameters, count);
        }

        var labels = (order is null ? _data.Labels.AsSpan(start, count + offset) : _labels.AsSpan(0, count + offset))[offset..];
        var weights = _data.ExampleWeights is null ? default
            : (order is null ? _data.ExampleWeights.AsSpan(start, count + offset) : _weights.AsSpan(0, count + offset))[offset..];
        double loss = LossFunctions.Evaluate(_loss, network.Outputs(count), labels, weights, parameters.OutputSize, gradientScale, network.OutputGradient(count));
        if (backward)
            network.Backward(parameters, count, accumulate);
        return loss;
    }

    /// <summary>Runs the two parts side by side when there are threads for both, else one after the other.</summary>
    private void RunSideBySide(Action<int> part)
    {
        if (_threads < 2)
        {
            part(0);
            part(1);
            return;
        }

        Kernels.WorkerTeam.Run(2, part);
    }

    /// <summary>Adds the second part's gradients to the first's (the kept gradients of resident layers included), element by element.</summary>
    private void SumParts(int layers)
    {
        ForwardBackward first = _parts[0], second = _parts[1];
        for (int j = 0; j < layers; j++)
        {
            if (first.ResidentLayers?[j] is { } kept)
                AddInto(kept.Gradient, second.KeptGradient(j));
            else
                AddInto(first.WeightGradients[j], second.WeightGradients[j]);
            AddInto(first.BiasGradients[j], second.BiasGradients[j]);
        }
    }

    /// <summary>target += source, in two halves side by side when it is long (element-wise: the split changes nothing).</summary>
    private void AddInto(float[] target, float[] source) =>
        Kernels.ParallelRanges.Run(target.Length, 1, target.Length < 1 << 16 ? 1 : Math.Min(_threads, 2), (first, end) =>
            System.Numerics.Tensors.TensorPrimitives.Add(target.AsSpan(first..end), source.AsSpan(first..end), target.AsSpan(first..end)));

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

    /// <summary>Copies the rows order[first .. first + count) into the workspace's input.</summary>
    private void GatherDense(ForwardBackward network, int[] order, int first, int count)
    {
        int columns = _data.Columns;
        float[] input = network.Input, features = _data.Features;
        // Rows scattered over a large set are read from memory, not cache: two cores fetch them about twice as fast.
        Kernels.ParallelRanges.Run(count, 1, (long)count * columns < GatherParallelFloats ? 1 : Math.Min(network.Threads, 2), (begin, end) =>
        {
            for (int r = begin; r < Math.Min(end, begin + PrefetchRows); r++)
                Kernels.RowPrefetch.Row(features, order[first + r], columns);
            for (int r = begin; r < end; r++)
            {
                if (r + PrefetchRows < end)
                    Kernels.RowPrefetch.Row(features, order[first + r + PrefetchRows], columns);
                features.AsSpan(order[first + r] * columns, columns).CopyTo(input.AsSpan(r * columns, columns));
            }
        });
    }

    /// <summary>
    /// How many rows ahead of the copy the gather asks for a row: a shuffled row comes from memory, and copying the rows one
    /// after another waits on each one's first lines (the copy's own reads overlap little); asked for this far ahead, several
    /// rows are on their way at once.
    /// </summary>
    private const int PrefetchRows = 4;

    /// <summary>Floats in a batch below which its rows are gathered on one thread.</summary>
    private const long GatherParallelFloats = 1 << 15;

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
