// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Training.Passes;

namespace Microsoft.ML.SparseL1.Training.Data;

/// <summary>
/// Training features kept sparse: compressed sparse rows (per row, the ascending columns of its nonzero values). Text
/// and one-hot features (tens of thousands of slots, tens of nonzeros per row) cost memory in proportion to their
/// nonzeros instead of rows x columns.
/// </summary>
internal sealed class CsrFeatures
{
    /// <param name="rowPointers">Rows + 1 offsets into <paramref name="columns"/> and <paramref name="values"/>, from 0, non-decreasing.</param>
    /// <param name="columns">Per nonzero its column, ascending within a row, in [0, <paramref name="columnCount"/>).</param>
    /// <param name="values">Per nonzero its value.</param>
    /// <param name="columnCount">Number of feature columns.</param>
    public CsrFeatures(int[] rowPointers, int[] columns, float[] values, int columnCount)
    {
        ArgumentNullException.ThrowIfNull(rowPointers);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(values);
        if (rowPointers.Length < 2 || rowPointers[0] != 0 || rowPointers[^1] > columns.Length || columns.Length != values.Length)
            throw new ArgumentException("Row pointers must start at 0 and end within the nonzeros; columns and values must have one entry per nonzero.", nameof(rowPointers));
        for (int r = 0; r + 1 < rowPointers.Length; r++)
        {
            if (rowPointers[r + 1] < rowPointers[r])
                throw new ArgumentException($"Row pointer {r + 1} decreases.", nameof(rowPointers));
            for (int k = rowPointers[r]; k < rowPointers[r + 1]; k++)
            {
                if ((uint)columns[k] >= (uint)columnCount || (k > rowPointers[r] && columns[k] <= columns[k - 1]))
                    throw new ArgumentException($"Row {r} has column {columns[k]}: columns must ascend within a row and lie in [0, {columnCount}).", nameof(columns));
            }
        }

        RowPointers = rowPointers;
        Columns = columns;
        Values = values;
        ColumnCount = columnCount;
    }

    public int[] RowPointers { get; }

    public int[] Columns { get; }

    public float[] Values { get; }

    public int Rows => RowPointers.Length - 1;

    public int ColumnCount { get; }

    /// <summary>
    /// Per column, a value to subtract from every row's value, zeros included (standardization's centring of the columns
    /// that are mostly nonzero, kept out of the stored values so they stay sparse); null when nothing is subtracted.
    /// The training products apply it exactly (<see cref="SparseInputBatch"/>).
    /// </summary>
    public float[]? ColumnOffsets { get; set; }

    /// <summary>Stored nonzeros.</summary>
    public int NonZeroCount => RowPointers[^1];

    /// <summary>The columns of row <paramref name="row"/>'s nonzeros.</summary>
    public ReadOnlySpan<int> ColumnsOf(int row) => Columns.AsSpan(RowPointers[row], RowPointers[row + 1] - RowPointers[row]);

    /// <summary>The values of row <paramref name="row"/>'s nonzeros.</summary>
    public ReadOnlySpan<float> ValuesOf(int row) => Values.AsSpan(RowPointers[row], RowPointers[row + 1] - RowPointers[row]);

    /// <summary>
    /// The dense row-major matrix, offsets subtracted (tests compare the sparse path with the dense one on it), with
    /// <paramref name="totalRows"/> rows when given (the rows past these stay zero: the reader fills them in).
    /// </summary>
    public float[] ToDense(long? totalRows = null)
    {
        var dense = new float[(totalRows ?? Rows) * ColumnCount];
        if (ColumnOffsets is { } offsets)
        {
            for (int r = 0; r < Rows; r++)
            {
                for (int c = 0; c < ColumnCount; c++)
                    dense[(long)r * ColumnCount + c] = -offsets[c];
            }
        }

        for (int r = 0; r < Rows; r++)
        {
            var columns = ColumnsOf(r);
            var values = ValuesOf(r);
            for (int k = 0; k < columns.Length; k++)
                dense[(long)r * ColumnCount + columns[k]] = values[k] - (ColumnOffsets?[columns[k]] ?? 0f);
        }

        return dense;
    }
}
