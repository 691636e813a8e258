// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.SparseL1.Model;

namespace Microsoft.ML.SparseL1;

/// <summary>
/// A trained sparse MLP: the compact network used for prediction, and how it was trained (λ per layer,
/// nonzero counts, the selection report). Immutable.
/// </summary>
public sealed class SparseMlpModelParameters
{
    internal SparseMlpModelParameters(SparseMlpTask task, CompactMlp network, IReadOnlyList<string> classNames,
        int[] trainedLayerSizes, float[] lambdas, int[] trainedNonZeroCounts, SparsitySelectionReport? selectionReport)
    {
        Task = task;
        Network = network;
        ClassNames = classNames;
        TrainedLayerSizes = trainedLayerSizes;
        Lambdas = lambdas;
        LayerNonZeroCounts = trainedNonZeroCounts;
        SelectionReport = selectionReport;
        Layers = network.Layers.Select(l => new SparseMlpLayer(l)).ToArray();
    }

    /// <summary>The task the network was trained for.</summary>
    public SparseMlpTask Task { get; }

    /// <summary>Length of the feature vector.</summary>
    public int InputCount => Network.InputCount;

    /// <summary>Outputs: classes (multiclass), or 1.</summary>
    public int OutputCount => Network.OutputCount;

    /// <summary>The layers of the compact network (dead hidden neurons removed), input side first.</summary>
    public IReadOnlyList<SparseMlpLayer> Layers { get; }

    /// <summary>
    /// Layer sizes of the trained network (input, hidden..., output) before compaction; with a piecewise-linear input
    /// encoding (<c>PiecewiseLinearBins</c>) the input size is the encoded slots, which the first layer reads.
    /// </summary>
    public IReadOnlyList<int> TrainedLayerSizes { get; }

    /// <summary>λ_j of each weight layer that produced the network.</summary>
    public IReadOnlyList<float> Lambdas { get; }

    /// <summary>Nonzero weights per layer of the trained network.</summary>
    public IReadOnlyList<int> LayerNonZeroCounts { get; }

    /// <summary>Nonzero weights of the trained network (biases excluded).</summary>
    public long NonZeroWeightCount => LayerNonZeroCounts.Sum(c => (long)c);

    /// <summary>Weights of the trained network (biases excluded).</summary>
    public long WeightCount
    {
        get
        {
            long total = 0;
            for (int j = 0; j + 1 < TrainedLayerSizes.Count; j++)
                total += (long)TrainedLayerSizes[j] * TrainedLayerSizes[j + 1];
            return total;
        }
    }

    /// <summary>Fraction of the trained network's weights that are exactly zero.</summary>
    public double Sparsity => 1.0 - (double)NonZeroWeightCount / WeightCount;

    /// <summary>Indices of the input features the network uses (at least one nonzero weight), ascending.</summary>
    public IReadOnlyList<int> UsedInputIndices => Network.UsedInputs;

    /// <summary>Label names of the classes (multiclass, from the label's key values); empty otherwise.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The parameter selection's report when a target sparsity was asked for; null for a fixed λ.</summary>
    public SparsitySelectionReport? SelectionReport { get; }

    internal CompactMlp Network { get; }

    /// <summary>
    /// The most bins the piecewise-linear input encoding cut an input into (the <c>PiecewiseLinearBins</c> it was trained
    /// with, or the trainer's choice; inputs with fewer distinct values get fewer); 0 when the inputs are fed as they are.
    /// </summary>
    public int PiecewiseLinearBins => Network.Encoding is { } encoding ? encoding.Edges.Max(e => Math.Max(0, e.Length - 1)) : 0;

    /// <summary>
    /// The Euclidean norm of each input's first-layer weights (0 for an input the network does not use): how strongly
    /// the network reads each feature value, for ranking or charting the inputs it kept. With a piecewise-linear input
    /// encoding, an input's norm is over the weights of all its slots.
    /// </summary>
    /// <returns><see cref="InputCount"/> norms.</returns>
    public double[] GetInputWeightNorms()
    {
        double[] slotSquares = FirstLayerColumnSquares();
        if (Network.Encoding is not { } encoding)
            return Array.ConvertAll(slotSquares, Math.Sqrt);
        var squares = new double[InputCount];
        for (int slot = 0; slot < slotSquares.Length; slot++)
            squares[encoding.SlotSources[slot]] += slotSquares[slot];
        return Array.ConvertAll(squares, Math.Sqrt);
    }

    /// <summary>The sum of squares of each first-layer input's weights (per encoded slot when the model encodes its inputs).</summary>
    internal double[] FirstLayerColumnSquares()
    {
        var first = Network.Layers[0];
        var squares = new double[first.Inputs];
        for (int o = 0; o < first.Outputs; o++)
        {
            if (first.IsSparse)
            {
                for (int k = first.RowPointers[o]; k < first.RowPointers[o + 1]; k++)
                    squares[first.ColumnIndices[k]] += (double)first.Values[k] * first.Values[k];
            }
            else
            {
                var row = first.DenseWeights.Slice(o * first.Inputs, first.Inputs);
                for (int i = 0; i < row.Length; i++)
                    squares[i] += (double)row[i] * row[i];
            }
        }

        return squares;
    }

    /// <summary>
    /// A printable summary: the trained layers with their nonzeros, sparsity and λ, the compact network's layers with
    /// their storage (CSR or dense) and density, the inputs used, the selection's outcome, and the model's size on disk.
    /// </summary>
    /// <returns>Several lines of text.</returns>
    public override string ToString() => ModelSummary.Describe(this);

    /// <summary>Raw network outputs for many rows at once: the fast path for batch scoring outside ML.NET pipelines.</summary>
    /// <param name="features">Row-major rows x <see cref="InputCount"/> features.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="outputs">Destination: row-major rows x <see cref="OutputCount"/> values (before softmax or sigmoid; a regression's
    /// clamped to its training labels' range when the model has one, as in the pipeline).</param>
    /// <param name="threads">Threads to spread the 64-row blocks over; results do not depend on it.</param>
    public void PredictRaw(ReadOnlySpan<float> features, int rows, Span<float> outputs, int threads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        Network.PredictBatch(features, rows, outputs, threads);
    }

    /// <summary>
    /// Raw network outputs (before softmax or sigmoid; a regression's clamped to its training labels' range when the model
    /// has one, as in the pipeline) for one feature vector.
    /// </summary>
    /// <param name="features">A feature vector of <see cref="InputCount"/> values.</param>
    /// <returns><see cref="OutputCount"/> values.</returns>
    public float[] PredictRaw(ReadOnlySpan<float> features)
    {
        if (features.Length != InputCount)
            throw new ArgumentException($"Expected {InputCount} features, got {features.Length}.", nameof(features));
        var outputs = new float[OutputCount];
        // Rented: two fresh activation buffers a call cost more than the product itself on wide inputs.
        float[] first = System.Buffers.ArrayPool<float>.Shared.Rent(Network.MaxWidth), second = System.Buffers.ArrayPool<float>.Shared.Rent(Network.MaxWidth);
        try
        {
            Network.Predict(features, outputs, (first, second));
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(first);
            System.Buffers.ArrayPool<float>.Shared.Return(second);
        }

        return outputs;
    }
}
