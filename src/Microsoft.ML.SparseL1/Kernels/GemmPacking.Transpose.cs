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
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int PackBColumnMajor(float[] data, int source, int columnStride, int depth, int validColumns, int columnTile, float[] packed, int panelOffset)
    {
        int depth8 = depth & ~7;
        ref float src = ref MemoryMarshal.GetArrayDataReference(data);
        ref float dst = ref MemoryMarshal.GetArrayDataReference(packed);
        Span<Vector256<float>> rows = stackalloc Vector256<float>[8];
        for (int j = 0; j < columnTile; j += 8)
        {
            for (int p = 0; p < depth8; p += 8)
            {
                for (int i = 0; i < 8; i++)
                {
                    rows[i] = j + i < validColumns
                        ? Vector256.LoadUnsafe(ref src, (nuint)(source + (j + i) * columnStride + p))
                        : Vector256<float>.Zero;
                }

                Transpose8x8(rows);
                for (int k = 0; k < 8; k++)
                    rows[k].StoreUnsafe(ref dst, (nuint)(panelOffset + (p + k) * columnTile + j));
            }
        }

        return depth8;
    }

    /// <summary>
    /// Packs row-major A (unit column stride) into a 6-row panel for the depth steps [0, depth8): each transposed
    /// 8-lane column is stored at <c>packed[offset + p*6]</c> in ascending order, so its two padding lanes are
    /// overwritten by the next store (the packed buffer has 8 floats of slack after its end for the last one).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int PackARowMajor(float[] data, int source, int rowStride, int depth, int validRows, float[] packed, int panelOffset)
    {
        int depth8 = depth & ~7;
        ref float src = ref MemoryMarshal.GetArrayDataReference(data);
        ref float dst = ref MemoryMarshal.GetArrayDataReference(packed);
        Span<Vector256<float>> rows = stackalloc Vector256<float>[8];
        for (int p = 0; p < depth8; p += 8)
        {
            for (int i = 0; i < 8; i++)
                rows[i] = i < validRows && i < DenseGemm.RowTile ? Vector256.LoadUnsafe(ref src, (nuint)(source + i * rowStride + p)) : Vector256<float>.Zero;
            Transpose8x8(rows);
            for (int k = 0; k < 8; k++)
                rows[k].StoreUnsafe(ref dst, (nuint)(panelOffset + (p + k) * DenseGemm.RowTile));
        }

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
            ref float src = ref MemoryMarshal.GetReference(source);
            ref float dst = ref MemoryMarshal.GetReference(destination);
            Span<Vector256<float>> tile = stackalloc Vector256<float>[8];
            for (int r = 0; r < rows8; r += 8)
            {
                for (int c = 0; c < columns8; c += 8)
                {
                    for (int i = 0; i < 8; i++)
                        tile[i] = Vector256.LoadUnsafe(ref src, (nuint)((r + i) * sourceStride + c));
                    Transpose8x8(tile);
                    for (int k = 0; k < 8; k++)
                        tile[k].StoreUnsafe(ref dst, (nuint)((c + k) * destinationStride + r));
                }
            }
        }

        for (int r = 0; r < rows; r++)
        {
            for (int c = r < rows8 ? columns8 : 0; c < columns; c++)
                destination[c * destinationStride + r] = source[r * sourceStride + c];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(Span<Vector256<float>> r)
    {
        var t0 = Avx.UnpackLow(r[0], r[1]);
        var t1 = Avx.UnpackHigh(r[0], r[1]);
        var t2 = Avx.UnpackLow(r[2], r[3]);
        var t3 = Avx.UnpackHigh(r[2], r[3]);
        var t4 = Avx.UnpackLow(r[4], r[5]);
        var t5 = Avx.UnpackHigh(r[4], r[5]);
        var t6 = Avx.UnpackLow(r[6], r[7]);
        var t7 = Avx.UnpackHigh(r[6], r[7]);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        r[0] = Avx.Permute2x128(u0, u4, 0x20);
        r[1] = Avx.Permute2x128(u1, u5, 0x20);
        r[2] = Avx.Permute2x128(u2, u6, 0x20);
        r[3] = Avx.Permute2x128(u3, u7, 0x20);
        r[4] = Avx.Permute2x128(u0, u4, 0x31);
        r[5] = Avx.Permute2x128(u1, u5, 0x31);
        r[6] = Avx.Permute2x128(u2, u6, 0x31);
        r[7] = Avx.Permute2x128(u3, u7, 0x31);
    }
}
