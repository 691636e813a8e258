// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>A register-blocked kernel computing one <c>RowTile</c> x <c>ColumnTile</c> tile of C.</summary>
internal interface IGemmMicroKernel
{
    /// <summary>Rows of C per call (MR); the packed A panels are this many rows wide.</summary>
    static abstract int RowTile { get; }

    /// <summary>Columns of C per call (NR); the packed B panels are this many columns wide.</summary>
    static abstract int ColumnTile { get; }

    /// <summary>
    /// C tile (+)= packed A panel (RowTile x depth) · packed B panel (depth x ColumnTile); only the
    /// top-left <paramref name="rows"/> x <paramref name="columns"/> of the tile is written.
    /// </summary>
    static abstract void Run(float[] packedA, int aOffset, float[] packedB, int bOffset, int depth,
        float[] c, int cIndex, int ldc, int rows, int columns, bool accumulate);
}

/// <summary>
/// The vector micro-kernel for any width: <see cref="RowTile"/> rows x 2 vectors of C in accumulators, one broadcast
/// of A per row and two loads of B per depth step. Written once for Vector128/256/512 through <see cref="ISimdOps{TVec}"/>;
/// the JIT specialises each width and folds the <see cref="RowTile"/> tests away.
/// </summary>
/// <remarks>
/// AVX-512 has 32 vector registers: 8 x 2 = 16 accumulators plus two B vectors and a broadcast fit, and 8 rows divide
/// the batch of 128 exactly (6 rows leave a 2-row tile doing a full tile's work). AVX2 and SSE have 16 registers, where
/// 6 x 2 = 12 accumulators is the largest tile that does not spill. An edge panel at most one vector wide (the last 12
/// of 300 columns, the last 4 of 100) runs a one-vector loop instead of multiplying zero padding.
/// </remarks>
internal readonly struct VectorMicroKernel<TVec, TOps> : IGemmMicroKernel
    where TVec : struct
    where TOps : ISimdOps<TVec>
{
    public static int RowTile => TOps.Count >= 16 ? 8 : 6;

    public static int ColumnTile => 2 * TOps.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float[] packedA, int aOffset, float[] packedB, int bOffset, int depth,
        float[] c, int cIndex, int ldc, int rows, int columns, bool accumulate)
    {
        int width = TOps.Count;
        // RowTile's test written out: a JIT-time constant the kernel folds without spending its inlining budget on a
        // property call (an un-inlined call after the loop makes the JIT spill every accumulator on every step).
        bool eightRows = TOps.Count >= 16;
        int rowTile = eightRows ? 8 : 6;
        if (columns <= width)
        {
            RunOneVector(packedA, aOffset, packedB, bOffset, depth, c, cIndex, ldc, rows, columns, accumulate);
            return;
        }

        ref float a = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(packedA), aOffset);
        ref float b = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(packedB), bOffset);
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c20 = TOps.Zero, c21 = TOps.Zero;
        TVec c30 = TOps.Zero, c31 = TOps.Zero, c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        TVec c60 = TOps.Zero, c61 = TOps.Zero, c70 = TOps.Zero, c71 = TOps.Zero;
        for (int p = 0; p < depth; p++)
        {
            TVec b0 = TOps.Load(ref b, 0);
            TVec b1 = TOps.Load(ref b, (nuint)width);
            TVec x = TOps.Broadcast(a);
            c00 = TOps.MultiplyAdd(x, b0, c00);
            c01 = TOps.MultiplyAdd(x, b1, c01);
            x = TOps.Broadcast(Unsafe.Add(ref a, 1));
            c10 = TOps.MultiplyAdd(x, b0, c10);
            c11 = TOps.MultiplyAdd(x, b1, c11);
            x = TOps.Broadcast(Unsafe.Add(ref a, 2));
            c20 = TOps.MultiplyAdd(x, b0, c20);
            c21 = TOps.MultiplyAdd(x, b1, c21);
            x = TOps.Broadcast(Unsafe.Add(ref a, 3));
            c30 = TOps.MultiplyAdd(x, b0, c30);
            c31 = TOps.MultiplyAdd(x, b1, c31);
            x = TOps.Broadcast(Unsafe.Add(ref a, 4));
            c40 = TOps.MultiplyAdd(x, b0, c40);
            c41 = TOps.MultiplyAdd(x, b1, c41);
            x = TOps.Broadcast(Unsafe.Add(ref a, 5));
            c50 = TOps.MultiplyAdd(x, b0, c50);
            c51 = TOps.MultiplyAdd(x, b1, c51);
            if (eightRows)
            {
                x = TOps.Broadcast(Unsafe.Add(ref a, 6));
                c60 = TOps.MultiplyAdd(x, b0, c60);
                c61 = TOps.MultiplyAdd(x, b1, c61);
                x = TOps.Broadcast(Unsafe.Add(ref a, 7));
                c70 = TOps.MultiplyAdd(x, b0, c70);
                c71 = TOps.MultiplyAdd(x, b1, c71);
            }

            a = ref Unsafe.Add(ref a, rowTile);
            b = ref Unsafe.Add(ref b, 2 * width);
        }

        // A full tile goes straight to C; an edge tile is spilled to a stack tile and its valid part copied.
        bool direct = rows == rowTile && columns == 2 * width && cIndex + (rowTile - 1) * ldc + columns <= c.Length;
        Span<float> tile = stackalloc float[direct ? 0 : 8 * 2 * 16];
        ref float destination = ref direct ? ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(c), cIndex) : ref MemoryMarshal.GetReference(tile);
        int stride = direct ? ldc : 2 * width;
        bool add = direct && accumulate;
        StoreRow(ref destination, c00, c01, width, add);
        StoreRow(ref Unsafe.Add(ref destination, stride), c10, c11, width, add);
        StoreRow(ref Unsafe.Add(ref destination, 2 * stride), c20, c21, width, add);
        StoreRow(ref Unsafe.Add(ref destination, 3 * stride), c30, c31, width, add);
        StoreRow(ref Unsafe.Add(ref destination, 4 * stride), c40, c41, width, add);
        StoreRow(ref Unsafe.Add(ref destination, 5 * stride), c50, c51, width, add);
        if (eightRows)
        {
            StoreRow(ref Unsafe.Add(ref destination, 6 * stride), c60, c61, width, add);
            StoreRow(ref Unsafe.Add(ref destination, 7 * stride), c70, c71, width, add);
        }

        if (!direct)
            ScalarMicroKernel.CopyTile(tile, stride, c, cIndex, ldc, rows, columns, accumulate);
    }

    /// <summary>The tile for a panel whose valid columns fit in one vector: half the FMAs of <see cref="Run"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunOneVector(float[] packedA, int aOffset, float[] packedB, int bOffset, int depth,
        float[] c, int cIndex, int ldc, int rows, int columns, bool accumulate)
    {
        int width = TOps.Count;
        bool eightRows = TOps.Count >= 16;
        int rowTile = eightRows ? 8 : 6;
        ref float a = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(packedA), aOffset);
        ref float b = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(packedB), bOffset);
        TVec c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero, c4 = TOps.Zero, c5 = TOps.Zero, c6 = TOps.Zero, c7 = TOps.Zero;
        for (int p = 0; p < depth; p++)
        {
            TVec b0 = TOps.Load(ref b, 0);
            c0 = TOps.MultiplyAdd(TOps.Broadcast(a), b0, c0);
            c1 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a, 1)), b0, c1);
            c2 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a, 2)), b0, c2);
            c3 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a, 3)), b0, c3);
            c4 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a, 4)), b0, c4);
            c5 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a, 5)), b0, c5);
            if (eightRows)
            {
                c6 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a, 6)), b0, c6);
                c7 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a, 7)), b0, c7);
            }

            a = ref Unsafe.Add(ref a, rowTile);
            b = ref Unsafe.Add(ref b, 2 * width);
        }

        Span<float> tile = stackalloc float[8 * 16];
        ref float t = ref MemoryMarshal.GetReference(tile);
        TOps.Store(c0, ref t, 0);
        TOps.Store(c1, ref t, (nuint)width);
        TOps.Store(c2, ref t, (nuint)(2 * width));
        TOps.Store(c3, ref t, (nuint)(3 * width));
        TOps.Store(c4, ref t, (nuint)(4 * width));
        TOps.Store(c5, ref t, (nuint)(5 * width));
        if (eightRows)
        {
            TOps.Store(c6, ref t, (nuint)(6 * width));
            TOps.Store(c7, ref t, (nuint)(7 * width));
        }

        ScalarMicroKernel.CopyTile(tile, width, c, cIndex, ldc, rows, columns, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(ref float destination, TVec low, TVec high, int width, bool accumulate)
    {
        if (accumulate)
        {
            low = TOps.Add(low, TOps.Load(ref destination, 0));
            high = TOps.Add(high, TOps.Load(ref destination, (nuint)width));
        }

        TOps.Store(low, ref destination, 0);
        TOps.Store(high, ref destination, (nuint)width);
    }
}

/// <summary>The scalar fallback micro-kernel (no hardware vectors), same packing, 6 x 8 tiles.</summary>
internal readonly struct ScalarMicroKernel : IGemmMicroKernel
{
    public static int RowTile => 6;

    public static int ColumnTile => 8;

    public static void Run(float[] packedA, int aOffset, float[] packedB, int bOffset, int depth,
        float[] c, int cIndex, int ldc, int rows, int columns, bool accumulate)
    {
        const int Tile = 8;
        Span<float> sums = stackalloc float[RowTile * Tile];
        sums.Clear();
        for (int p = 0; p < depth; p++)
        {
            int aRow = aOffset + p * RowTile;
            int bRow = bOffset + p * Tile;
            for (int r = 0; r < RowTile; r++)
            {
                float x = packedA[aRow + r];
                for (int j = 0; j < Tile; j++)
                    sums[r * Tile + j] = MathF.FusedMultiplyAdd(x, packedB[bRow + j], sums[r * Tile + j]);
            }
        }

        CopyTile(sums, Tile, c, cIndex, ldc, rows, columns, accumulate);
    }

    /// <summary>Writes (or adds) the valid <paramref name="rows"/> x <paramref name="columns"/> part of a tile into C.</summary>
    public static void CopyTile(ReadOnlySpan<float> tile, int tileStride, float[] c, int cIndex, int ldc, int rows, int columns, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            var source = tile.Slice(r * tileStride, columns);
            var destination = c.AsSpan(cIndex + r * ldc, columns);
            if (accumulate)
            {
                for (int j = 0; j < columns; j++)
                    destination[j] += source[j];
            }
            else
            {
                source.CopyTo(destination);
            }
        }
    }
}
