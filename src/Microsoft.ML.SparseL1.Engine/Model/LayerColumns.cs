// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Microsoft.ML.SparseL1.Model;

/// <summary>
/// A layer's nonzero weights by input column (compressed sparse columns), for scoring sparse input rows and the rows
/// of activations with many zeros (<see cref="LayerByInputs"/>): a row costs the weights of its own nonzero inputs only
/// (<c>y = b + Σ x_c · W[:, c]</c>, the columns in the order given, one fused multiply-add per weight), not every weight
/// of the layer nor a dense copy of the row.
/// </summary>
internal sealed class LayerColumns
{
    private readonly int[] _columnPointers;
    private readonly int[] _outputs;
    private readonly float[] _weights;
    private readonly float[] _bias;

    public LayerColumns(CompactLayer layer)
    {
        _bias = layer.Bias;
        var counts = new int[layer.Inputs + 1];
        ForEachWeight(layer, (o, c, w) => counts[c + 1]++);
        for (int c = 0; c < layer.Inputs; c++)
            counts[c + 1] += counts[c];
        _columnPointers = counts;
        _outputs = new int[counts[^1]];
        _weights = new float[counts[^1]];
        var next = (int[])counts.Clone();
        // Row-major traversal: within a column the outputs ascend.
        ForEachWeight(layer, (o, c, w) =>
        {
            _outputs[next[c]] = o;
            _weights[next[c]++] = w;
        });
    }

    /// <summary>Writes input <paramref name="column"/>'s nonzero weights at their outputs' places in <paramref name="destination"/>.</summary>
    public void CopyColumn(int column, Span<float> destination)
    {
        for (int p = _columnPointers[column]; p < _columnPointers[column + 1]; p++)
            destination[_outputs[p]] = _weights[p];
    }

    /// <summary><c>y = b + Σ_k values[k]·W[:, indices[k]]</c> (the layer's product, before the activation).</summary>
    public void Multiply(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, Span<float> y)
    {
        if (values.Length < indices.Length)
            throw new ArgumentException($"{indices.Length} indices but {values.Length} values.", nameof(values));
        _bias.CopyTo(y);
        // The column's weights and outputs come from the layer itself (outputs below its width, checked by the copy of
        // the bias above), so only the row's indices are checked, once an input, not once a weight.
        ref float output = ref MemoryMarshal.GetReference(y);
        ref int rows = ref MemoryMarshal.GetArrayDataReference(_outputs);
        ref float weights = ref MemoryMarshal.GetArrayDataReference(_weights);
        int columns = _columnPointers.Length - 1;
        for (int k = 0; k < indices.Length; k++)
        {
            float x = values[k];
            int c = indices[k];
            if ((uint)c >= (uint)columns)
                throw new ArgumentOutOfRangeException(nameof(indices), $"Input {c} at position {k} is outside the layer's {columns} inputs.");
            for (int p = _columnPointers[c], end = _columnPointers[c + 1]; p < end; p++)
            {
                ref float target = ref Unsafe.Add(ref output, Unsafe.Add(ref rows, p));
                target = MathF.FusedMultiplyAdd(x, Unsafe.Add(ref weights, p), target);
            }
        }
    }

    private static void ForEachWeight(CompactLayer layer, Action<int, int, float> visit)
    {
        for (int o = 0; o < layer.Outputs; o++)
        {
            if (layer.IsSparse)
            {
                for (int k = layer.RowPointers[o]; k < layer.RowPointers[o + 1]; k++)
                    visit(o, layer.ColumnIndices[k], layer.Values[k]);
            }
            else
            {
                var row = layer.DenseWeights.Slice(o * layer.Inputs, layer.Inputs);
                for (int c = 0; c < row.Length; c++)
                {
                    if (row[c] != 0f)
                        visit(o, c, row[c]);
                }
            }
        }
    }
}
