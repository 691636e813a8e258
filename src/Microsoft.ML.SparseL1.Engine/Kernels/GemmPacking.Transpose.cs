// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>
/// The packing cases that read across the operand's contiguous direction (a transposed weight matrix, a row-major
/// A): 8x8 blocks are loaded as 8 vectors, transposed in registers and stored as 8 vectors, instead of 64 scalar
/// strided copies. x86 AVX only; the callers fall back to the scalar loops for edges and other hardware.
/// </summary>
internal static class GemmPackingTranspose
{
    /// <summary>Whether the vector transposes may be used on this path.</summary>
    public static bool IsSupported => Avx.IsSupported && KernelDispatch.Current >= KernelPath.Vector256;

    /// <summary>
    /// Packs B with unit row stride (each column contiguous along the depth) into NR-column panels for the depth
    /// steps [0, depth8) where depth8 is a multiple of 8; returns depth8 so the caller packs the remainder.
    /// Columns at or past <paramref name="validColumns"/> are written as zeros.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int PackBColumnMajor(float[] data, int source, int columnStride, int depth, int validColumns, int columnTile, float[] packed, int panelOffset)
    {
        int depth8 = depth & ~7;
        ref float src = ref MemoryMarshal.GetArrayDataReference(data);
        ref float dst = ref MemoryMarshal.GetArrayDataReference(packed);
        for (int j = 0; j < columnTile; j += 8)
        {
            int rows = Math.Clamp(validColumns - j, 0, 8);
            // A group with no valid column reads nothing; its source reference stays at a valid element.
            int first = rows > 0 ? source + j * columnStride : source;
            for (int p = 0; p < depth8; p += 8)
                TransposeBlock(ref Unsafe.Add(ref src, first + p), (nuint)columnStride, rows, ref Unsafe.Add(ref dst, panelOffset + p * columnTile + j), (nuint)columnTile);
        }

        return depth8;
    }

    /// <summary>
    /// Packs row-major A (unit column stride) into a panel of <paramref name="rowTile"/> (at most 8) rows for the depth
    /// steps [0, depth8): each transposed 8-lane column is stored at <c>packed[offset + p*rowTile]</c> in ascending
    /// order, so with fewer than 8 rows its padding lanes are overwritten by the next store (the packed buffer has 8
    /// floats of slack after its end for the last one).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int PackARowMajor(float[] data, int source, int rowStride, int depth, int validRows, int rowTile, float[] packed, int panelOffset)
    {
        int depth8 = depth & ~7;
        int rows = Math.Min(validRows, rowTile);
        ref float src = ref MemoryMarshal.GetArrayDataReference(data);
        ref float dst = ref MemoryMarshal.GetArrayDataReference(packed);
        for (int p = 0; p < depth8; p += 8)
            TransposeBlock(ref Unsafe.Add(ref src, source + p), (nuint)rowStride, rows, ref Unsafe.Add(ref dst, panelOffset + p * rowTile), (nuint)rowTile);
        return depth8;
    }

    /// <summary>
    /// <c>destination[c * destinationStride + r] = source[r * sourceStride + c]</c> for a rows x columns block: full 8x8
    /// tiles through registers when <see cref="IsSupported"/>, the rest by scalar copies.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(ReadOnlySpan<float> source, int sourceStride, int rows, int columns, Span<float> destination, int destinationStride)
    {
        int rows8 = IsSupported ? rows & ~7 : 0, columns8 = IsSupported ? columns & ~7 : 0;
        if (rows8 > 0 && columns8 > 0)
        {
            // The last full tile reads to (rows8 - 1) * sourceStride + columns8 and writes to (columns8 - 1) *
            // destinationStride + rows8: check once, so the tiles can use unchecked references.
            if ((long)(rows8 - 1) * sourceStride + columns8 > source.Length || (long)(columns8 - 1) * destinationStride + rows8 > destination.Length)
                throw new ArgumentException("The spans are smaller than the blocks their strides describe.");
            ref float src = ref MemoryMarshal.GetReference(source);
            ref float dst = ref MemoryMarshal.GetReference(destination);
            // 16x16 tiles of four 8x8 blocks, one after another: each 64-byte line of a source row and of a destination
            // row is then read or written whole while it is in L1. Tile by tile of 8 (rows outer) the two halves of a
            // destination line were written a whole band of rows apart, each time fetched again.
            for (int r = 0; r < rows8; r += 16)
            {
                for (int c = 0; c < columns8; c += 16)
                {
                    for (int tileRow = r; tileRow < Math.Min(r + 16, rows8); tileRow += 8)
                    {
                        for (int tileColumn = c; tileColumn < Math.Min(c + 16, columns8); tileColumn += 8)
                        {
                            TransposeBlock(ref Unsafe.Add(ref src, tileRow * sourceStride + tileColumn), (nuint)sourceStride, 8,
                                ref Unsafe.Add(ref dst, tileColumn * destinationStride + tileRow), (nuint)destinationStride);
                        }
                    }
                }
            }
        }

        for (int r = 0; r < rows; r++)
        {
            for (int c = r < rows8 ? columns8 : 0; c < columns; c++)
                destination[c * destinationStride + r] = source[r * sourceStride + c];
        }
    }

    /// <summary>
    /// Transposes one 8x8 block in registers: row i of the source (8 floats at <c>source + i·sourceStride</c>, zeros
    /// for i &gt;= <paramref name="validRows"/>) becomes lane i of the 8 destination vectors, stored at
    /// <c>destination + k·destinationStride</c> in ascending k (so overlapping stores with a stride under 8 leave
    /// each vector's first lanes intact).
    /// </summary>
    /// <remarks>Locals rather than a span of vectors: the JIT keeps them in registers, where a span spills every
    /// vector to the stack and doubles the packing time.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeBlock(ref float source, nuint sourceStride, int validRows, ref float destination, nuint destinationStride)
    {
        var r0 = LoadRowOrZero(ref source, 0, sourceStride, validRows);
        var r1 = LoadRowOrZero(ref source, 1, sourceStride, validRows);
        var r2 = LoadRowOrZero(ref source, 2, sourceStride, validRows);
        var r3 = LoadRowOrZero(ref source, 3, sourceStride, validRows);
        var r4 = LoadRowOrZero(ref source, 4, sourceStride, validRows);
        var r5 = LoadRowOrZero(ref source, 5, sourceStride, validRows);
        var r6 = LoadRowOrZero(ref source, 6, sourceStride, validRows);
        var r7 = LoadRowOrZero(ref source, 7, sourceStride, validRows);
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref destination);
        Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref destination, destinationStride);
        Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref destination, 2 * destinationStride);
        Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref destination, 3 * destinationStride);
        Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref destination, 4 * destinationStride);
        Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref destination, 5 * destinationStride);
        Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref destination, 6 * destinationStride);
        Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref destination, 7 * destinationStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LoadRowOrZero(ref float source, int row, nuint stride, int validRows) =>
        row < validRows ? Vector256.LoadUnsafe(ref source, (nuint)row * stride) : Vector256<float>.Zero;
}
