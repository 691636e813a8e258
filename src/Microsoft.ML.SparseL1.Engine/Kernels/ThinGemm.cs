// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>
/// Products <c>C (+)= A·B</c> where C is thin, at most <see cref="MaxThinRows"/> rows or <see cref="MaxThinColumns"/>
/// columns (a network's output layer of 1 to 10 neurons; the first layer's gradient on a set of few features), or whose
/// depth is shallow (at most
/// <see cref="MaxShallowDepth"/>, C at least <see cref="MinShallowColumns"/> wide: the first layer's forward product on
/// few features), without the packed GEMM's panels.
/// </summary>
/// <remarks>
/// Why: <see cref="DenseGemm"/> copies both operands into panels and computes C in tiles of 8 x 32 (AVX-512), so a
/// 128 x 100 · 100 x 1 product (a regression network's output layer on a batch) paid for packing the whole 128 x 100
/// operand and for 32 times the multiply-adds it needed; on the small tabular sets these products were a large share of
/// a training step (docs/kernels.md, "Thin products", has the measurements behind every limit below).
/// <para>
/// Three forms: rows (<see cref="Rows{TVec, TOps}"/>): C with few rows, or a shallow product with a wide C, each row the
/// sum over the depth of B's rows scaled by that row of A (B's rows contiguous, copied so when small); columns: C with few columns and A's columns contiguous,
/// the rows form on the transposed product Cᵀ = Bᵀ·Aᵀ into a buffer then written into C; chains
/// (<see cref="Chains"/>): at most 2 columns of C, A row-major (the forward product by an output layer), one scalar
/// multiply-add chain per element, eight rows at a time.
/// </para>
/// <para>
/// Each element of C is computed exactly as the packed path computes it: the depth cut into the same blocks
/// (<see cref="DenseGemm.BlockDepth"/>), each block summed from zero by multiply-adds in depth order, and added to C. So
/// the result is the packed path's bit for bit, whichever path a product takes: skipping inactive neurons, the sparse
/// forward product and the position of a row in a scoring block stay exact. Threads take blocks of whole vectors of the
/// long side (of C's columns in the rows form, except blocks of 8 rows for a shallow product with at least as many rows
/// as columns; 8-row blocks in the chains). The scalar path (no hardware vectors) keeps the packed GEMM.
/// </para>
/// </remarks>
internal static class ThinGemm
{
    /// <summary>
    /// The most rows of C for the rows form: up to here it beats the packed GEMM; at 32 rows it was no faster for a
    /// 100-wide C, and the one-column C of an output layer on a batch of 32 would leave the chains form for slower scalar
    /// chains of two rows (docs/kernels.md, "Thin products"). Shallow products take the rows form at any number of rows
    /// (<see cref="MaxShallowDepth"/>).
    /// </summary>
    internal const int MaxThinRows = 16;

    /// <summary>
    /// A product of at most this depth takes the rows form whatever its rows, when C is at least
    /// <see cref="MinShallowColumns"/> wide: the first layer's forward product on a set of few features, the delta
    /// through a layer of few neurons, the first layer's gradient on a batch of 32. Up to this depth it beats the packed
    /// GEMM on AVX-512 and AVX2, on one thread and two; at depth 64 it was even on one thread and lost on two, deeper it
    /// loses, and so does a narrower C (docs/kernels.md, "Thin products").
    /// </summary>
    internal const int MaxShallowDepth = 32;

    /// <summary>The fewest columns of C for the rows form of a shallow product (see <see cref="MaxShallowDepth"/>).</summary>
    internal const int MinShallowColumns = 64;

    /// <summary>Rows per granule when threads split a shallow product by rows (the kernel takes rows in pairs).</summary>
    private const int ShallowRowGranule = 8;

    /// <summary>
    /// The most columns of C for the columns form (the first layer's weight gradient on up to this many features), each
    /// width up to it faster than the packed GEMM (docs/kernels.md, "Thin products").
    /// </summary>
    internal const int MaxThinColumns = 32;

    /// <summary>The most elements of B copied to make its rows contiguous (256 KiB).</summary>
    private const int MaxCopy = 1 << 16;

    /// <summary>
    /// The most columns of C computed by scalar chains when A's columns are not contiguous: one or two columns beat the
    /// packed GEMM, three were slower (docs/kernels.md, "Thin products").
    /// </summary>
    internal const int MaxChainColumns = 2;

    /// <summary>Rows of C per pass of <see cref="Chains"/>: eight scalar chains cover the FMA latency at two per cycle.</summary>
    private const int ChainRows = 8;

    /// <summary>Vectors of C per block: four independent multiply-add chains per row hide the FMA latency.</summary>
    private const int BlockVectors = 4;

    /// <summary>
    /// Computes the product and returns true if C is thin; returns false, having written nothing, otherwise (and on
    /// the scalar path, or for a depth of zero). The caller has checked the shapes.
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
        var form = FormOf(a, b);
        if (form == ThinForm.None)
            return false;
        int m = a.Rows, n = b.Columns, k = a.Columns;
        int threads = DenseGemm.ThreadsFor((long)m * n * k, maxThreads);
        int granule = BlockVectors * TOps.Count;
        if (form == ThinForm.Rows)
        {
            var right = RowContiguous(b, ref Buffers.ForCurrentThread().Operand);
            if (m <= MaxThinRows || m < n)
            {
                ParallelRanges.Run(n, granule, threads, (first, end) => Rows<TVec, TOps>(a, right, c, cOffset, ldc, accumulate, first, end));
                return true;
            }

            // A shallow product with at least as many rows as columns: threads take blocks of rows, each reading all of the
            // small B (by columns, a 100-wide C splits 64 + 36 between two threads on AVX-512, unevenly: slower than by
            // rows, docs/kernels.md).
            ParallelRanges.Run(m, ShallowRowGranule, threads, (first, end) => Rows<TVec, TOps>(
                new MatrixOperand(a.Data, a.Offset + first * a.RowStride, end - first, k, a.RowStride, a.ColumnStride), right, c, cOffset + first * ldc, ldc,
                accumulate, 0, n));
            return true;
        }

        if (form == ThinForm.Columns)
        {
            // Cᵀ (n x m) = Bᵀ·Aᵀ into the buffer (Aᵀ's rows are A's contiguous columns), by blocks of C's rows: C's old
            // values first when adding to them, so each element is summed onto C in the same order as on the packed path.
            var left = b.Transpose();
            var right = a.Transpose();
            float[] transposedC = Buffers.Grow(ref Buffers.ForCurrentThread().Result, n * m);
            // Both copies go through the 8 x 8 register transpose: written back element by element, the columns form lost
            // most of its gain (docs/kernels.md, "Thin products").
            ParallelRanges.Run(m, granule, threads, (first, end) =>
            {
                if (accumulate)
                {
                    GemmPackingTranspose.Transpose(c.AsSpan(cOffset + first * ldc, (end - first - 1) * ldc + n), ldc, end - first, n,
                        transposedC.AsSpan(first), m);
                }

                Rows<TVec, TOps>(left, right, transposedC, 0, m, accumulate, first, end);
                GemmPackingTranspose.Transpose(transposedC.AsSpan(first, (n - 1) * m + end - first), m, n, end - first,
                    c.AsSpan(cOffset + first * ldc), ldc);
            });
            return true;
        }

        ParallelRanges.Run(m, ChainRows, threads, (first, end) => Chains(a, b, c, cOffset, ldc, accumulate, first, end));
        return true;
    }

    /// <summary>
    /// The form a product takes on a vector path (the scalar path always packs): rows for few rows of C or a shallow
    /// depth with a wide C (B copied to contiguous rows when it has not, unless that copy is large), columns for few
    /// columns when A's columns are contiguous, chains for one or two columns otherwise, and none (the packed GEMM) for the rest or a depth of zero.
    /// </summary>
    internal static ThinForm FormOf(in MatrixOperand a, in MatrixOperand b)
    {
        int m = a.Rows, n = b.Columns, k = a.Columns;
        if (k == 0)
            return ThinForm.None;
        if (m <= MaxThinRows || (k <= MaxShallowDepth && n >= MinShallowColumns))
        {
            // A large B to copy is left to the packed path, which packs it in cache-sized blocks instead of a whole copy
            // kept per thread.
            return b.ColumnStride != 1 && n != 1 && (long)k * n > MaxCopy ? ThinForm.None : ThinForm.Rows;
        }

        if (n <= MaxThinColumns && a.RowStride == 1)
            return ThinForm.Columns;
        return n <= MaxChainColumns ? ThinForm.Chains : ThinForm.None;
    }

    /// <summary>The operand itself when its rows are contiguous; otherwise a row-major copy of it in <paramref name="buffer"/>.</summary>
    private static MatrixOperand RowContiguous(MatrixOperand x, ref float[] buffer)
    {
        if (x.ColumnStride == 1 || x.Columns == 1)
            return x;
        float[] copy = Buffers.Grow(ref buffer, x.Rows * x.Columns);
        if (x.RowStride == 1)
        {
            // Column-major: its columns are the rows of a row-major matrix, transposed in 8x8 register blocks.
            GemmPackingTranspose.Transpose(x.Data.AsSpan(x.Offset, (x.Columns - 1) * x.ColumnStride + x.Rows), x.ColumnStride, x.Columns, x.Rows, copy, x.Columns);
        }
        else
        {
            for (int i = 0; i < x.Rows; i++)
            {
                for (int j = 0; j < x.Columns; j++)
                    copy[i * x.Columns + j] = x[i, j];
            }
        }

        return MatrixOperand.RowMajor(copy, x.Rows, x.Columns);
    }

    /// <summary>
    /// Columns [<paramref name="firstColumn"/>, <paramref name="endColumn"/>) of every row of C: C(i, j) (+)= Σ_p A(i, p)·B(p, j)
    /// (B's rows contiguous), the depth in the packed path's blocks, each summed from zero in depth order and added to C.
    /// </summary>
    private static void Rows<TVec, TOps>(MatrixOperand a, MatrixOperand b, float[] c, int cOffset, int ldc, bool accumulate, int firstColumn, int endColumn)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int k = a.Columns, blockDepth = DenseGemm.BlockDepth(k);
        for (int depthStart = 0; depthStart < k; depthStart += blockDepth)
        {
            int depth = Math.Min(blockDepth, k - depthStart);
            bool addToC = accumulate || depthStart > 0;
            var aBlock = new MatrixOperand(a.Data, a.Offset + depthStart * a.ColumnStride, a.Rows, depth, a.RowStride, a.ColumnStride);
            var bBlock = new MatrixOperand(b.Data, b.Offset + depthStart * b.RowStride, depth, b.Columns, b.RowStride, b.ColumnStride);
            int j = RowsBlocks<TVec, TOps>(aBlock, bBlock, c, cOffset, ldc, addToC, firstColumn, endColumn);
            if (endColumn - j >= TOps.Count)
                RowsTail<TVec, TOps>(aBlock, bBlock, c, cOffset, ldc, addToC, j, endColumn);
            else if (j < endColumn)
                RowsRemainder<TVec, TOps>(aBlock, bBlock, c, cOffset, ldc, addToC, j, endColumn);
        }
    }

    /// <summary>The full blocks of 4 vectors of columns; returns the first column not done.</summary>
    private static int RowsBlocks<TVec, TOps>(MatrixOperand a, MatrixOperand b, float[] c, int cOffset, int ldc, bool addToC, int firstColumn, int endColumn)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        nuint width = (nuint)TOps.Count;
        int j = firstColumn;
        // Column blocks outside, rows of C inside: a block of B (depth x 4 vectors) is read from memory once for all rows.
        for (; j + BlockVectors * TOps.Count <= endColumn; j += BlockVectors * TOps.Count)
            RowPairs<TVec, TOps>(a, b, c, cOffset, ldc, addToC, j, BlockVectors, width, 2 * width, 3 * width);
        return j;
    }

    /// <summary>
    /// The last columns, fewer than a block but at least a vector: whole vectors only, the last one ending at
    /// <paramref name="endColumn"/> and so overlapping the one before it, two rows of C at a time.
    /// </summary>
    /// <remarks>
    /// Why: the 36 columns left of a 100-wide row as two vectors and a 4-lane vector (<see cref="RowsRemainder{TVec, TOps}"/>)
    /// were markedly slower on the output layers' and the first layer's thin products (docs/kernels.md, "Thin products").
    /// A lane of the overlap computes the same multiply-adds in the same order as the vector before it did,
    /// so it gets the same sum (<see cref="TailVectors"/>). The overlap stays inside these columns: the blocks before them
    /// are already stored.
    /// </remarks>
    private static void RowsTail<TVec, TOps>(MatrixOperand a, MatrixOperand b, float[] c, int cOffset, int ldc, bool addToC, int firstColumn, int endColumn)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        var tail = TailVectors.Of(endColumn - firstColumn, TOps.Count);
        RowPairs<TVec, TOps>(a, b, c, cOffset, ldc, addToC, firstColumn, tail.Count, tail.O1, tail.O2, tail.O3);
    }

    /// <summary>
    /// Every row of C, two at a time (an odd last row paired with itself, its copy not stored), at 1 to 4 vectors of
    /// columns: at <paramref name="column"/> and at the offsets <paramref name="o1"/>, <paramref name="o2"/>,
    /// <paramref name="o3"/> from it (the first <paramref name="vectors"/> of them; they may overlap). Each load of B
    /// feeds two multiply-adds, and up to eight chains keep the FMA units busy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowPairs<TVec, TOps>(MatrixOperand a, MatrixOperand b, float[] c, int cOffset, int ldc, bool addToC, int column, int vectors,
        nuint o1, nuint o2, nuint o3)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int k = a.Columns;
        nuint aStride = (nuint)a.ColumnStride, bRowStride = (nuint)b.RowStride;
        ref float aData = ref MemoryMarshal.GetArrayDataReference(a.Data);
        ref float bColumn = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b.Data), b.Offset + column);
        ref float cData = ref MemoryMarshal.GetArrayDataReference(c);
        for (int i = 0; i < a.Rows; i += 2)
        {
            bool pair = i + 1 < a.Rows;
            ref float aRow = ref Unsafe.Add(ref aData, a.Offset + i * a.RowStride);
            ref float aNext = ref pair ? ref Unsafe.Add(ref aRow, a.RowStride) : ref aRow;
            TVec s0 = TOps.Zero, s1 = TOps.Zero, s2 = TOps.Zero, s3 = TOps.Zero;
            TVec t0 = TOps.Zero, t1 = TOps.Zero, t2 = TOps.Zero, t3 = TOps.Zero;
            for (int p = 0; p < k; p++)
            {
                TVec x = TOps.Broadcast(Unsafe.Add(ref aRow, (nuint)p * aStride));
                TVec y = TOps.Broadcast(Unsafe.Add(ref aNext, (nuint)p * aStride));
                ref float bRow = ref Unsafe.Add(ref bColumn, (nuint)p * bRowStride);
                TVec b0 = TOps.Load(ref bRow, 0), b1 = TOps.Load(ref bRow, o1);
                s0 = TOps.MultiplyAdd(x, b0, s0);
                t0 = TOps.MultiplyAdd(y, b0, t0);
                s1 = TOps.MultiplyAdd(x, b1, s1);
                t1 = TOps.MultiplyAdd(y, b1, t1);
                if (vectors > 2)
                {
                    TVec b2 = TOps.Load(ref bRow, o2);
                    s2 = TOps.MultiplyAdd(x, b2, s2);
                    t2 = TOps.MultiplyAdd(y, b2, t2);
                }

                if (vectors > 3)
                {
                    TVec b3 = TOps.Load(ref bRow, o3);
                    s3 = TOps.MultiplyAdd(x, b3, s3);
                    t3 = TOps.MultiplyAdd(y, b3, t3);
                }
            }

            ref float cRow = ref Unsafe.Add(ref cData, cOffset + i * ldc + column);
            StoreRowSums<TVec, TOps>(ref cRow, addToC, vectors, o1, o2, o3, s0, s1, s2, s3);
            if (pair)
                StoreRowSums<TVec, TOps>(ref Unsafe.Add(ref cRow, ldc), addToC, vectors, o1, o2, o3, t0, t1, t2, t3);
        }
    }

    /// <summary>
    /// Stores (or adds) one row's sums of <see cref="RowPairs{TVec, TOps}"/> (vector 0 at offset 0, then o1, o2, o3 as
    /// many as there are vectors): every vector of C read before any is written, so that an overlap is added once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRowSums<TVec, TOps>(ref float cRow, bool addToC, int vectors, nuint o1, nuint o2, nuint o3, TVec s0, TVec s1, TVec s2, TVec s3)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        if (addToC)
        {
            TVec c0 = TOps.Load(ref cRow, 0), c1 = TOps.Load(ref cRow, o1);
            TVec c2 = vectors > 2 ? TOps.Load(ref cRow, o2) : c1, c3 = vectors > 3 ? TOps.Load(ref cRow, o3) : c1;
            s0 = TOps.Add(c0, s0);
            s1 = TOps.Add(c1, s1);
            s2 = TOps.Add(c2, s2);
            s3 = TOps.Add(c3, s3);
        }

        TOps.Store(s0, ref cRow, 0);
        // One vector: o1 is 0 and s1 the same sums as s0.
        if (vectors > 1)
            TOps.Store(s1, ref cRow, o1);
        if (vectors > 2)
            TOps.Store(s2, ref cRow, o2);
        if (vectors > 3)
            TOps.Store(s3, ref cRow, o3);
    }

    /// <summary>
    /// The last columns when fewer than a vector remain (the 4 left of a 100-wide row on AVX2, an output layer of 3):
    /// up to three 4-lane vectors (when the vectors are wider), then up to three scalars, two rows of C at a time, all in
    /// one pass over the depth so that their multiply-add chains overlap (one chain at a time waited on the FMA latency:
    /// the 4 columns left of a 100-wide row cost as much as the 96 before them). An odd last row runs as a pair with
    /// itself, its second copy not stored. Every lane does the multiply-adds of a full block (the scalar
    /// <see cref="float.MultiplyAddEstimate"/> fuses where the vector one does).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsRemainder<TVec, TOps>(MatrixOperand a, MatrixOperand b, float[] c, int cOffset, int ldc, bool addToC, int firstColumn, int endColumn)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int k = a.Columns;
        int quarters = TOps.Count > 4 ? (endColumn - firstColumn) / 4 : 0;
        int scalarStart = 4 * quarters;
        int scalars = endColumn - firstColumn - scalarStart;
        nuint aStride = (nuint)a.ColumnStride, bRowStride = (nuint)b.RowStride, bColumnStride = (nuint)b.ColumnStride;
        ref float aData = ref MemoryMarshal.GetArrayDataReference(a.Data);
        ref float bColumn = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(b.Data), b.Offset + firstColumn * b.ColumnStride);
        ref float cData = ref MemoryMarshal.GetArrayDataReference(c);
        for (int i = 0; i < a.Rows; i += 2)
        {
            bool pair = i + 1 < a.Rows;
            ref float aRow = ref Unsafe.Add(ref aData, a.Offset + i * a.RowStride);
            ref float aNext = ref pair ? ref Unsafe.Add(ref aRow, a.RowStride) : ref aRow;
            Vector128<float> q0 = Vector128<float>.Zero, q1 = Vector128<float>.Zero, q2 = Vector128<float>.Zero;
            Vector128<float> r0 = Vector128<float>.Zero, r1 = Vector128<float>.Zero, r2 = Vector128<float>.Zero;
            float t0 = 0, t1 = 0, t2 = 0, u0 = 0, u1 = 0, u2 = 0;
            for (int p = 0; p < k; p++)
            {
                float x = Unsafe.Add(ref aRow, (nuint)p * aStride), y = Unsafe.Add(ref aNext, (nuint)p * aStride);
                ref float bRow = ref Unsafe.Add(ref bColumn, (nuint)p * bRowStride);
                if (quarters > 0)
                {
                    Vector128<float> xq = Vector128.Create(x), yq = Vector128.Create(y);
                    var b0 = Simd128.Load(ref bRow, 0);
                    q0 = Simd128.MultiplyAdd(xq, b0, q0);
                    r0 = Simd128.MultiplyAdd(yq, b0, r0);
                    if (quarters > 1)
                    {
                        var b1 = Simd128.Load(ref bRow, 4);
                        q1 = Simd128.MultiplyAdd(xq, b1, q1);
                        r1 = Simd128.MultiplyAdd(yq, b1, r1);
                    }

                    if (quarters > 2)
                    {
                        var b2 = Simd128.Load(ref bRow, 8);
                        q2 = Simd128.MultiplyAdd(xq, b2, q2);
                        r2 = Simd128.MultiplyAdd(yq, b2, r2);
                    }
                }

                if (scalars > 0)
                {
                    float b0 = Unsafe.Add(ref bRow, (nuint)scalarStart * bColumnStride);
                    t0 = float.MultiplyAddEstimate(x, b0, t0);
                    u0 = float.MultiplyAddEstimate(y, b0, u0);
                    if (scalars > 1)
                    {
                        float b1 = Unsafe.Add(ref bRow, (nuint)(scalarStart + 1) * bColumnStride);
                        t1 = float.MultiplyAddEstimate(x, b1, t1);
                        u1 = float.MultiplyAddEstimate(y, b1, u1);
                    }

                    if (scalars > 2)
                    {
                        float b2 = Unsafe.Add(ref bRow, (nuint)(scalarStart + 2) * bColumnStride);
                        t2 = float.MultiplyAddEstimate(x, b2, t2);
                        u2 = float.MultiplyAddEstimate(y, b2, u2);
                    }
                }
            }

            ref float cRow = ref Unsafe.Add(ref cData, cOffset + i * ldc + firstColumn);
            StoreRemainderRow(ref cRow, addToC, quarters, scalarStart, scalars, q0, q1, q2, t0, t1, t2);
            if (pair)
                StoreRemainderRow(ref Unsafe.Add(ref cRow, ldc), addToC, quarters, scalarStart, scalars, r0, r1, r2, u0, u1, u2);
        }
    }

    /// <summary>Stores (or adds) one row's sums of <see cref="RowsRemainder{TVec, TOps}"/>: those of its 4-lane vectors and scalars in use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRemainderRow(ref float cRow, bool addToC, int quarters, int scalarStart, int scalars,
        Vector128<float> q0, Vector128<float> q1, Vector128<float> q2, float t0, float t1, float t2)
    {
        if (quarters > 0)
            Store<Vector128<float>, Simd128>(q0, ref cRow, 0, addToC);
        if (quarters > 1)
            Store<Vector128<float>, Simd128>(q1, ref cRow, 4, addToC);
        if (quarters > 2)
            Store<Vector128<float>, Simd128>(q2, ref cRow, 8, addToC);
        if (scalars > 0)
            StoreScalar(t0, ref cRow, scalarStart, addToC);
        if (scalars > 1)
            StoreScalar(t1, ref cRow, scalarStart + 1, addToC);
        if (scalars > 2)
            StoreScalar(t2, ref cRow, scalarStart + 2, addToC);
    }

    /// <summary>
    /// Rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) of a C of at most <see cref="MaxChainColumns"/>
    /// columns whose A has no contiguous columns (the forward product by an output layer: A is the row-major
    /// activations): each element one scalar multiply-add chain over the depth, <see cref="ChainRows"/> rows at a time
    /// so that the chains overlap. A copy of A to make the columns form apply cost more than the product, and lane-parallel
    /// dot products would not give the packed path's bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Chains(MatrixOperand a, MatrixOperand b, float[] c, int cOffset, int ldc, bool accumulate, int firstRow, int endRow)
    {
        int k = a.Columns, blockDepth = DenseGemm.BlockDepth(k);
        nuint aStride = (nuint)a.ColumnStride, bStride = (nuint)b.RowStride;
        ref float aData = ref MemoryMarshal.GetArrayDataReference(a.Data);
        ref float bData = ref MemoryMarshal.GetArrayDataReference(b.Data);
        ref float cData = ref MemoryMarshal.GetArrayDataReference(c);
        for (int depthStart = 0; depthStart < k; depthStart += blockDepth)
        {
            int depth = Math.Min(blockDepth, k - depthStart);
            bool addToC = accumulate || depthStart > 0;
            for (int j = 0; j < b.Columns; j++)
            {
                ref float bColumn = ref Unsafe.Add(ref bData, b.Offset + depthStart * b.RowStride + j * b.ColumnStride);
                int i = firstRow;
                for (; i + ChainRows <= endRow; i += ChainRows)
                {
                    ref float a0 = ref Unsafe.Add(ref aData, a.Offset + i * a.RowStride + depthStart * a.ColumnStride);
                    nint rowStride = a.RowStride;
                    float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
                    for (int p = 0; p < depth; p++)
                    {
                        float x = Unsafe.Add(ref bColumn, (nuint)p * bStride);
                        ref float column = ref Unsafe.Add(ref a0, (nuint)p * aStride);
                        s0 = float.MultiplyAddEstimate(column, x, s0);
                        s1 = float.MultiplyAddEstimate(Unsafe.Add(ref column, rowStride), x, s1);
                        s2 = float.MultiplyAddEstimate(Unsafe.Add(ref column, 2 * rowStride), x, s2);
                        s3 = float.MultiplyAddEstimate(Unsafe.Add(ref column, 3 * rowStride), x, s3);
                        s4 = float.MultiplyAddEstimate(Unsafe.Add(ref column, 4 * rowStride), x, s4);
                        s5 = float.MultiplyAddEstimate(Unsafe.Add(ref column, 5 * rowStride), x, s5);
                        s6 = float.MultiplyAddEstimate(Unsafe.Add(ref column, 6 * rowStride), x, s6);
                        s7 = float.MultiplyAddEstimate(Unsafe.Add(ref column, 7 * rowStride), x, s7);
                    }

                    ref float cTop = ref Unsafe.Add(ref cData, cOffset + i * ldc + j);
                    StoreScalar(s0, ref cTop, 0, addToC);
                    StoreScalar(s1, ref cTop, ldc, addToC);
                    StoreScalar(s2, ref cTop, 2 * ldc, addToC);
                    StoreScalar(s3, ref cTop, 3 * ldc, addToC);
                    StoreScalar(s4, ref cTop, 4 * ldc, addToC);
                    StoreScalar(s5, ref cTop, 5 * ldc, addToC);
                    StoreScalar(s6, ref cTop, 6 * ldc, addToC);
                    StoreScalar(s7, ref cTop, 7 * ldc, addToC);
                }

                for (; i < endRow; i++)
                {
                    ref float row = ref Unsafe.Add(ref aData, a.Offset + i * a.RowStride + depthStart * a.ColumnStride);
                    float s = 0;
                    for (int p = 0; p < depth; p++)
                        s = float.MultiplyAddEstimate(Unsafe.Add(ref row, (nuint)p * aStride), Unsafe.Add(ref bColumn, (nuint)p * bStride), s);
                    StoreScalar(s, ref Unsafe.Add(ref cData, cOffset + i * ldc + j), 0, addToC);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TVec, TOps>(TVec sum, ref float cRow, int column, bool addToC)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        if (addToC)
            sum = TOps.Add(TOps.Load(ref cRow, (nuint)column), sum);
        TOps.Store(sum, ref cRow, (nuint)column);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreScalar(float sum, ref float cRow, int column, bool addToC)
    {
        ref float target = ref Unsafe.Add(ref cRow, column);
        target = addToC ? target + sum : sum;
    }

    /// <summary>Per calling thread: a transposed operand and the transposed result, grown on demand and reused.</summary>
    private sealed class Buffers
    {
        // Thread-static: t_ (.editorconfig).
#pragma warning disable IDE1006
        [ThreadStatic]
        private static Buffers? t_instance;
#pragma warning restore IDE1006

        public float[] Operand = [];

        public float[] Result = [];

        public static Buffers ForCurrentThread() => t_instance ??= new Buffers();

        public static float[] Grow(ref float[] buffer, int size)
        {
            if (buffer.Length < size)
                buffer = new float[size];
            return buffer;
        }
    }
}

/// <summary>How <see cref="ThinGemm"/> computes a product (see <see cref="ThinGemm.FormOf"/>).</summary>
internal enum ThinForm
{
    /// <summary>Not thin: the packed GEMM.</summary>
    None,

    /// <summary>Few rows of C: sums of B's rows.</summary>
    Rows,

    /// <summary>Few columns of C, A's columns contiguous: the rows form on the transposed product.</summary>
    Columns,

    /// <summary>One or two columns of C, A row-major: one scalar multiply-add chain per element.</summary>
    Chains,
}
