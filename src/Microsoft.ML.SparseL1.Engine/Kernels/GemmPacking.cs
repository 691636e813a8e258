// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.CompilerServices;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>Copies GEMM operands into the panel layouts the micro-kernels read, padding edges with zeros.</summary>
internal static class GemmPacking
{
    /// <summary>
    /// Packs rows [<paramref name="rowStart"/>, +<paramref name="rows"/>) and depth
    /// [<paramref name="depthStart"/>, +<paramref name="depth"/>) of A into panels of
    /// <paramref name="rowTile"/> rows: <c>packed[panel * rowTile * depth + p * rowTile + r] = A(row, p)</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(in MatrixOperand a, int rowStart, int rows, int depthStart, int depth, int rowTile, float[] packed)
    {
        float[] data = a.Data;
        int rowStride = a.RowStride, columnStride = a.ColumnStride;
        for (int panelRow = 0; panelRow < rows; panelRow += rowTile)
        {
            int panelOffset = panelRow * depth;
            int valid = Math.Min(rowTile, rows - panelRow);
            if (rowStride == 1)
            {
                // Column-major A (a transposed activation or gradient matrix): each depth step of the panel is a
                // contiguous run of its rows.
                CopyContiguousSteps(data, a.Offset + (rowStart + panelRow) + depthStart * columnStride, columnStride, depth, valid, rowTile, packed, panelOffset);
                continue;
            }

            int firstScalar = 0;
            if (columnStride == 1 && rowTile <= 8 && GemmPackingTranspose.IsSupported)
            {
                int first = a.Offset + (rowStart + panelRow) * rowStride + depthStart;
                firstScalar = GemmPackingTranspose.PackARowMajor(data, first, rowStride, depth, valid, rowTile, packed, panelOffset);
            }

            for (int r = 0; r < rowTile; r++)
            {
                if (r >= valid)
                {
                    for (int p = firstScalar; p < depth; p++)
                        packed[panelOffset + p * rowTile + r] = 0f;
                    continue;
                }

                int source = a.Offset + (rowStart + panelRow + r) * rowStride + depthStart * columnStride;
                for (int p = firstScalar; p < depth; p++)
                    packed[panelOffset + p * rowTile + r] = data[source + p * columnStride];
            }
        }
    }

    /// <summary>
    /// Packs depth [<paramref name="depthStart"/>, +<paramref name="depth"/>) and columns
    /// [<paramref name="columnStart"/>, +<paramref name="columns"/>) of B into panels of
    /// <paramref name="columnTile"/> columns: <c>packed[panel * columnTile * depth + p * columnTile + j] = B(p, column)</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(in MatrixOperand b, int depthStart, int depth, int columnStart, int columns, int columnTile, float[] packed)
    {
        float[] data = b.Data;
        int rowStride = b.RowStride, columnStride = b.ColumnStride;
        for (int panelColumn = 0; panelColumn < columns; panelColumn += columnTile)
        {
            int panelOffset = panelColumn * depth;
            int valid = Math.Min(columnTile, columns - panelColumn);
            int source = b.Offset + depthStart * rowStride + (columnStart + panelColumn) * columnStride;
            if (columnStride == 1)
            {
                // Row-major B: each depth step is a contiguous run of the panel's columns.
                CopyContiguousSteps(data, source, rowStride, depth, valid, columnTile, packed, panelOffset);
                continue;
            }

            // Column-major B (a transposed weight matrix): 8x8 register transposes, then each column contiguously.
            int firstScalar = rowStride == 1 && columnTile % 8 == 0 && GemmPackingTranspose.IsSupported
                ? GemmPackingTranspose.PackBColumnMajor(data, source, columnStride, depth, valid, columnTile, packed, panelOffset)
                : 0;
            for (int j = 0; j < columnTile; j++)
            {
                if (j >= valid)
                {
                    for (int p = firstScalar; p < depth; p++)
                        packed[panelOffset + p * columnTile + j] = 0f;
                    continue;
                }

                int columnSource = source + j * columnStride;
                for (int p = firstScalar; p < depth; p++)
                    packed[panelOffset + p * columnTile + j] = data[columnSource + p * rowStride];
            }
        }
    }

    /// <summary>
    /// Packs a panel whose <paramref name="valid"/> entries per depth step are contiguous in the source (step p starts
    /// at <c>source + p·stride</c>): one copy per step into a <paramref name="tile"/>-wide slot, zero-padded.
    /// </summary>
    /// <remarks>Inlined into the packing methods, which are compiled fully optimised at once: left as a separate call it
    /// started unoptimised and halved the throughput of the weight-gradient products (measured).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyContiguousSteps(float[] data, int source, int stride, int depth, int valid, int tile, float[] packed, int panelOffset)
    {
        for (int p = 0; p < depth; p++)
        {
            var destination = packed.AsSpan(panelOffset + p * tile, tile);
            data.AsSpan(source + p * stride, valid).CopyTo(destination);
            destination[valid..].Clear();
        }
    }
}
