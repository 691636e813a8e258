// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Training.Optimizer;

/// <summary>
/// The step state of a layer whose zero pattern is frozen: the positions of its kept (nonzero) weights, and their
/// weights, gradients and Adam moments gathered contiguous, so that a step costs the kept weights, not the layer (after
/// the freeze at 90 % sparsity, a tenth). The step kernels are element-wise, so the kept weights come out as a whole-layer
/// step followed by the mask would leave them.
/// </summary>
internal sealed class KeptWeights
{
    private readonly int[] _positions;
    private readonly float[] _weights;
    private readonly float[] _gradient;

    /// <param name="weights">The layer's weights at the freeze: the nonzero ones are kept.</param>
    /// <param name="firstMoment">Adam's first moment of the layer, or null for SGD.</param>
    /// <param name="secondMoment">Adam's second moment of the layer, or null for SGD.</param>
    public KeptWeights(float[] weights, float[]? firstMoment, float[]? secondMoment)
    {
        int count = 0;
        foreach (float w in weights)
            count += w != 0f ? 1 : 0;
        _positions = new int[count];
        for (int i = 0, k = 0; i < weights.Length; i++)
        {
            if (weights[i] != 0f)
                _positions[k++] = i;
        }

        _weights = Gather(weights);
        _gradient = new float[count];
        FirstMoment = Gather(firstMoment);
        SecondMoment = Gather(secondMoment);
    }

    /// <summary>
    /// Whether the kept weights live here between steps (<see cref="MakeResident"/>): the layer's products then read
    /// <see cref="Values"/> by rows and write their gradient into <see cref="Gradient"/>, and the layer itself is stale
    /// until <see cref="WriteBack"/>.
    /// </summary>
    public bool Resident { get; private set; }

    /// <summary>The kept weights' values (current while <see cref="Resident"/>).</summary>
    public float[] Values => _weights;

    /// <summary>The kept weights' gradient (written by the products while <see cref="Resident"/>).</summary>
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
        RowStarts = new int[rows + 1];
        Columns = new int[_positions.Length];
        for (int k = 0; k < _positions.Length; k++)
        {
            RowStarts[_positions[k] / columns + 1]++;
            Columns[k] = _positions[k] % columns;
        }

        for (int r = 0; r < rows; r++)
            RowStarts[r + 1] += RowStarts[r];
        _columnCount = columns;
        Resident = true;
    }

    private int _columnCount;

    /// <summary>
    /// The same kept weights by column (CSC: where each column's entries start, each entry's row, and its index in
    /// <see cref="Values"/>, rows ascending within a column), for the products that read the layer transposed; made at
    /// the first call (resident only).
    /// </summary>
    public (int[] Starts, int[] Rows, int[] Entries) ByColumn()
    {
        if (!Resident)
            throw new InvalidOperationException("The kept weights are not resident.");
        if (_byColumn is { } made)
            return made;
        var starts = new int[_columnCount + 1];
        foreach (int c in Columns)
            starts[c + 1]++;
        for (int c = 0; c < _columnCount; c++)
            starts[c + 1] += starts[c];
        var next = (int[])starts.Clone();
        var rows = new int[Columns.Length];
        var entries = new int[Columns.Length];
        for (int r = 0; r + 1 < RowStarts.Length; r++)
        {
            for (int k = RowStarts[r]; k < RowStarts[r + 1]; k++)
            {
                int slot = next[Columns[k]]++;
                rows[slot] = r;
                entries[slot] = k;
            }
        }

        return (_byColumn = (starts, rows, entries)).Value;
    }

    private (int[] Starts, int[] Rows, int[] Entries)? _byColumn;

    /// <summary>Runs <paramref name="step"/> on the resident weights and their gradient, in place.</summary>
    /// <returns>What <paramref name="step"/> returns (the step kernels: the nonzero kept weights after the step).</returns>
    public int StepResident(Func<Span<float>, ReadOnlySpan<float>, int> step) => step(_weights, _gradient);

    /// <summary>Writes the kept weights into <paramref name="weights"/> (the frozen positions there stay zero).</summary>
    public void WriteBack(float[] weights)
    {
        for (int k = 0; k < _positions.Length; k++)
            weights[_positions[k]] = _weights[k];
    }

    /// <summary>The kept weights' positions in the layer, ascending.</summary>
    public int[] Positions => _positions;

    /// <summary>Adam's first moment of the kept weights (empty for SGD).</summary>
    public float[] FirstMoment { get; }

    /// <summary>Adam's second moment of the kept weights (empty for SGD).</summary>
    public float[] SecondMoment { get; }

    /// <summary>Gathers the kept weights and their gradient, runs <paramref name="step"/> on them, and writes the weights back.</summary>
    public void Step(float[] weights, float[] gradient, Func<Span<float>, ReadOnlySpan<float>, int> step)
    {
        for (int k = 0; k < _positions.Length; k++)
        {
            _weights[k] = weights[_positions[k]];
            _gradient[k] = gradient[_positions[k]];
        }

        step(_weights, _gradient);
        WriteBack(weights);
    }

    /// <summary>Writes the kept weights' moments back into the layer's (before the pattern is frozen anew).</summary>
    public void ReturnMoments(float[]? firstMoment, float[]? secondMoment)
    {
        for (int k = 0; k < _positions.Length; k++)
        {
            if (firstMoment is not null)
                firstMoment[_positions[k]] = FirstMoment[k];
            if (secondMoment is not null)
                secondMoment[_positions[k]] = SecondMoment[k];
        }
    }

    private float[] Gather(float[]? layer)
    {
        if (layer is null)
            return [];
        var kept = new float[_positions.Length];
        for (int k = 0; k < kept.Length; k++)
            kept[k] = layer[_positions[k]];
        return kept;
    }
}
