// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1;

/// <summary>A read-only view of one layer of the compact network: <c>y = W·x + b</c>, W dense or CSR.</summary>
public sealed class SparseMlpLayer
{
    private readonly Model.CompactLayer _layer;

    internal SparseMlpLayer(Model.CompactLayer layer) => _layer = layer;

    /// <summary>
    /// Inputs of the layer (after dead neurons of the previous layer were removed); for the first layer of a model with a
    /// piecewise-linear input encoding (<c>PiecewiseLinearBins</c>), the encoded slots, in input order, each input's bins together.
    /// </summary>
    public int InputCount => _layer.Inputs;

    /// <summary>Outputs of the layer (after dead neurons were removed; output layer unchanged).</summary>
    public int OutputCount => _layer.Outputs;

    /// <summary>True when the weights are stored in CSR form (<see cref="RowPointers"/>, <see cref="ColumnIndices"/>, <see cref="Values"/>).</summary>
    public bool IsSparse => _layer.IsSparse;

    /// <summary>Nonzero weights.</summary>
    public int NonZeroCount => _layer.NonZeroCount;

    /// <summary>The bias of each output.</summary>
    public ReadOnlySpan<float> Biases => _layer.Bias;

    /// <summary>Outputs x inputs row-major weights when dense; empty when sparse.</summary>
    public ReadOnlySpan<float> DenseWeights => _layer.DenseWeights;

    /// <summary>CSR row pointers (OutputCount + 1) when sparse; empty when dense.</summary>
    public ReadOnlySpan<int> RowPointers => _layer.RowPointers;

    /// <summary>CSR column (input) indices, ascending within each row, when sparse; empty when dense.</summary>
    public ReadOnlySpan<int> ColumnIndices => _layer.ColumnIndices;

    /// <summary>CSR nonzero values when sparse; empty when dense.</summary>
    public ReadOnlySpan<float> Values => _layer.Values;

    /// <summary>The weight from <paramref name="input"/> to <paramref name="output"/> (0 if not stored).</summary>
    /// <param name="output">Output index.</param>
    /// <param name="input">Input index.</param>
    /// <returns>The weight.</returns>
    public float GetWeight(int output, int input)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(output);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(output, OutputCount);
        ArgumentOutOfRangeException.ThrowIfNegative(input);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(input, InputCount);
        return _layer.GetWeight(output, input);
    }
}
