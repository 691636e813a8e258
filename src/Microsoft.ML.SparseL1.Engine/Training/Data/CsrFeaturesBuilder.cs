// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Training.Data;

/// <summary>
/// Collects rows into <see cref="CsrFeatures"/> as they are read: the arrays grow by doubling (so memory stays within
/// twice the nonzeros) and are handed over as they are, untrimmed, to avoid a final copy.
/// </summary>
internal sealed class CsrFeaturesBuilder(int columnCount, int expectedRows)
{
    private int[] _rowPointers = new int[Math.Max(2, expectedRows + 1)];
    private int[] _columns = new int[1024];
    private float[] _values = new float[1024];

    public int Rows { get; private set; }

    public int NonZeroCount => _rowPointers[Rows];

    /// <summary>The nonzeros of the last row added.</summary>
    public ReadOnlySpan<float> LastRowValues => _values.AsSpan(_rowPointers[Rows - 1], _rowPointers[Rows] - _rowPointers[Rows - 1]);

    /// <summary>The columns of the last row added.</summary>
    public ReadOnlySpan<int> LastRowColumns => _columns.AsSpan(_rowPointers[Rows - 1], _rowPointers[Rows] - _rowPointers[Rows - 1]);

    /// <summary>Adds a row given by its ascending nonzero columns and values (explicit zeros are dropped).</summary>
    public void Add(ReadOnlySpan<int> columns, ReadOnlySpan<float> values)
    {
        Reserve(NonZeroCount + values.Length);
        int next = NonZeroCount;
        for (int k = 0; k < values.Length; k++)
        {
            if (values[k] == 0f)
                continue;
            _columns[next] = columns[k];
            _values[next++] = values[k];
        }

        EndRow(next);
    }

    /// <summary>Adds a dense row (its zeros are dropped).</summary>
    public void Add(ReadOnlySpan<float> dense)
    {
        int next = NonZeroCount;
        for (int c = 0; c < dense.Length; c++)
        {
            if (dense[c] == 0f)
                continue;
            Reserve(next + 1);
            _columns[next] = c;
            _values[next++] = dense[c];
        }

        EndRow(next);
    }

    public CsrFeatures Build()
    {
        if (_rowPointers.Length != Rows + 1)
            Array.Resize(ref _rowPointers, Rows + 1);
        return new CsrFeatures(_rowPointers, _columns, _values, columnCount);
    }

    private void EndRow(int next)
    {
        if (Rows + 2 > _rowPointers.Length)
            Array.Resize(ref _rowPointers, (int)Math.Min(Array.MaxLength, 2L * _rowPointers.Length));
        _rowPointers[++Rows] = next;
    }

    private void Reserve(long nonZeros)
    {
        if (nonZeros <= _columns.Length)
            return;
        if (nonZeros > Array.MaxLength)
            throw new InvalidOperationException($"The training data has more than {Array.MaxLength} nonzero feature values; at most that many fit in one array.");
        int size = (int)Math.Min(Array.MaxLength, Math.Max(nonZeros, 2L * _columns.Length));
        Array.Resize(ref _columns, size);
        Array.Resize(ref _values, size);
    }
}
