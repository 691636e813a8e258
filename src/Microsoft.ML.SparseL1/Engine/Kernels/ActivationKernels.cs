// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Microsoft.ML.SparseL1.Internal;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>Row-wise bias and ReLU kernels of the forward and backward pass over a row-major batch.</summary>
internal static class ActivationKernels
{
    /// <summary>For each row r of a rows x n matrix: <c>z[r, j] = max(z[r, j] + bias[j], 0)</c> (NaN propagates).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddBiasRelu(Span<float> matrix, ReadOnlySpan<float> bias, int rows)
    {
        int n = bias.Length;
        ThrowHelper.CheckLength(matrix.Length, rows * n, nameof(matrix));
        for (int r = 0; r < rows; r++)
        {
            var row = matrix.Slice(r * n, n);
            int j = KernelDispatch.Current switch
            {
                KernelPath.Vector512 => AddBiasReluVector<Vector512<float>, Simd512>(row, bias),
                KernelPath.Vector256 => AddBiasReluVector<Vector256<float>, Simd256>(row, bias),
                KernelPath.Vector128 => AddBiasReluVector<Vector128<float>, Simd128>(row, bias),
                _ => 0,
            };
            for (; j < n; j++)
                row[j] = MathF.Max(row[j] + bias[j], 0f);
        }
    }

    /// <summary>For each row r: <c>z[r, j] += bias[j]</c> (the linear output layer).</summary>
    public static void AddBias(Span<float> matrix, ReadOnlySpan<float> bias, int rows)
    {
        int n = bias.Length;
        ThrowHelper.CheckLength(matrix.Length, rows * n, nameof(matrix));
        for (int r = 0; r < rows; r++)
        {
            var row = matrix.Slice(r * n, n);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    /// <summary>Backward ReLU in place: <c>delta[i] = activation[i] &gt; 0 ? delta[i] : 0</c>; the derivative at 0 is taken as 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReluBackward(Span<float> delta, ReadOnlySpan<float> activation)
    {
        ThrowHelper.CheckLength(activation.Length, delta.Length, nameof(activation));
        int i = KernelDispatch.Current switch
        {
            KernelPath.Vector512 => ReluBackwardVector<Vector512<float>, Simd512>(delta, activation),
            KernelPath.Vector256 => ReluBackwardVector<Vector256<float>, Simd256>(delta, activation),
            KernelPath.Vector128 => ReluBackwardVector<Vector128<float>, Simd128>(delta, activation),
            _ => 0,
        };
        for (; i < delta.Length; i++)
            delta[i] = activation[i] > 0f ? delta[i] : 0f;
    }

    /// <summary>
    /// Column sums of a rows x n matrix added to <paramref name="destination"/> in row order
    /// (so the sum order, and the result, never depends on the thread count).
    /// </summary>
    public static void AddColumnSums(ReadOnlySpan<float> matrix, int rows, Span<float> destination)
    {
        int n = destination.Length;
        ThrowHelper.CheckLength(matrix.Length, rows * n, nameof(matrix));
        for (int r = 0; r < rows; r++)
            TensorPrimitives.Add(destination, matrix.Slice(r * n, n), destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int AddBiasReluVector<TVec, TOps>(Span<float> row, ReadOnlySpan<float> bias)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int width = TOps.Count, j = 0;
        ref float z = ref MemoryMarshal.GetReference(row);
        ref float b = ref MemoryMarshal.GetReference(bias);
        for (; j <= row.Length - width; j += width)
        {
            TVec sum = TOps.Add(TOps.Load(ref z, (nuint)j), TOps.Load(ref b, (nuint)j));
            TOps.Store(TOps.Max(sum, TOps.Zero), ref z, (nuint)j);
        }

        return j;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ReluBackwardVector<TVec, TOps>(Span<float> delta, ReadOnlySpan<float> activation)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int width = TOps.Count, i = 0;
        ref float d = ref MemoryMarshal.GetReference(delta);
        ref float h = ref MemoryMarshal.GetReference(activation);
        for (; i <= delta.Length - width; i += width)
        {
            TOps.Store(TOps.SelectWherePositive(TOps.Load(ref h, (nuint)i), TOps.Load(ref d, (nuint)i)), ref d, (nuint)i);
        }

        return i;
    }
}
