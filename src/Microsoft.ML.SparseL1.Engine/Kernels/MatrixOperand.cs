// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>
/// A read-only matrix inside a float array, addressed as <c>Data[Offset + i * RowStride + j * ColumnStride]</c>.
/// Transposing swaps the strides, so the GEMM needs one code path for all four transpose cases.
/// </summary>
internal readonly struct MatrixOperand
{
    public MatrixOperand(float[] data, int offset, int rows, int columns, int rowStride, int columnStride)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentOutOfRangeException.ThrowIfNegative(rowStride);
        ArgumentOutOfRangeException.ThrowIfNegative(columnStride);
        if (rows > 0 && columns > 0)
        {
            long last = offset + (long)(rows - 1) * rowStride + (long)(columns - 1) * columnStride;
            if (last >= data.Length)
                throw new ArgumentException($"A {rows}x{columns} matrix with strides ({rowStride}, {columnStride}) at offset {offset} does not fit in {data.Length} elements.", nameof(data));
        }

        Data = data;
        Offset = offset;
        Rows = rows;
        Columns = columns;
        RowStride = rowStride;
        ColumnStride = columnStride;
    }

    public float[] Data { get; }

    public int Offset { get; }

    public int Rows { get; }

    public int Columns { get; }

    public int RowStride { get; }

    public int ColumnStride { get; }

    /// <summary>A dense row-major matrix starting at <paramref name="offset"/>.</summary>
    public static MatrixOperand RowMajor(float[] data, int rows, int columns, int offset = 0) =>
        new(data, offset, rows, columns, columns, 1);

    /// <summary>The transpose, without copying.</summary>
    public MatrixOperand Transpose() => new(Data, Offset, Columns, Rows, ColumnStride, RowStride);

    public float this[int row, int column] => Data[Offset + row * RowStride + column * ColumnStride];
}
