// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using System.Numerics.Tensors;
using Microsoft.ML.SparseL1.Kernels;

namespace Microsoft.ML.SparseL1.Model;

/// <summary>
/// One layer of the compact predictor: <c>y = W·x + b</c> with W either dense (outputs x inputs, row-major)
/// or CSR, whichever is faster for its density. Immutable after construction and validated there.
/// </summary>
internal sealed class CompactLayer
{
    /// <summary>
    /// Below this fraction of nonzeros a layer is stored as CSR. Measured with the <c>breakeven</c> console
    /// benchmark (single-row products, optimised kernels): CSR and dense cross at density 0.17 on 784→300 and 0.19
    /// on 300→100; a little below both so that CSR is chosen only where it wins.
    /// </summary>
    internal const double CsrBreakEvenDensity = 0.15;

    private readonly float[]? _dense;
    private readonly int[]? _rowPointers;
    private readonly int[]? _columnIndices;
    private readonly float[]? _values;

    private CompactLayer(int inputs, int outputs, float[] bias, float[]? dense, int[]? rowPointers, int[]? columnIndices, float[]? values)
    {
        Inputs = inputs;
        Outputs = outputs;
        Bias = bias;
        _dense = dense;
        _rowPointers = rowPointers;
        _columnIndices = columnIndices;
        _values = values;
    }

    public int Inputs { get; }

    public int Outputs { get; }

    public float[] Bias { get; }

    public bool IsSparse => _dense is null;

    public int NonZeroCount => _values?.Length ?? Kernels.ProximalKernels.CountNonZero(_dense!);

    public ReadOnlySpan<float> DenseWeights => _dense;

    /// <summary>The dense weight array (for the GEMM, which takes arrays); empty when sparse.</summary>
    internal float[] DenseWeightArray => _dense ?? [];

    public ReadOnlySpan<int> RowPointers => _rowPointers;

    public ReadOnlySpan<int> ColumnIndices => _columnIndices;

    public ReadOnlySpan<float> Values => _values;

    /// <summary>Builds a layer from a dense outputs x inputs matrix, choosing CSR below <see cref="CsrBreakEvenDensity"/>.</summary>
    public static CompactLayer FromDense(ReadOnlySpan<float> weights, float[] bias, int outputs, int inputs)
    {
        int nonZero = Kernels.ProximalKernels.CountNonZero(weights);
        long total = (long)outputs * inputs;
        if (total > 0 && nonZero >= CsrBreakEvenDensity * total)
            return CreateDense(inputs, outputs, weights.ToArray(), bias);

        var rowPointers = new int[outputs + 1];
        var columns = new int[nonZero];
        var values = new float[nonZero];
        CsrKernels.CompressRows(weights, outputs, inputs, rowPointers, columns, values);
        return CreateSparse(inputs, outputs, rowPointers, columns, values, bias);
    }

    /// <summary>A dense layer; the arrays are taken, not copied. Callers validated them.</summary>
    public static CompactLayer CreateDense(int inputs, int outputs, float[] weights, float[] bias) =>
        new(inputs, outputs, bias, weights, null, null, null);

    /// <summary>A CSR layer; the arrays are taken, not copied. Callers validated them.</summary>
    public static CompactLayer CreateSparse(int inputs, int outputs, int[] rowPointers, int[] columnIndices, float[] values, float[] bias) =>
        new(inputs, outputs, bias, null, rowPointers, columnIndices, values);

    /// <summary>The weight from input <paramref name="input"/> to output <paramref name="output"/>.</summary>
    public float GetWeight(int output, int input)
    {
        if (_dense is not null)
            return _dense[output * Inputs + input];
        int index = Array.BinarySearch(_columnIndices!, _rowPointers![output], _rowPointers[output + 1] - _rowPointers[output], input);
        return index >= 0 ? _values![index] : 0f;
    }

    /// <summary>The inputs with at least one nonzero weight, ascending.</summary>
    public int[] UsedInputs()
    {
        var used = new bool[Inputs];
        if (IsSparse)
        {
            foreach (int column in _columnIndices!)
                used[column] = true;
        }
        else
        {
            for (int i = 0; i < Inputs; i++)
            {
                for (int o = 0; o < Outputs && !used[i]; o++)
                    used[i] = _dense![o * Inputs + i] != 0f;
            }
        }

        return Enumerable.Range(0, used.Length).Where(i => used[i]).ToArray();
    }

    /// <summary>The weights as a dense outputs x inputs row-major matrix (a copy for CSR layers; the layer's own array otherwise).</summary>
    public float[] ToDenseArray()
    {
        if (_dense is not null)
            return _dense;
        var dense = new float[Outputs * Inputs];
        for (int o = 0; o < Outputs; o++)
        {
            for (int k = _rowPointers![o]; k < _rowPointers[o + 1]; k++)
                dense[o * Inputs + _columnIndices![k]] = _values![k];
        }

        return dense;
    }

    /// <summary><c>y = W·x + b</c> for one row.</summary>
    public void Multiply(ReadOnlySpan<float> x, Span<float> y)
    {
        if (_dense is null)
        {
            CsrKernels.MultiplyVector(_rowPointers, _columnIndices, _values, Bias, x, y);
            return;
        }

        var weights = _dense.AsSpan();
        for (int o = 0; o < Outputs; o++)
            y[o] = Bias[o] + TensorPrimitives.Dot(weights.Slice(o * Inputs, Inputs), x);
    }
}
