// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>A register-blocked kernel computing one <see cref="DenseGemm.RowTile"/> x <c>ColumnTile</c> tile of C.</summary>
internal interface IGemmMicroKernel
{
    /// <summary>Columns of C per call (NR).</summary>
    static abstract int ColumnTile { get; }

    /// <summary>
    /// C tile (+)= packed A panel (RowTile x depth) · packed B panel (depth x ColumnTile); only the
    /// top-left <paramref name="rows"/> x <paramref name="columns"/> of the tile is written.
    /// </summary>
    static abstract void Run(float[] packedA, int aOffset, float[] packedB, int bOffset, int depth,
        float[] c, int cIndex, int ldc, int rows, int columns, bool accumulate);
}

/// <summary>
/// The vector micro-kernel for any width: 6 rows x 2 vectors of C in 12 accumulators, one broadcast
/// of A and two loads of B per depth step. Written once for Vector128/256/512 through <see cref="ISimdOps{TVec}"/>;
/// the JIT specialises each width.
/// </summary>
internal readonly struct VectorMicroKernel<TVec, TOps> : IGemmMicroKernel
    where TVec : struct
    where TOps : ISimdOps<TVec>
{
    public static int ColumnTile => 2 * TOps.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float[] packedA, int aOffset, float[] packedB, int bOffset, int depth,
        float[] c, int cIndex, int ldc, int rows, int columns, bool accumulate)
    {
        int width = TOps.Count;
        ref float a = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(packedA), aOffset);
        ref float b = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(packedB), bOffset);
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c20 = TOps.Zero, c21 = TOps.Zero;
        TVec c30 = TOps.Zero, c31 = TOps.Zero, c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
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
            a = ref Unsafe.Add(ref a, DenseGemm.RowTile);
            b = ref Unsafe.Add(ref b, 2 * width);
        }

        if (rows == DenseGemm.RowTile && columns == 2 * width && cIndex + (DenseGemm.RowTile - 1) * ldc + columns <= c.Length)
        {
            ref float destination = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(c), cIndex);
            StoreRow(ref destination, c00, c01, width, accumulate);
            StoreRow(ref Unsafe.Add(ref destination, ldc), c10, c11, width, accumulate);
            StoreRow(ref Unsafe.Add(ref destination, 2 * ldc), c20, c21, width, accumulate);
            StoreRow(ref Unsafe.Add(ref destination, 3 * ldc), c30, c31, width, accumulate);
            StoreRow(ref Unsafe.Add(ref destination, 4 * ldc), c40, c41, width, accumulate);
            StoreRow(ref Unsafe.Add(ref destination, 5 * ldc), c50, c51, width, accumulate);
            return;
        }

        // Edge tile: spill to a stack tile, then copy the valid part.
        Span<float> tile = stackalloc float[DenseGemm.RowTile * 2 * 16];
        int tileStride = 2 * width;
        ref float t = ref MemoryMarshal.GetReference(tile);
        StoreRow(ref t, c00, c01, width, false);
        StoreRow(ref Unsafe.Add(ref t, tileStride), c10, c11, width, false);
        StoreRow(ref Unsafe.Add(ref t, 2 * tileStride), c20, c21, width, false);
        StoreRow(ref Unsafe.Add(ref t, 3 * tileStride), c30, c31, width, false);
        StoreRow(ref Unsafe.Add(ref t, 4 * tileStride), c40, c41, width, false);
        StoreRow(ref Unsafe.Add(ref t, 5 * tileStride), c50, c51, width, false);
        ScalarMicroKernel.CopyTile(tile, tileStride, c, cIndex, ldc, rows, columns, accumulate);
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

/// <summary>The scalar fallback micro-kernel (no hardware vectors), same packing, 8 columns per tile.</summary>
internal readonly struct ScalarMicroKernel : IGemmMicroKernel
{
    public static int ColumnTile => 8;

    public static void Run(float[] packedA, int aOffset, float[] packedB, int bOffset, int depth,
        float[] c, int cIndex, int ldc, int rows, int columns, bool accumulate)
    {
        const int Tile = 8;
        Span<float> sums = stackalloc float[DenseGemm.RowTile * Tile];
        sums.Clear();
        for (int p = 0; p < depth; p++)
        {
            int aRow = aOffset + p * DenseGemm.RowTile;
            int bRow = bOffset + p * Tile;
            for (int r = 0; r < DenseGemm.RowTile; r++)
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
