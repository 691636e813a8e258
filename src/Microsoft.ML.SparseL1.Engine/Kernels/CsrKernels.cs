// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>Products with a matrix in compressed sparse row form (row = output neuron).</summary>
internal static class CsrKernels
{
    /// <summary>
    /// Compresses a dense <paramref name="rows"/> x <paramref name="columns"/> row-major matrix into CSR: the nonzeros
    /// of each row in ascending column order (±0 counts as zero, NaN as nonzero). Finds them a vector at a time, since
    /// the matrices this serves are mostly zero. The destinations must hold rows + 1 pointers and every nonzero.
    /// </summary>
    /// <returns>The number of nonzeros written.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int CompressRows(ReadOnlySpan<float> dense, int rows, int columns, Span<int> rowPointers, Span<int> columnIndices, Span<float> values)
    {
        if (dense.Length < rows * columns || rowPointers.Length < rows + 1)
            throw new ArgumentException("The dense matrix or the row pointers are smaller than the shape.", nameof(dense));
        ref float weight = ref MemoryMarshal.GetReference(dense);
        int count = 0;
        for (int r = 0; r < rows; r++)
        {
            rowPointers[r] = count;
            int rowStart = r * columns, i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; i <= columns - Vector256<float>.Count; i += Vector256<float>.Count)
                {
                    var block = Vector256.LoadUnsafe(ref weight, (nuint)(rowStart + i));
                    uint nonZero = ~Vector256.Equals(block, Vector256<float>.Zero).ExtractMostSignificantBits() & 0xFFu;
                    while (nonZero != 0)
                    {
                        int lane = BitOperations.TrailingZeroCount(nonZero);
                        columnIndices[count] = i + lane;
                        values[count++] = Unsafe.Add(ref weight, rowStart + i + lane);
                        nonZero &= nonZero - 1;
                    }
                }
            }

            for (; i < columns; i++)
            {
                float w = Unsafe.Add(ref weight, rowStart + i);
                if (w != 0f)
                {
                    columnIndices[count] = i;
                    values[count++] = w;
                }
            }
        }

        rowPointers[rows] = count;
        return count;
    }

    /// <summary>
    /// <c>y[r] = bias[r] + Σ_{k in row r} values[k] · x[columnIndices[k]]</c>. The caller guarantees valid CSR
    /// (checked when the model is built or read: indices in range), so the loops read without bounds checks.
    /// With AVX2 the inputs are fetched 8 at a time by the hardware gather (.NET exposes no AVX-512 gather).
    /// </summary>
    public static void MultiplyVector(ReadOnlySpan<int> rowPointers, ReadOnlySpan<int> columnIndices, ReadOnlySpan<float> values,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> x, Span<float> y)
    {
        int rows = y.Length;
        if (rowPointers.Length != rows + 1 || bias.Length != rows)
            throw new ArgumentException("Row pointers must have rows + 1 entries and bias one per row.", nameof(rowPointers));
        if (rows > 0 && (rowPointers[rows] > columnIndices.Length || rowPointers[rows] > values.Length))
            throw new ArgumentException("The last row pointer exceeds the stored entries.", nameof(rowPointers));
        if (Avx2.IsSupported && KernelDispatch.Current >= KernelPath.Vector256)
            MultiplyVectorGather(rowPointers, columnIndices, values, bias, x, y);
        else
            MultiplyVectorScalar(rowPointers, columnIndices, values, bias, x, y);
    }

    /// <summary>
    /// Batched product in feature-major layout: <c>Y[r, :] = bias[r] + Σ_{k in row r} values[k] · X[columnIndices[k], :]</c>,
    /// where X is inputs x <paramref name="batch"/> and Y is rows x batch, both row-major. Each nonzero costs one
    /// vector multiply-add per <c>batch / lanes</c>, so a sparse layer scores many rows at the price of few.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyFeatureMajor(ReadOnlySpan<int> rowPointers, ReadOnlySpan<int> columnIndices, ReadOnlySpan<float> values,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> x, int inputs, int batch, Span<float> y)
    {
        int rows = bias.Length;
        if (rowPointers.Length != rows + 1 || x.Length < inputs * batch || y.Length < rows * batch)
            throw new ArgumentException("Row pointers, input or output do not match the layer and batch sizes.", nameof(rowPointers));
        if (rows > 0 && (rowPointers[rows] > columnIndices.Length || rowPointers[rows] > values.Length))
            throw new ArgumentException("The last row pointer exceeds the stored entries.", nameof(rowPointers));
        int lane = KernelDispatch.Current switch
        {
            KernelPath.Vector512 => FeatureMajorVector<Vector512<float>, Simd512>(rowPointers, columnIndices, values, bias, x, batch, y),
            KernelPath.Vector256 => FeatureMajorVector<Vector256<float>, Simd256>(rowPointers, columnIndices, values, bias, x, batch, y),
            KernelPath.Vector128 => FeatureMajorVector<Vector128<float>, Simd128>(rowPointers, columnIndices, values, bias, x, batch, y),
            _ => 0,
        };

        // Lanes the vector loops did not cover (fewer than one vector).
        for (int r = 0; r < rows; r++)
        {
            for (int b = lane; b < batch; b++)
            {
                float sum = bias[r];
                for (int k = rowPointers[r]; k < rowPointers[r + 1]; k++)
                    sum = MathF.FusedMultiplyAdd(values[k], x[columnIndices[k] * batch + b], sum);
                y[r * batch + b] = sum;
            }
        }
    }

    /// <summary>
    /// For each block of 4 vectors of batch lanes and each output row: 4 accumulators in registers, one broadcast
    /// value and 4 loads plus 4 multiply-adds per nonzero; then single vectors. Returns the first lane not covered. Bound by
    /// the L2 bandwidth of re-reading one input row per nonzero (docs/kernels.md, "Frozen layers").
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FeatureMajorVector<TVec, TOps>(ReadOnlySpan<int> rowPointers, ReadOnlySpan<int> columnIndices, ReadOnlySpan<float> values,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> x, int batch, Span<float> y)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int width = TOps.Count, block = 4 * width;
        ref float input = ref MemoryMarshal.GetReference(x);
        ref float output = ref MemoryMarshal.GetReference(y);
        ref int column = ref MemoryMarshal.GetReference(columnIndices);
        ref float value = ref MemoryMarshal.GetReference(values);
        // Blocks of 8 vectors first: 8 independent multiply-add chains keep both FMA units busy through their latency,
        // where 4 wait on it (a training batch of 128 is one block of 512-bit vectors).
        int lane = FeatureMajorEightVectors<TVec, TOps>(rowPointers, columnIndices, values, bias, x, batch, y);
        for (; lane <= batch - block; lane += block)
        {
            for (int r = 0; r < bias.Length; r++)
            {
                TVec b = TOps.Broadcast(bias[r]);
                TVec a0 = b, a1 = b, a2 = b, a3 = b;
                for (int k = rowPointers[r], end = rowPointers[r + 1]; k < end; k++)
                {
                    TVec v = TOps.Broadcast(Unsafe.Add(ref value, k));
                    ref float source = ref Unsafe.Add(ref input, Unsafe.Add(ref column, k) * batch + lane);
                    a0 = TOps.MultiplyAdd(v, TOps.Load(ref source, 0), a0);
                    a1 = TOps.MultiplyAdd(v, TOps.Load(ref source, (nuint)width), a1);
                    a2 = TOps.MultiplyAdd(v, TOps.Load(ref source, (nuint)(2 * width)), a2);
                    a3 = TOps.MultiplyAdd(v, TOps.Load(ref source, (nuint)(3 * width)), a3);
                }

                ref float destination = ref Unsafe.Add(ref output, r * batch + lane);
                TOps.Store(a0, ref destination, 0);
                TOps.Store(a1, ref destination, (nuint)width);
                TOps.Store(a2, ref destination, (nuint)(2 * width));
                TOps.Store(a3, ref destination, (nuint)(3 * width));
            }
        }

        // Lanes left over from the 4-vector blocks (a batch of 16, or the last 16 of 10,000 rows) one vector at a time,
        // summed in the same order, so a row's result does not depend on where it sits in the batch.
        for (; lane <= batch - width; lane += width)
        {
            for (int r = 0; r < bias.Length; r++)
            {
                TVec a = TOps.Broadcast(bias[r]);
                for (int k = rowPointers[r], end = rowPointers[r + 1]; k < end; k++)
                    a = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref value, k)), TOps.Load(ref Unsafe.Add(ref input, Unsafe.Add(ref column, k) * batch + lane), 0), a);
                TOps.Store(a, ref Unsafe.Add(ref output, r * batch + lane), 0);
            }
        }

        return lane;
    }

    /// <summary>The lanes of <see cref="FeatureMajorVector"/> in blocks of 8 vectors; returns the first lane not covered.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FeatureMajorEightVectors<TVec, TOps>(ReadOnlySpan<int> rowPointers, ReadOnlySpan<int> columnIndices, ReadOnlySpan<float> values,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> x, int batch, Span<float> y)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int width = TOps.Count, lane = 0;
        ref float input = ref MemoryMarshal.GetReference(x);
        ref float output = ref MemoryMarshal.GetReference(y);
        ref int column = ref MemoryMarshal.GetReference(columnIndices);
        ref float value = ref MemoryMarshal.GetReference(values);
        for (; lane <= batch - 8 * width; lane += 8 * width)
        {
            for (int r = 0; r < bias.Length; r++)
            {
                TVec b = TOps.Broadcast(bias[r]);
                TVec a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b;
                for (int k = rowPointers[r], end = rowPointers[r + 1]; k < end; k++)
                {
                    TVec v = TOps.Broadcast(Unsafe.Add(ref value, k));
                    ref float source = ref Unsafe.Add(ref input, Unsafe.Add(ref column, k) * batch + lane);
                    a0 = TOps.MultiplyAdd(v, TOps.Load(ref source, 0), a0);
                    a1 = TOps.MultiplyAdd(v, TOps.Load(ref source, (nuint)width), a1);
                    a2 = TOps.MultiplyAdd(v, TOps.Load(ref source, (nuint)(2 * width)), a2);
                    a3 = TOps.MultiplyAdd(v, TOps.Load(ref source, (nuint)(3 * width)), a3);
                    a4 = TOps.MultiplyAdd(v, TOps.Load(ref source, (nuint)(4 * width)), a4);
                    a5 = TOps.MultiplyAdd(v, TOps.Load(ref source, (nuint)(5 * width)), a5);
                    a6 = TOps.MultiplyAdd(v, TOps.Load(ref source, (nuint)(6 * width)), a6);
                    a7 = TOps.MultiplyAdd(v, TOps.Load(ref source, (nuint)(7 * width)), a7);
                }

                ref float destination = ref Unsafe.Add(ref output, r * batch + lane);
                TOps.Store(a0, ref destination, 0);
                TOps.Store(a1, ref destination, (nuint)width);
                TOps.Store(a2, ref destination, (nuint)(2 * width));
                TOps.Store(a3, ref destination, (nuint)(3 * width));
                TOps.Store(a4, ref destination, (nuint)(4 * width));
                TOps.Store(a5, ref destination, (nuint)(5 * width));
                TOps.Store(a6, ref destination, (nuint)(6 * width));
                TOps.Store(a7, ref destination, (nuint)(7 * width));
            }
        }

        return lane;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MultiplyVectorGather(ReadOnlySpan<int> rowPointers, ReadOnlySpan<int> columnIndices, ReadOnlySpan<float> values,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> x, Span<float> y)
    {
        ref int column = ref MemoryMarshal.GetReference(columnIndices);
        ref float value = ref MemoryMarshal.GetReference(values);
        fixed (float* input = x)
        {
            for (int r = 0; r < y.Length; r++)
            {
                int k = rowPointers[r], end = rowPointers[r + 1];

                // Two accumulators hide the FMA latency; the sum is folded in a fixed order (deterministic).
                Vector256<float> sum0 = Vector256<float>.Zero, sum1 = Vector256<float>.Zero;
                for (; k <= end - 16; k += 16)
                {
                    var gathered0 = Avx2.GatherVector256(input, Vector256.LoadUnsafe(ref column, (nuint)k), 4);
                    var gathered1 = Avx2.GatherVector256(input, Vector256.LoadUnsafe(ref column, (nuint)(k + 8)), 4);
                    sum0 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref value, (nuint)k), gathered0, sum0);
                    sum1 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref value, (nuint)(k + 8)), gathered1, sum1);
                }

                if (k <= end - 8)
                {
                    var gathered = Avx2.GatherVector256(input, Vector256.LoadUnsafe(ref column, (nuint)k), 4);
                    sum0 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref value, (nuint)k), gathered, sum0);
                    k += 8;
                }

                float tail = 0;
                for (; k < end; k++)
                    tail += Unsafe.Add(ref value, k) * input[Unsafe.Add(ref column, k)];
                y[r] = bias[r] + (Vector256.Sum(sum0 + sum1) + tail);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyVectorScalar(ReadOnlySpan<int> rowPointers, ReadOnlySpan<int> columnIndices, ReadOnlySpan<float> values,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> x, Span<float> y)
    {
        ref int column = ref MemoryMarshal.GetReference(columnIndices);
        ref float value = ref MemoryMarshal.GetReference(values);
        ref float input = ref MemoryMarshal.GetReference(x);
        for (int r = 0; r < y.Length; r++)
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
