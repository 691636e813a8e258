// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.ML.SparseL1.Kernels;

namespace Microsoft.ML.SparseL1.Model;

/// <summary>
/// A layer scored by input for one dense row: only the inputs that are nonzero in this row and used by the layer cost
/// anything (an image's background, a one-hot block's other slots, the ReLU zeros of a hidden layer). The used inputs'
/// columns are held dense over the outputs, and a row costs one vector multiply-add per nonzero input and block of
/// outputs (<see cref="InputMajorKernels"/>): each output starts at its bias and adds, input by input in ascending
/// order, the input times its weight with one fused multiply-add. A row takes it where it streams fewer floats than the
/// row-wise product (<see cref="TryMultiply"/>). The order differs from the row-wise kernels', so it is used only by
/// models whose format says so (<see cref="CompactMlp.ScoresByInputs"/>).
/// </summary>
internal sealed class LayerByInputs
{
    /// <summary>
    /// What one weight of a CSR layer costs in the single-row product, in floats streamed by the dense products: the
    /// measured ratio of the gathered CSR product's time a nonzero to theirs a float (docs/kernels.md, "Single-row
    /// products by input").
    /// </summary>
    internal const int CsrCostInFloats = 5;

    /// <summary>
    /// The most floats the dense columns may hold, as a multiple of the floats the layer stores: a CSR layer of a few
    /// percent has none, and its own product is the cheaper for every row (a by-column scalar product was measured and
    /// is slower still: docs/kernels.md).
    /// </summary>
    private const int MaximumCopyFactor = 4;

    /// <summary>Terms and outputs kept on the stack up to this many; beyond, the buffers are rented.</summary>
    private const int StackTerms = 2048;

    private readonly int[] _used;
    private readonly AlignedFloats _columns;
    /// <summary>Per input, where its column starts in <see cref="_columns"/>, or −1 for an input the layer does not use.</summary>
    private readonly int[] _columnOffsets;

    /// <summary>The layer's inputs: the length of a row.</summary>
    private readonly int _inputs;
    private readonly float[] _bias;
    private readonly int _stride;
    private readonly int _outputs;
    private readonly long _rowWiseCost;

    private LayerByInputs(CompactLayer layer, int[] used, AlignedFloats columns, int stride)
    {
        _used = used;
        _columns = columns;
        _inputs = layer.Inputs;
        _columnOffsets = new int[layer.Inputs];
        _columnOffsets.AsSpan().Fill(-1);
        for (int j = 0; j < used.Length; j++)
            _columnOffsets[used[j]] = j * stride;
        _stride = stride;
        _outputs = layer.Outputs;
        _bias = new float[stride];
        layer.Bias.CopyTo(_bias, 0);
        _rowWiseCost = layer.IsSparse ? (long)CsrCostInFloats * layer.NonZeroCount : (long)layer.Outputs * layer.Inputs;
    }

    /// <summary>
    /// The layer by input, or null where its used inputs' dense columns would hold more than
    /// <see cref="MaximumCopyFactor"/> times the floats the layer stores (the row-wise product is then the cheaper).
    /// </summary>
    public static LayerByInputs? For(CompactLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        int[] used = layer.UsedInputs();
        int stride = (layer.Outputs + InputMajorKernels.Stride - 1) / InputMajorKernels.Stride * InputMajorKernels.Stride;
        long cells = (long)used.Length * stride;
        long stored = layer.IsSparse ? 2L * layer.NonZeroCount : (long)layer.Outputs * layer.Inputs;
        if (used.Length == 0 || cells > MaximumCopyFactor * stored || cells > Array.MaxLength - AlignedFloats.Bytes)
            return null;
        var sparseColumns = new LayerColumns(layer);
        // Each column starts on a cache line (the stride is 64 bytes' worth), so no vector load of it crosses one.
        var columns = AlignedFloats.Allocate((int)cells);
        for (int j = 0; j < used.Length; j++)
            sparseColumns.CopyColumn(used[j], columns.Span.Slice(j * stride, stride));
        return new LayerByInputs(layer, used, columns, stride);
    }

    /// <summary>
    /// <c>y = b + Σ x_c · W[:, c]</c> over the used inputs c (ascending) where <c>x_c ≠ 0</c>, when the row's nonzero used
    /// inputs times the padded outputs are fewer floats than the row-wise product streams; false, with <paramref name="y"/>
    /// untouched, when they are not or when an input is NaN or infinite (the row-wise product gives those the dense
    /// product's NaN). The choice depends on the row alone, so a row always scores the same.
    /// </summary>
    public bool TryMultiply(ReadOnlySpan<float> x, Span<float> y) => Multiply(x, y, always: false);

    /// <summary>The product of <see cref="TryMultiply"/> whatever it costs (false only for a non-finite input).</summary>
    [SkipLocalsInit]
    internal bool Multiply(ReadOnlySpan<float> x, Span<float> y, bool always)
    {
        if (x.Length != _inputs)
            throw new ArgumentException($"The row has {x.Length} values; the layer has {_inputs} inputs.", nameof(x));
        if (NonFiniteInputs.Any(x))
            return false;
        // At most one term an input.
        int termCapacity = _inputs;
        int[]? rentedOffsets = termCapacity > StackTerms ? ArrayPool<int>.Shared.Rent(termCapacity) : null;
        float[]? rentedValues = termCapacity > StackTerms ? ArrayPool<float>.Shared.Rent(termCapacity) : null;
        float[]? rentedOutputs = _stride > StackTerms ? ArrayPool<float>.Shared.Rent(_stride) : null;
        try
        {
            return MultiplyWith(x, y, always, rentedOffsets ?? stackalloc int[termCapacity], rentedValues ?? stackalloc float[termCapacity], rentedOutputs ?? stackalloc float[_stride]);
        }
        finally
        {
            if (rentedOffsets is not null)
                ArrayPool<int>.Shared.Return(rentedOffsets);
            if (rentedValues is not null)
                ArrayPool<float>.Shared.Return(rentedValues);
            if (rentedOutputs is not null)
                ArrayPool<float>.Shared.Return(rentedOutputs);
        }
    }

    private bool MultiplyWith(ReadOnlySpan<float> x, Span<float> y, bool always, Span<int> offsets, Span<float> values, Span<float> outputs)
    {
        int count = InputMajorTerms.Gather(x, _used, _columnOffsets, offsets, values);
        if (!always && (long)count * _stride >= _rowWiseCost)
            return false;
        InputMajorKernels.Multiply(offsets[..count], values[..count], _columns.Span, _stride, _bias, outputs[.._stride]);
        outputs[.._outputs].CopyTo(y);
        return true;
    }
}
