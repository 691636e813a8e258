// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>Products with a matrix in compressed sparse row form (row = output neuron).</summary>
internal static class CsrKernels
{
    /// <summary>
    /// <c>y[r] = bias[r] + Σ_{k in row r} values[k] · x[columnIndices[k]]</c>. The caller guarantees valid CSR
    /// (checked when the model is built or read), so the loop reads without bounds checks.
    /// </summary>
    public static void MultiplyVector(ReadOnlySpan<int> rowPointers, ReadOnlySpan<int> columnIndices, ReadOnlySpan<float> values,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> x, Span<float> y)
    {
        int rows = y.Length;
        if (rowPointers.Length != rows + 1 || bias.Length != rows)
            throw new ArgumentException("Row pointers must have rows + 1 entries and bias one per row.", nameof(rowPointers));
        ref int column = ref MemoryMarshal.GetReference(columnIndices);
        ref float value = ref MemoryMarshal.GetReference(values);
        ref float input = ref MemoryMarshal.GetReference(x);
        for (int r = 0; r < rows; r++)
        {
            int k = rowPointers[r], end = rowPointers[r + 1];

            // Four independent sums hide the latency of the dependent adds.
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (; k <= end - 4; k += 4)
            {
                s0 += Unsafe.Add(ref value, k) * Unsafe.Add(ref input, Unsafe.Add(ref column, k));
                s1 += Unsafe.Add(ref value, k + 1) * Unsafe.Add(ref input, Unsafe.Add(ref column, k + 1));
                s2 += Unsafe.Add(ref value, k + 2) * Unsafe.Add(ref input, Unsafe.Add(ref column, k + 2));
                s3 += Unsafe.Add(ref value, k + 3) * Unsafe.Add(ref input, Unsafe.Add(ref column, k + 3));
            }

            for (; k < end; k++)
                s0 += Unsafe.Add(ref value, k) * Unsafe.Add(ref input, Unsafe.Add(ref column, k));
            y[r] = bias[r] + ((s0 + s1) + (s2 + s3));
        }
    }
}
