// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Threading.Tasks;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>
/// Products <c>C (+)= A·B</c> where C is thin, without packing: at most <see cref="MaxThinSide"/> rows or columns, as a
/// network's output layer (1 to 10 neurons) and the first layer's gradient on a set of few features give.
/// </summary>
/// <remarks>
/// Why: <see cref="DenseGemm"/> copies both operands into panels and computes C in tiles of 8 x 32 (AVX-512), so a
/// 128 x 100 · 100 x 1 product (a regression network's output layer on a batch) paid for packing the whole 128 x 100
/// operand and for 32 times the multiply-adds it needed: 6.5 µs, where the product is 12,800 multiply-adds. On the
/// small tabular sets these products were a quarter of a training step.
/// Three forms, chosen by the operands' layout:
/// <list type="bullet">
/// <item>rows: C has few rows and B's rows are contiguous; each row of C is the sum over the depth of B's rows scaled by
/// that row of A (the output layer's weight gradient).</item>
/// <item>columns: C has few columns and A's columns are contiguous; the rows form on the transposed product Cᵀ = Bᵀ·Aᵀ,
/// into a buffer that is then written into C (the first layer's weight gradient on few features).</item>
/// <item>dots: C has at most <see cref="MaxDotColumns"/> columns, A's rows and B's columns are contiguous; each element
/// is one dot product (the output layer's forward product).</item>
/// </list>
/// Each element of C is computed by the same operations whatever the thread split (threads take whole vector blocks),
/// so the result does not depend on the thread count. The scalar path (no hardware vectors) keeps the packed GEMM.
/// </remarks>
internal static class ThinGemm
{
    /// <summary>
    /// The most rows (rows form) or columns (columns form) of a thin C. Measured on AVX-512 against the packed GEMM, depth
    /// 128 and 100 wide: the rows form is 5x faster at 1 row, 1.5x at 10 and even at 16 (8.1 µs both); the columns form
    /// 1.3x faster at 16 columns, even at 24 and 8 % slower at 30.
    /// </summary>
    internal const int MaxThinSide = 16;

    /// <summary>The most columns of C for the dots form: each needs its own accumulator over A's row.</summary>
    internal const int MaxDotColumns = 4;

    /// <summary>Vectors of C per block in the rows form: four independent multiply-add chains hide the FMA latency.</summary>
    private const int BlockVectors = 4;

    /// <summary>
    /// Computes the product if C is thin and the layout suits one of the forms, and returns true; returns false, having
    /// written nothing, otherwise. The caller has checked the shapes; <paramref name="a"/> has at least one column.
    /// </summary>
    public static bool TryMultiply(in MatrixOperand a, in MatrixOperand b, float[] c, int cOffset, int ldc, bool accumulate, int maxThreads) =>
        KernelDispatch.Current switch
        {
            KernelPath.Vector512 => TryMultiply<Vector512<float>, Simd512>(a, b, c, cOffset, ldc, accumulate, maxThreads),
            KernelPath.Vector256 => TryMultiply<Vector256<float>, Simd256>(a, b, c, cOffset, ldc, accumulate, maxThreads),
            KernelPath.Vector128 => TryMultiply<Vector128<float>, Simd128>(a, b, c, cOffset, ldc, accumulate, maxThreads),
            _ => false,
        };

    private static bool TryMultiply<TVec, TOps>(MatrixOperand a, MatrixOperand b, float[] c, int cOffset, int ldc, bool accumulate, int maxThreads)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int m = a.Rows, n = b.Columns, k = a.Columns;
        long work = (long)m * n * k;
        if (k == 0)
            return false;
        if (m <= MaxThinSide && (b.ColumnStride == 1 || n == 1))
        {
            // Threads take blocks of C's columns.
            Split(n, BlockVectors * TOps.Count, ThreadsFor(work, maxThreads), (first, end) =>
                Rows<TVec, TOps>(a, b, c, cOffset, ldc, accumulate, first, end));
            return true;
        }

        if (n <= MaxThinSide && (a.RowStride == 1 || m == 1))
        {
            // Cᵀ = Bᵀ·Aᵀ by rows into a buffer (n x m), then added into C; threads take blocks of C's rows.
            float[] transposed = ColumnsBuffer.ForCurrentThread(n * m);
            var left = b.Transpose();
            var right = a.Transpose();
            Split(m, BlockVectors * TOps.Count, ThreadsFor(work, maxThreads), (first, end) =>
            {
                Rows<TVec, TOps>(left, right, transposed, 0, m, false, first, end);
                for (int i = first; i < end; i++)
                {
                    int row = cOffset + i * ldc;
                    for (int j = 0; j < n; j++)
                        c[row + j] = accumulate ? c[row + j] + transposed[j * m + i] : transposed[j * m + i];
                }
            });
            return true;
        }

        if (n <= MaxDotColumns && (a.ColumnStride == 1 || k == 1) && (b.RowStride == 1 || k == 1))
        {
            // Threads take blocks of C's rows.
            Split(m, 8, ThreadsFor(work, maxThreads), (first, end) => Dots<TVec, TOps>(a, b, c, cOffset, ldc, accumulate, first, end));
            return true;
        }

        return false;
    }

    /// <summary>The packed GEMM's rule: no extra thread for less than <see cref="DenseGemm.MinMultiplyAddsPerThread"/>.</summary>
    private static int ThreadsFor(long work, int maxThreads) => (int)Math.Min(maxThreads, Math.Max(1, work / DenseGemm.MinMultiplyAddsPerThread));

    /// <summary>Runs <paramref name="body"/> over [0, <paramref name="length"/>) in chunks whose starts are multiples of <paramref name="granule"/>.</summary>
    private static void Split(int length, int granule, int threads, Action<int, int> body)
    {
        int granules = (length + granule - 1) / granule;
        threads = Math.Min(threads, granules);
        if (threads <= 1)
        {
            body(0, length);
            return;
        }

        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int first = (int)((long)granules * t / threads) * granule;
            int end = Math.Min(length, (int)((long)granules * (t + 1) / threads) * granule);
            body(first, end);
        });
    }

    /// <summary>
    /// Columns [<paramref name="firstColumn"/>, <paramref name="endColumn"/>) of every row of C: C(i, j) (+)= Σ_p A(i, p)·B(p, j),
    /// summed from zero in depth order (B's rows contiguous). <paramref name="firstColumn"/> is a multiple of the block width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<TVec, TOps>(MatrixOperand a, MatrixOperand b, float[] c, int cOffset, int ldc, bool accumulate, int firstColumn, int endColumn)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int width = TOps.Count, block = BlockVectors * width;
        int k = a.Columns;
        nuint aStride = (nuint)a.ColumnStride, bRowStride = (nuint)b.RowStride;
        ref float aData = ref MemoryMarshal.GetArrayDataReference(a.Data);
        ref float bData = ref MemoryMarshal.GetArrayDataReference(b.Data);
        ref float cData = ref MemoryMarshal.GetArrayDataReference(c);
        // Column blocks outside, rows of C inside: a block of B (depth x 4 vectors) is read once from memory for all rows.
        int j = firstColumn;
        for (; j + block <= endColumn; j += block)
        {
            ref float bColumn = ref Unsafe.Add(ref bData, b.Offset + j);
            int i = 0;
            // Two rows of C at a time: each load of B feeds two multiply-adds, and eight chains keep the FMA units busy.
            for (; i + 1 < a.Rows; i += 2)
            {
                ref float aRow = ref Unsafe.Add(ref aData, a.Offset + i * a.RowStride);
                ref float aNext = ref Unsafe.Add(ref aRow, a.RowStride);
                TVec s0 = TOps.Zero, s1 = TOps.Zero, s2 = TOps.Zero, s3 = TOps.Zero;
                TVec t0 = TOps.Zero, t1 = TOps.Zero, t2 = TOps.Zero, t3 = TOps.Zero;
                for (int p = 0; p < k; p++)
                {
                    TVec x = TOps.Broadcast(Unsafe.Add(ref aRow, (nuint)p * aStride));
                    TVec y = TOps.Broadcast(Unsafe.Add(ref aNext, (nuint)p * aStride));
                    ref float bRow = ref Unsafe.Add(ref bColumn, (nuint)p * bRowStride);
                    TVec b0 = TOps.Load(ref bRow, 0), b1 = TOps.Load(ref bRow, (nuint)width);
                    s0 = TOps.MultiplyAdd(x, b0, s0);
                    t0 = TOps.MultiplyAdd(y, b0, t0);
                    s1 = TOps.MultiplyAdd(x, b1, s1);
                    t1 = TOps.MultiplyAdd(y, b1, t1);
                    b0 = TOps.Load(ref bRow, (nuint)(2 * width));
                    b1 = TOps.Load(ref bRow, (nuint)(3 * width));
                    s2 = TOps.MultiplyAdd(x, b0, s2);
                    t2 = TOps.MultiplyAdd(y, b0, t2);
                    s3 = TOps.MultiplyAdd(x, b1, s3);
                    t3 = TOps.MultiplyAdd(y, b1, t3);
                }

                ref float cRow = ref Unsafe.Add(ref cData, cOffset + i * ldc + j);
                Store<TVec, TOps>(s0, ref cRow, 0, accumulate);
                Store<TVec, TOps>(s1, ref cRow, width, accumulate);
                Store<TVec, TOps>(s2, ref cRow, 2 * width, accumulate);
                Store<TVec, TOps>(s3, ref cRow, 3 * width, accumulate);
                ref float cNext = ref Unsafe.Add(ref cRow, ldc);
                Store<TVec, TOps>(t0, ref cNext, 0, accumulate);
                Store<TVec, TOps>(t1, ref cNext, width, accumulate);
                Store<TVec, TOps>(t2, ref cNext, 2 * width, accumulate);
                Store<TVec, TOps>(t3, ref cNext, 3 * width, accumulate);
            }

            for (; i < a.Rows; i++)
            {
                ref float aRow = ref Unsafe.Add(ref aData, a.Offset + i * a.RowStride);
                TVec s0 = TOps.Zero, s1 = TOps.Zero, s2 = TOps.Zero, s3 = TOps.Zero;
                for (int p = 0; p < k; p++)
                {
                    TVec x = TOps.Broadcast(Unsafe.Add(ref aRow, (nuint)p * aStride));
                    ref float bRow = ref Unsafe.Add(ref bColumn, (nuint)p * bRowStride);
                    s0 = TOps.MultiplyAdd(x, TOps.Load(ref bRow, 0), s0);
                    s1 = TOps.MultiplyAdd(x, TOps.Load(ref bRow, (nuint)width), s1);
                    s2 = TOps.MultiplyAdd(x, TOps.Load(ref bRow, (nuint)(2 * width)), s2);
                    s3 = TOps.MultiplyAdd(x, TOps.Load(ref bRow, (nuint)(3 * width)), s3);
                }

                ref float cRow = ref Unsafe.Add(ref cData, cOffset + i * ldc + j);
                Store<TVec, TOps>(s0, ref cRow, 0, accumulate);
                Store<TVec, TOps>(s1, ref cRow, width, accumulate);
                Store<TVec, TOps>(s2, ref cRow, 2 * width, accumulate);
                Store<TVec, TOps>(s3, ref cRow, 3 * width, accumulate);
            }
        }

        if (j < endColumn)
            RowsRemainder<TVec, TOps>(a, b, c, cOffset, ldc, accumulate, j, endColumn);
    }

    /// <summary>
    /// The last columns of the rows form, fewer than a block: up to three vectors, then up to three 4-lane vectors, then
    /// up to three scalars, all summed in one pass over the depth so that their multiply-add chains overlap (one chain
    /// at a time waited on the FMA latency: the 4 columns left of a 100-wide row cost as much as the 96 before them).
    /// Every lane does the same fused multiply-adds in depth order as in a full block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsRemainder<TVec, TOps>(MatrixOperand a, MatrixOperand b, float[] c, int cOffset, int ldc, bool accumulate, int firstColumn, int endColumn)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int width = TOps.Count, k = a.Columns;
        int vectors = (endColumn - firstColumn) / width;
        int quarterStart = vectors * width;
        int quarters = width > 4 ? (endColumn - firstColumn - quarterStart) / 4 : 0;
        int scalarStart = quarterStart + 4 * quarters;
        int scalars = endColumn - firstColumn - scalarStart;
        nuint aStride = (nuint)a.ColumnStride, bRowStride = (nuint)b.RowStride, bColumnStride = (nuint)b.ColumnStride;
        ref float aData = ref MemoryMarshal.GetArrayDataReference(a.Data);
        ref float bColumn = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b.Data), b.Offset + firstColumn * b.ColumnStride);
        ref float cData = ref MemoryMarshal.GetArrayDataReference(c);
        for (int i = 0; i < a.Rows; i++)
        {
            ref float aRow = ref Unsafe.Add(ref aData, a.Offset + i * a.RowStride);
            TVec v0 = TOps.Zero, v1 = TOps.Zero, v2 = TOps.Zero;
            Vector128<float> q0 = Vector128<float>.Zero, q1 = Vector128<float>.Zero, q2 = Vector128<float>.Zero;
            float t0 = 0, t1 = 0, t2 = 0;
            for (int p = 0; p < k; p++)
            {
                float x = Unsafe.Add(ref aRow, (nuint)p * aStride);
                ref float bRow = ref Unsafe.Add(ref bColumn, (nuint)p * bRowStride);
                if (vectors > 0)
                {
                    TVec xv = TOps.Broadcast(x);
                    v0 = TOps.MultiplyAdd(xv, TOps.Load(ref bRow, 0), v0);
                    if (vectors > 1)
                        v1 = TOps.MultiplyAdd(xv, TOps.Load(ref bRow, (nuint)width), v1);
                    if (vectors > 2)
                        v2 = TOps.MultiplyAdd(xv, TOps.Load(ref bRow, (nuint)(2 * width)), v2);
                }

                if (quarters > 0)
                {
                    var xq = Vector128.Create(x);
                    q0 = Simd128.MultiplyAdd(xq, Simd128.Load(ref bRow, (nuint)quarterStart), q0);
                    if (quarters > 1)
                        q1 = Simd128.MultiplyAdd(xq, Simd128.Load(ref bRow, (nuint)(quarterStart + 4)), q1);
                    if (quarters > 2)
                        q2 = Simd128.MultiplyAdd(xq, Simd128.Load(ref bRow, (nuint)(quarterStart + 8)), q2);
                }

                if (scalars > 0)
                {
                    t0 = MathF.FusedMultiplyAdd(x, Unsafe.Add(ref bRow, (nuint)scalarStart * bColumnStride), t0);
                    if (scalars > 1)
                        t1 = MathF.FusedMultiplyAdd(x, Unsafe.Add(ref bRow, (nuint)(scalarStart + 1) * bColumnStride), t1);
                    if (scalars > 2)
                        t2 = MathF.FusedMultiplyAdd(x, Unsafe.Add(ref bRow, (nuint)(scalarStart + 2) * bColumnStride), t2);
                }
            }

            ref float cRow = ref Unsafe.Add(ref cData, cOffset + i * ldc + firstColumn);
            if (vectors > 0)
                Store<TVec, TOps>(v0, ref cRow, 0, accumulate);
            if (vectors > 1)
                Store<TVec, TOps>(v1, ref cRow, width, accumulate);
            if (vectors > 2)
                Store<TVec, TOps>(v2, ref cRow, 2 * width, accumulate);
            if (quarters > 0)
                Store<Vector128<float>, Simd128>(q0, ref cRow, quarterStart, accumulate);
            if (quarters > 1)
                Store<Vector128<float>, Simd128>(q1, ref cRow, quarterStart + 4, accumulate);
            if (quarters > 2)
                Store<Vector128<float>, Simd128>(q2, ref cRow, quarterStart + 8, accumulate);
            if (scalars > 0)
                StoreScalar(t0, ref cRow, scalarStart, accumulate);
            if (scalars > 1)
                StoreScalar(t1, ref cRow, scalarStart + 1, accumulate);
            if (scalars > 2)
                StoreScalar(t2, ref cRow, scalarStart + 2, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreScalar(float sum, ref float cRow, int column, bool accumulate)
    {
        ref float target = ref Unsafe.Add(ref cRow, column);
        target = accumulate ? target + sum : sum;
    }

    /// <summary>
    /// Rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) of C: each element the dot product of A's row and B's
    /// column (both contiguous), lanes summed and then the remaining depth added in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dots<TVec, TOps>(MatrixOperand a, MatrixOperand b, float[] c, int cOffset, int ldc, bool accumulate, int firstRow, int endRow)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int width = TOps.Count, k = a.Columns, n = b.Columns;
        int vectorDepth = k - (k % width);
        ref float aData = ref MemoryMarshal.GetArrayDataReference(a.Data);
        ref float bData = ref MemoryMarshal.GetArrayDataReference(b.Data);
        // Unused columns (n < 4) read column 0 again: their sums are computed and dropped, which keeps one loop body.
        ref float b0 = ref Unsafe.Add(ref bData, b.Offset);
        ref float b1 = ref Unsafe.Add(ref bData, b.Offset + (n > 1 ? b.ColumnStride : 0));
        ref float b2 = ref Unsafe.Add(ref bData, b.Offset + (n > 2 ? 2 * b.ColumnStride : 0));
        ref float b3 = ref Unsafe.Add(ref bData, b.Offset + (n > 3 ? 3 * b.ColumnStride : 0));
        Span<float> sums = stackalloc float[MaxDotColumns];
        for (int i = firstRow; i < endRow; i++)
        {
            if (n == 1)
            {
                // One column: four chains over the depth instead of one (a single chain waits on the FMA latency).
                ref float single = ref Unsafe.Add(ref aData, a.Offset + i * a.RowStride);
                TVec d0 = TOps.Zero, d1 = TOps.Zero, d2 = TOps.Zero, d3 = TOps.Zero;
                int q = 0;
                for (; q + 4 * width <= vectorDepth; q += 4 * width)
                {
                    d0 = TOps.MultiplyAdd(TOps.Load(ref single, (nuint)q), TOps.Load(ref b0, (nuint)q), d0);
                    d1 = TOps.MultiplyAdd(TOps.Load(ref single, (nuint)(q + width)), TOps.Load(ref b0, (nuint)(q + width)), d1);
                    d2 = TOps.MultiplyAdd(TOps.Load(ref single, (nuint)(q + 2 * width)), TOps.Load(ref b0, (nuint)(q + 2 * width)), d2);
                    d3 = TOps.MultiplyAdd(TOps.Load(ref single, (nuint)(q + 3 * width)), TOps.Load(ref b0, (nuint)(q + 3 * width)), d3);
                }

                for (; q < vectorDepth; q += width)
                    d0 = TOps.MultiplyAdd(TOps.Load(ref single, (nuint)q), TOps.Load(ref b0, (nuint)q), d0);
                float dot = TOps.Sum(TOps.Add(TOps.Add(d0, d1), TOps.Add(d2, d3)));
                for (; q < k; q++)
                    dot = MathF.FusedMultiplyAdd(Unsafe.Add(ref single, q), Unsafe.Add(ref b0, q), dot);
                ref float target = ref c[cOffset + i * ldc];
                target = accumulate ? target + dot : dot;
                continue;
            }

            ref float aRow = ref Unsafe.Add(ref aData, a.Offset + i * a.RowStride);
            TVec s0 = TOps.Zero, s1 = TOps.Zero, s2 = TOps.Zero, s3 = TOps.Zero;
            for (int p = 0; p < vectorDepth; p += width)
            {
                TVec x = TOps.Load(ref aRow, (nuint)p);
                s0 = TOps.MultiplyAdd(x, TOps.Load(ref b0, (nuint)p), s0);
                s1 = TOps.MultiplyAdd(x, TOps.Load(ref b1, (nuint)p), s1);
                s2 = TOps.MultiplyAdd(x, TOps.Load(ref b2, (nuint)p), s2);
                s3 = TOps.MultiplyAdd(x, TOps.Load(ref b3, (nuint)p), s3);
            }

            float t0 = TOps.Sum(s0), t1 = TOps.Sum(s1), t2 = TOps.Sum(s2), t3 = TOps.Sum(s3);
            for (int p = vectorDepth; p < k; p++)
            {
                float x = Unsafe.Add(ref aRow, p);
                t0 = MathF.FusedMultiplyAdd(x, Unsafe.Add(ref b0, p), t0);
                t1 = MathF.FusedMultiplyAdd(x, Unsafe.Add(ref b1, p), t1);
                t2 = MathF.FusedMultiplyAdd(x, Unsafe.Add(ref b2, p), t2);
                t3 = MathF.FusedMultiplyAdd(x, Unsafe.Add(ref b3, p), t3);
            }

            sums[0] = t0;
            sums[1] = t1;
            sums[2] = t2;
            sums[3] = t3;
            int row = cOffset + i * ldc;
            for (int j = 0; j < n; j++)
                c[row + j] = accumulate ? c[row + j] + sums[j] : sums[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TVec, TOps>(TVec sum, ref float cRow, int column, bool accumulate)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        if (accumulate)
            sum = TOps.Add(sum, TOps.Load(ref cRow, (nuint)column));
        TOps.Store(sum, ref cRow, (nuint)column);
    }

    /// <summary>The columns form's transposed result, per calling thread, grown on demand and reused.</summary>
    private static class ColumnsBuffer
    {
        [ThreadStatic]
        private static float[]? t_buffer;

        public static float[] ForCurrentThread(int size)
        {
            if (t_buffer is null || t_buffer.Length < size)
                t_buffer = new float[size];
            return t_buffer;
        }
    }
}
