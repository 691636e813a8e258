// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Numerics.Tensors;

namespace Microsoft.ML.SparseL1.Model;

/// <summary>
/// Gives the first layer's products that skip zero weights (CSR rows, the by-column sparse-row product) the result of the
/// dense product when an input is NaN or infinite: there <c>0 · NaN</c> and <c>0 · ∞</c> are NaN, so every output with a
/// zero weight on such an input is NaN. Without this a NaN in an input the network does not use scored finite through a
/// CSR layer and NaN through a dense one (and in ONNX Runtime), so the same model's score depended on its storage.
/// Only the first layer is handled: an infinite activation reaching a later CSR layer (an infinite input with nonzero
/// weights on it) still skips the 0 · ∞ of its zero weights.
/// </summary>
internal static class NonFiniteInputs
{
    /// <summary>Whether any value is NaN or infinite (one vectorized sum; the exact scan only when the sum is not finite).</summary>
    public static bool Any(ReadOnlySpan<float> values)
    {
        if (float.IsFinite(TensorPrimitives.SumOfMagnitudes(values)))
            return false;
        foreach (float value in values)
        {
            if (!float.IsFinite(value))
                return true;
        }

        return false;
    }

    /// <summary>
    /// Sets to NaN each output <c>y[o · stride]</c> whose weight on a non-finite input is zero.
    /// </summary>
    /// <param name="first">The first layer.</param>
    /// <param name="columns">The input column of each value, or empty when <paramref name="values"/> is the whole row.</param>
    /// <param name="values">The row's values (all of them, or those at <paramref name="columns"/>).</param>
    /// <param name="y">The layer's outputs for the row, <paramref name="stride"/> apart.</param>
    /// <param name="stride">Distance between consecutive outputs in <paramref name="y"/> (1 for one row; the block's rows when feature-major).</param>
    public static void Propagate(CompactLayer first, ReadOnlySpan<int> columns, ReadOnlySpan<float> values, Span<float> y, int stride = 1)
    {
        for (int k = 0; k < values.Length; k++)
        {
            if (float.IsFinite(values[k]))
                continue;
            int column = columns.IsEmpty ? k : columns[k];
            for (int o = 0; o < first.Outputs; o++)
            {
                if (first.GetWeight(o, column) == 0f)
                    y[o * stride] = float.NaN;
            }
        }
    }
}
