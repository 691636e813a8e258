// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Buffers;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.ML.SparseL1.Kernels;

namespace Microsoft.ML.SparseL1.Model;

/// <summary>
/// A layer scored by input for one dense row: only the inputs that are nonzero in this row and used by the layer cost
/// anything (an image's background, a one-hot block's other slots, the ReLU zeros of a hidden layer). Two products give
/// the same sums: the columns of the used inputs dense over the outputs, one vector multiply-add per nonzero input and
/// block of outputs (<see cref="InputMajorKernels"/>), and the nonzero weights by column, one scalar multiply-add each
/// (<see cref="LayerColumns"/>). Each output starts at its bias and adds, input by input in ascending order, the input
/// times its weight with one fused multiply-add (the dense columns also add their zero weights, which changes nothing
/// but the sign of a zero sum). A row takes the cheaper of the two, or declines when the row-wise product streams less
/// (<see cref="TryMultiply"/>). The order differs from the row-wise kernels', so it is used only by models whose format
/// says so (<see cref="CompactMlp.ScoresByInputs"/>).
/// </summary>
internal sealed class LayerByInputs
{
    /// <summary>
    /// What one weight of a CSR layer costs in the single-row product, in floats streamed by the dense and by-column
    /// products: the gathered CSR product took 0.34-0.51 ns a nonzero where those took 0.055-0.071 ns a float
    /// (docs/kernels.md, "Single-row products by input").
    /// </summary>
    internal const int CsrCostInFloats = 5;

    /// <summary>What one weight of the by-column scalar product costs, in the same floats (docs/kernels.md).</summary>
    internal const int ColumnCostInFloats = 5;

    /// <summary>The most floats the dense columns may hold, as a multiple of the floats the layer stores.</summary>
    private const int MaximumCopyFactor = 4;

    /// <summary>Terms kept on the stack below this many used inputs or outputs; beyond it the buffers are rented.</summary>
    private const int StackTerms = 2048;

    private readonly LayerColumns _sparseColumns;
    private readonly int[] _used;
    private readonly float[]? _denseColumns;
    private readonly float[] _bias;
    private readonly int _stride;
    private readonly int _outputs;
    private readonly long _rowWiseCost;

    private LayerByInputs(CompactLayer layer, LayerColumns sparseColumns, int[] used, float[]? denseColumns, int stride)
    {
        _sparseColumns = sparseColumns;
        _used = used;
        _denseColumns = denseColumns;
        _stride = stride;
        _outputs = layer.Outputs;
        _bias = new float[stride];
        layer.Bias.CopyTo(_bias, 0);
        _rowWiseCost = layer.IsSparse ? (long)CsrCostInFloats * layer.NonZeroCount : (long)layer.Outputs * layer.Inputs;
    }

    /// <summary>
    /// The layer by input: its nonzero weights by column, and its used inputs' columns dense over the outputs unless they
    /// would hold more than <see cref="MaximumCopyFactor"/> times the floats the layer stores (a CSR layer of a few percent).
    /// </summary>
    public static LayerByInputs For(CompactLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var sparseColumns = new LayerColumns(layer);
        int[] used = Enumerable.Range(0, layer.Inputs).Where(c => sparseColumns.NonZeroCount(c) > 0).ToArray();
        int stride = (layer.Outputs + InputMajorKernels.Stride - 1) / InputMajorKernels.Stride * InputMajorKernels.Stride;
        long cells = (long)used.Length * stride;
        long stored = layer.IsSparse ? 2L * layer.NonZeroCount : (long)layer.Outputs * layer.Inputs;
        float[]? dense = used.Length == 0 || cells > MaximumCopyFactor * stored || cells > Array.MaxLength ? null : new float[cells];
        if (dense is not null)
        {
            for (int j = 0; j < used.Length; j++)
                sparseColumns.CopyColumn(used[j], dense.AsSpan(j * stride, stride));
        }

        return new LayerByInputs(layer, sparseColumns, used, dense, stride);
    }

    /// <summary>Whether the used inputs' columns are held dense (else every row takes the by-column scalar product).</summary>
    public bool HasDenseColumns => _denseColumns is not null;

    /// <summary>
    /// <c>y = b + Σ x_c · W[:, c]</c> over the used inputs c (ascending) where <c>x_c ≠ 0</c>, by the cheaper of the two
    /// products, when it costs less than the row-wise product; false, with <paramref name="y"/> untouched, when it does
    /// not or when an input is NaN or infinite (the row-wise product gives those the dense product's NaN). The choice
    /// depends on the row alone, so a row always scores the same.
    /// </summary>
    public bool TryMultiply(ReadOnlySpan<float> x, Span<float> y) => Multiply(x, y, Product.Cheapest);

    /// <summary>Which product <see cref="Multiply"/> takes.</summary>
    internal enum Product
    {
        /// <summary>The cheapest, or none when the row-wise product is cheaper.</summary>
        Cheapest,

        /// <summary>The dense columns whatever they cost (false when there are none).</summary>
        DenseColumns,

        /// <summary>The by-column scalar product whatever it costs.</summary>
        SparseColumns,
    }

    /// <summary>The product of <see cref="TryMultiply"/>, or the one named (false for a non-finite input, or no dense columns).</summary>
    [SkipLocalsInit]
    internal bool Multiply(ReadOnlySpan<float> x, Span<float> y, Product product)
    {
        if (NonFiniteInputs.Any(x) || (product == Product.DenseColumns && _denseColumns is null))
            return false;
        int used = _used.Length;
        int[]? rentedColumns = used > StackTerms ? ArrayPool<int>.Shared.Rent(used) : null;
        int[]? rentedSlots = used > StackTerms ? ArrayPool<int>.Shared.Rent(used) : null;
        float[]? rentedValues = used > StackTerms ? ArrayPool<float>.Shared.Rent(used) : null;
        float[]? rentedOutputs = _stride > StackTerms ? ArrayPool<float>.Shared.Rent(_stride) : null;
        try
        {
            return MultiplyWith(x, y, product, rentedColumns ?? stackalloc int[used], rentedSlots ?? stackalloc int[used], rentedValues ?? stackalloc float[used],
                rentedOutputs ?? stackalloc float[_stride]);
        }
        finally
        {
            if (rentedColumns is not null)
                ArrayPool<int>.Shared.Return(rentedColumns);
            if (rentedSlots is not null)
                ArrayPool<int>.Shared.Return(rentedSlots);
            if (rentedValues is not null)
                ArrayPool<float>.Shared.Return(rentedValues);
            if (rentedOutputs is not null)
                ArrayPool<float>.Shared.Return(rentedOutputs);
        }
    }

    private bool MultiplyWith(ReadOnlySpan<float> x, Span<float> y, Product product, Span<int> columns, Span<int> slots, Span<float> values, Span<float> outputs)
    {
        // Each used input is written, and the count moves on past the nonzero ones only (no branch on the data).
        int count = 0;
        long weights = 0;
        for (int j = 0; j < _used.Length; j++)
        {
            int column = _used[j];
            float value = x[column];
            columns[count] = column;
            slots[count] = j;
            values[count] = value;
            int nonZero = value != 0f ? 1 : 0;
            weights += nonZero * _sparseColumns.NonZeroCount(column);
            count += nonZero;
        }

        long denseCost = _denseColumns is null ? long.MaxValue : (long)count * _stride;
        long sparseCost = ColumnCostInFloats * weights;
        if (product == Product.Cheapest && Math.Min(denseCost, sparseCost) >= _rowWiseCost)
            return false;
        if (product == Product.DenseColumns || (product == Product.Cheapest && denseCost <= sparseCost))
        {
            for (int k = 0; k < count; k++)
                slots[k] *= _stride;
            InputMajorKernels.Multiply(slots[..count], values[..count], _denseColumns!, _stride, _bias, outputs[.._stride]);
            outputs[.._outputs].CopyTo(y);
        }
        else
        {
            _sparseColumns.Multiply(columns[..count], values[..count], y[.._outputs]);
        }

        return true;
    }
}
