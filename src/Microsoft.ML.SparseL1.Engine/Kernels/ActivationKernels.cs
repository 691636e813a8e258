// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>Row-wise bias and ReLU kernels of the forward and backward pass over a row-major batch.</summary>
internal static class ActivationKernels
{
    /// <summary>For each row r of a rows x n matrix: <c>z[r, j] = max(z[r, j] + bias[j], 0)</c> (NaN propagates).</summary>
    public static void AddBiasRelu(Span<float> matrix, ReadOnlySpan<float> bias, int rows) => AddBias(matrix, bias, rows, relu: true);

    /// <summary>For each row r: <c>z[r, j] += bias[j]</c> (the linear output layer).</summary>
    public static void AddBias(Span<float> matrix, ReadOnlySpan<float> bias, int rows) => AddBias(matrix, bias, rows, relu: false);

    /// <summary>
    /// Both bias kernels, the whole batch in one call of the vector loop; a layer narrower than a vector by scalars. One
    /// call for the batch instead of one per row, because the per-row call cost more than the row's work on the narrow
    /// layers of small networks (docs/kernels.md, "Measured figures behind kernel choices").
    /// </summary>
    private static void AddBias(Span<float> matrix, ReadOnlySpan<float> bias, int rows, bool relu)
    {
        int n = bias.Length;
        ThrowHelper.CheckLength(matrix.Length, rows * n, nameof(matrix));
        bool vectors = KernelDispatch.Current switch
        {
            KernelPath.Vector512 => AddBiasRows<Vector512<float>, Simd512>(matrix, bias, rows, relu),
            KernelPath.Vector256 => AddBiasRows<Vector256<float>, Simd256>(matrix, bias, rows, relu),
            KernelPath.Vector128 => AddBiasRows<Vector128<float>, Simd128>(matrix, bias, rows, relu),
            _ => false,
        };
        if (vectors)
            return;
        for (int r = 0; r < rows; r++)
        {
            var row = matrix.Slice(r * n, n);
            for (int j = 0; j < n; j++)
                row[j] = relu ? MathF.Max(row[j] + bias[j], 0f) : row[j] + bias[j];
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
        int j = KernelDispatch.Current switch
        {
            KernelPath.Vector512 => AddColumnSumsVector<Vector512<float>, Simd512>(matrix, rows, destination),
            KernelPath.Vector256 => AddColumnSumsVector<Vector256<float>, Simd256>(matrix, rows, destination),
            KernelPath.Vector128 => AddColumnSumsVector<Vector128<float>, Simd128>(matrix, rows, destination),
            _ => 0,
        };
        for (; j < n; j++)
        {
            float sum = destination[j];
            for (int r = 0; r < rows; r++)
                sum += matrix[r * n + j];
            destination[j] = sum;
        }
    }

    /// <summary>
    /// The columns of <see cref="AddColumnSums"/> that fill whole vectors; returns the first column not done. Each vector
    /// of columns starts from the destination and adds the rows in order in a register, so every element is summed
    /// exactly as adding row after row into the destination sums it, at about half the time of a library call per row
    /// (docs/kernels.md, "Measured figures behind kernel choices"). Four vectors at a time, four independent add chains; the last columns as whole vectors, the last one ending at the row's end (overlapping the
    /// one before: every destination vector is read before any is written, so both hold the same sums).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int AddColumnSumsVector<TVec, TOps>(ReadOnlySpan<float> matrix, int rows, Span<float> destination)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int width = TOps.Count, n = destination.Length, j = 0;
        ref float m = ref MemoryMarshal.GetReference(matrix);
        ref float d = ref MemoryMarshal.GetReference(destination);
        for (; j <= n - 4 * width; j += 4 * width)
        {
            ref float column = ref Unsafe.Add(ref d, j);
            TVec s0 = TOps.Load(ref column, 0), s1 = TOps.Load(ref column, (nuint)width);
            TVec s2 = TOps.Load(ref column, (nuint)(2 * width)), s3 = TOps.Load(ref column, (nuint)(3 * width));
            for (int r = 0; r < rows; r++)
            {
                ref float row = ref Unsafe.Add(ref m, r * n + j);
                s0 = TOps.Add(s0, TOps.Load(ref row, 0));
                s1 = TOps.Add(s1, TOps.Load(ref row, (nuint)width));
                s2 = TOps.Add(s2, TOps.Load(ref row, (nuint)(2 * width)));
                s3 = TOps.Add(s3, TOps.Load(ref row, (nuint)(3 * width)));
            }

            TOps.Store(s0, ref column, 0);
            TOps.Store(s1, ref column, (nuint)width);
            TOps.Store(s2, ref column, (nuint)(2 * width));
            TOps.Store(s3, ref column, (nuint)(3 * width));
        }

        if (n - j < width)
            return j;

        // All four vectors are summed (unused ones repeat the last: the same sums) and stored.
        var (_, o1, o2, o3) = TailVectors.Of(n - j, width);
        ref float tail = ref Unsafe.Add(ref d, j);
        TVec t0 = TOps.Load(ref tail, 0), t1 = TOps.Load(ref tail, o1), t2 = TOps.Load(ref tail, o2), t3 = TOps.Load(ref tail, o3);
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref m, r * n + j);
            t0 = TOps.Add(t0, TOps.Load(ref row, 0));
            t1 = TOps.Add(t1, TOps.Load(ref row, o1));
            t2 = TOps.Add(t2, TOps.Load(ref row, o2));
            t3 = TOps.Add(t3, TOps.Load(ref row, o3));
        }

        TOps.Store(t0, ref tail, 0);
        TOps.Store(t1, ref tail, o1);
        TOps.Store(t2, ref tail, o2);
        TOps.Store(t3, ref tail, o3);
        return n;
    }

    /// <summary>
    /// Every row in whole vectors when the layer is at least a vector wide (returns false otherwise, having written
    /// nothing): the last vector of a row ends at its end, computed from the row's values before any of them is written,
    /// so the lanes it shares with the vector before it get the same values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool AddBiasRows<TVec, TOps>(Span<float> matrix, ReadOnlySpan<float> bias, int rows, bool relu)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int width = TOps.Count, n = bias.Length;
        if (n < width)
            return false;
        int whole = n / width * width;
        nuint last = (nuint)(n - width);
        ref float b = ref MemoryMarshal.GetReference(bias);
        TVec lastBias = TOps.Load(ref b, last);
        for (int r = 0; r < rows; r++)
        {
            ref float z = ref Unsafe.Add(ref MemoryMarshal.GetReference(matrix), r * n);
            TVec tail = TOps.Add(TOps.Load(ref z, last), lastBias);
            for (int j = 0; j < whole; j += width)
            {
                TVec sum = TOps.Add(TOps.Load(ref z, (nuint)j), TOps.Load(ref b, (nuint)j));
                TOps.Store(relu ? TOps.Max(sum, TOps.Zero) : sum, ref z, (nuint)j);
            }

            TOps.Store(relu ? TOps.Max(tail, TOps.Zero) : tail, ref z, last);
        }

        return true;
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
