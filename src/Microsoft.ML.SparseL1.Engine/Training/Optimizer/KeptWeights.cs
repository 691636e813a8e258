// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Training.Optimizer;

/// <summary>
/// The step state of a layer whose zero pattern is frozen or held (ProximalOptimizer.HoldZeroPattern): the positions of its kept (nonzero) weights, and their
/// weights, gradients and Adam moments gathered contiguous, so that a step costs the kept weights, not the layer (after
/// the freeze at 90 % sparsity, a tenth). The step kernels are element-wise, so the kept weights come out as a whole-layer
/// step followed by the mask would leave them.
/// </summary>
internal sealed class KeptWeights
{
    // Buffers whose first Count entries hold the kept weights' state: Regather reuses them while they are large enough,
    // so that a pattern held and released every few steps (ProximalOptimizer.HoldZeroPattern) allocates no state of
    // the layer's size again.
    private int[] _positions = [];
    private float[] _weights = [];
    private float[] _gradient = [];
    private float[] _firstMoment = [];
    private float[] _secondMoment = [];

    /// <param name="weights">The layer's weights at the freeze or hold: the nonzero ones are kept.</param>
    /// <param name="firstMoment">Adam's first moment of the layer, or null for SGD.</param>
    /// <param name="secondMoment">Adam's second moment of the layer, or null for SGD.</param>
    public KeptWeights(float[] weights, float[]? firstMoment, float[]? secondMoment) => Regather(weights, firstMoment, secondMoment);

    /// <summary>The number of kept weights.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Keeps the nonzero weights of <paramref name="weights"/> now (with their moments), in the buffers of the last pattern
    /// when they are large enough; the weights are no longer resident (<see cref="MakeResident"/> again).
    /// </summary>
    public void Regather(float[] weights, float[]? firstMoment, float[]? secondMoment)
    {
        int count = Kernels.ProximalKernels.CountNonZero(weights);
        if (count > _positions.Length)
        {
            // A pattern that grew gets room for a quarter more, so that one that keeps growing a little is not copied each time.
            int capacity = _positions.Length == 0 ? count : count + count / 4;
            _positions = new int[capacity];
            _weights = new float[capacity];
            _gradient = new float[capacity];
        }

        Count = Kernels.ProximalKernels.NonZeroPositions(weights, _positions);
        Gather(weights, _weights);
        _firstMoment = GatherMoment(firstMoment, _firstMoment);
        _secondMoment = GatherMoment(secondMoment, _secondMoment);
        Resident = false;
        _byColumnCurrent = false;
        _byGroupCurrent = false;
    }

    /// <summary>
    /// Whether the kept weights live here between steps (<see cref="MakeResident"/>): the layer's products then read
    /// <see cref="Values"/> by rows and write their gradient into <see cref="Gradient"/>, and the layer itself is stale
    /// until <see cref="WriteBack"/>.
    /// </summary>
    public bool Resident { get; private set; }

    /// <summary>The kept weights' values in the first <see cref="Count"/> entries (current while <see cref="Resident"/>).</summary>
    public float[] Values => _weights;

    /// <summary>The kept weights' gradient in the first <see cref="Count"/> entries (written by the products while <see cref="Resident"/>).</summary>
    public float[] Gradient => _gradient;

    /// <summary>When resident: where each row's kept weights start in <see cref="Values"/> (rows + 1 entries), a CSR matrix.</summary>
    public int[] RowStarts { get; private set; } = [];

    /// <summary>When resident: each kept weight's column in its row.</summary>
    public int[] Columns { get; private set; } = [];

    /// <summary>
    /// Keeps the weights here from now on, as the CSR matrix of a row-major layer of <paramref name="rows"/> x
    /// <paramref name="columns"/> (positions ascend, so each row's kept weights are contiguous and in column order).
    /// A first layer stored transposed is inputs x outputs; any other, outputs x inputs.
    /// </summary>
    public void MakeResident(int rows, int columns)
    {
        if (RowStarts.Length != rows + 1)
            RowStarts = new int[rows + 1];
        if (Columns.Length < _positions.Length)
            Columns = new int[_positions.Length];
        // The positions ascend: the row moves on as they pass its end (no division a weight).
        int row = 0, rowStart = 0;
        for (int k = 0; k < Count; k++)
        {
            int position = _positions[k];
            while (position >= rowStart + columns)
            {
                RowStarts[++row] = k;
                rowStart += columns;
            }

            Columns[k] = position - rowStart;
        }

        while (row < rows)
            RowStarts[++row] = Count;
        _columnCount = columns;
        _byColumnCurrent = false;
        _byGroupCurrent = false;
        Resident = true;
    }

    private int _columnCount;

    /// <summary>When resident: the columns of the matrix it was made resident as (<see cref="MakeResident"/>).</summary>
    public int ColumnCount => _columnCount;

    /// <summary>
    /// The same kept weights by column (CSC: where each column's entries start, each entry's row, and its index in
    /// <see cref="Values"/>, rows ascending within a column; the first <see cref="Count"/> entries), for the products that
    /// read the layer transposed; made at the first call after each <see cref="MakeResident"/>.
    /// </summary>
    public (int[] Starts, int[] Rows, int[] Entries) ByColumn()
    {
        if (!Resident)
            throw new InvalidOperationException("The kept weights are not resident.");
        // The two halves of a split batch ask for it side by side: one builds it in the shared buffers, the other waits.
        lock (_layoutsLock)
        {
            if (!_byColumnCurrent)
                BuildByColumn();
            return (_columnStarts, _columnRows, _columnEntries);
        }
    }

    private void BuildByColumn()
    {
        if (_columnStarts.Length != _columnCount + 1)
            _columnStarts = new int[_columnCount + 1];
        if (_columnRows.Length < _positions.Length)
        {
            _columnRows = new int[_positions.Length];
            _columnEntries = new int[_positions.Length];
        }

        // All rows as one group: each column's cursor ends where the next column starts.
        _columnStarts[0] = 0;
        SortByColumn(0, RowStarts.Length - 1, _columnStarts.AsSpan(1), _columnRows, null, _columnEntries);
        _byColumnCurrent = true;
    }

    /// <summary>
    /// A counting sort of the kept weights of rows [<paramref name="firstRow"/>, <paramref name="endRow"/>) by column, rows
    /// ascending within a column (the rows are read in order), written from <c>RowStarts[firstRow]</c> on: each weight's
    /// row, column (unless <paramref name="columns"/> is null) and index in <see cref="Values"/>. On return
    /// <paramref name="cursor"/> (one entry a column) holds where each column's weights end.
    /// </summary>
    private void SortByColumn(int firstRow, int endRow, Span<int> cursor, int[] rows, int[]? columns, int[] entries)
    {
        int start = RowStarts[firstRow], end = RowStarts[endRow];
        cursor.Clear();
        for (int k = start; k < end; k++)
            cursor[Columns[k]]++;
        for (int c = 0, at = start; c < cursor.Length; c++)
            (cursor[c], at) = (at, at + cursor[c]);
        for (int r = firstRow; r < endRow; r++)
        {
            for (int k = RowStarts[r]; k < RowStarts[r + 1]; k++)
            {
                int column = Columns[k], at = cursor[column]++;
                rows[at] = r;
                if (columns is not null)
                    columns[at] = column;
                entries[at] = k;
            }
        }
    }

    /// <summary>
    /// The kept weights in groups of <paramref name="groupSize"/> consecutive rows, each group's weights by column
    /// ascending (rows ascending within a column): where each group starts, and each weight's row, column and index in
    /// <see cref="Values"/>. The weight gradient reads a group's delta rows from the first-level cache and each input row
    /// once per group, in address order (<see cref="Kernels.KeptGradientKernels"/>). Made at the first call after each
    /// <see cref="MakeResident"/>, or for another group size, in buffers reused from call to call: a list a caller holds
    /// is valid until the pattern or the group size changes, and only its first <see cref="Count"/> entries (to
    /// <c>GroupStarts[^1]</c>) are the weights.
    /// </summary>
    public (int[] GroupStarts, int[] OutputRows, int[] InputColumns, int[] Entries) ByOutputGroups(int groupSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groupSize, 1);
        if (!Resident)
            throw new InvalidOperationException("The kept weights are not resident.");
        // As in ByColumn: one half of a split batch builds the list, the other waits for it.
        lock (_layoutsLock)
        {
            if (_groupSize != groupSize || !_byGroupCurrent)
                BuildByOutputGroups(groupSize);
            return (_groupStarts, _groupRows, _groupColumns, _groupEntries);
        }
    }

    /// <summary>Each group's kept weights sorted by column (<see cref="SortByColumn"/>).</summary>
    private void BuildByOutputGroups(int groupSize)
    {
        int rows = RowStarts.Length - 1, groups = rows == 0 ? 0 : (rows - 1) / groupSize + 1;
        if (_groupStarts.Length != groups + 1)
            _groupStarts = new int[groups + 1];
        if (_groupRows.Length < _positions.Length)
        {
            _groupRows = new int[_positions.Length];
            _groupColumns = new int[_positions.Length];
            _groupEntries = new int[_positions.Length];
        }

        if (_columnCursor.Length != _columnCount)
            _columnCursor = new int[_columnCount];
        for (int g = 0; g < groups; g++)
        {
            int firstRow = g * groupSize, endRow = firstRow + Math.Min(groupSize, rows - firstRow);
            _groupStarts[g + 1] = RowStarts[endRow];
            SortByColumn(firstRow, endRow, _columnCursor, _groupRows, _groupColumns, _groupEntries);
        }

        _groupSize = groupSize;
        _byGroupCurrent = true;
    }

    private int _groupSize;
    private bool _byGroupCurrent;
    private int[] _groupStarts = [], _groupRows = [], _groupColumns = [], _groupEntries = [], _columnCursor = [];

    private readonly object _layoutsLock = new();
    private int[] _columnStarts = [], _columnRows = [], _columnEntries = [];
    private bool _byColumnCurrent;

    /// <summary>Runs <paramref name="step"/> on the resident weights and their gradient, in place.</summary>
    /// <returns>What <paramref name="step"/> returns (the step kernels: the nonzero kept weights after the step).</returns>
    public int StepResident(Func<Span<float>, ReadOnlySpan<float>, int> step) => step(_weights.AsSpan(0, Count), _gradient.AsSpan(0, Count));

    /// <summary>Writes the kept weights into <paramref name="weights"/> (the frozen positions there stay zero).</summary>
    public void WriteBack(float[] weights)
    {
        for (int k = 0; k < Count; k++)
            weights[_positions[k]] = _weights[k];
    }

    /// <summary>The kept weights' positions in the layer, ascending.</summary>
    public ReadOnlySpan<int> Positions => _positions.AsSpan(0, Count);

    /// <summary>Adam's first moment of the kept weights (empty for SGD).</summary>
    public Span<float> FirstMoment => _firstMoment.AsSpan(0, _firstMoment.Length == 0 ? 0 : Count);

    /// <summary>Adam's second moment of the kept weights (empty for SGD).</summary>
    public Span<float> SecondMoment => _secondMoment.AsSpan(0, _secondMoment.Length == 0 ? 0 : Count);

    /// <summary>Gathers the kept weights and their gradient, runs <paramref name="step"/> on them, and writes the weights back.</summary>
    public void Step(float[] weights, float[] gradient, Func<Span<float>, ReadOnlySpan<float>, int> step)
    {
        for (int k = 0; k < Count; k++)
        {
            _weights[k] = weights[_positions[k]];
            _gradient[k] = gradient[_positions[k]];
        }

        StepResident(step);
        WriteBack(weights);
    }

    /// <summary>Writes the kept weights' moments back into the layer's (when a hold is released, or before the pattern is frozen anew).</summary>
    public void ReturnMoments(float[]? firstMoment, float[]? secondMoment)
    {
        for (int k = 0; k < Count; k++)
        {
            if (firstMoment is not null)
                firstMoment[_positions[k]] = _firstMoment[k];
            if (secondMoment is not null)
                secondMoment[_positions[k]] = _secondMoment[k];
        }
    }

    private void Gather(float[] layer, float[] kept)
    {
        for (int k = 0; k < Count; k++)
            kept[k] = layer[_positions[k]];
    }

    /// <summary>A moment's kept entries into <paramref name="buffer"/> (a new one when too small); empty without the moment (SGD).</summary>
    private float[] GatherMoment(float[]? layer, float[] buffer)
    {
        if (layer is null)
            return [];
        if (buffer.Length < _positions.Length)
            buffer = new float[_positions.Length];
        Gather(layer, buffer);
        return buffer;
    }
}
