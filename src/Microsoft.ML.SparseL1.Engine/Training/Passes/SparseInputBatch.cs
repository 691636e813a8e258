// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Optimizer;

namespace Microsoft.ML.SparseL1.Training.Passes;

/// <summary>
/// One batch of sparse training rows, gathered from <see cref="CsrFeatures"/> into its own compressed rows (the
/// buffers grow to the largest batch seen and are then reused), and the first layer's products with it: the forward
/// product <c>Z = X·Wᵀ</c> and the weight gradient <c>δᵀ·X</c>, both over the nonzeros only.
/// </summary>
internal sealed class SparseInputBatch
{
    private int[] _rowPointers;
    private int[] _columns = new int[1024];
    private float[] _values = new float[1024];
    private float[] _zeros;
    private float[] _transposed = [];

    /// <param name="maxRows">The largest batch.</param>
    /// <param name="columnOffsets">Values subtracted from every row's column (<see cref="CsrFeatures.ColumnOffsets"/>), or null.</param>
    public SparseInputBatch(int maxRows, float[]? columnOffsets = null)
    {
        _rowPointers = new int[maxRows + 1];
        _zeros = new float[maxRows];
        _offsetColumns = columnOffsets is null ? [] : Enumerable.Range(0, columnOffsets.Length).Where(c => columnOffsets[c] != 0f).ToArray();
        _offsets = _offsetColumns.Select(c => columnOffsets![c]).ToArray();
    }

    // The offset columns: x' = x − μ there. Their products are corrected exactly: z −= W·μ (once per batch) and
    // dW[:, c] −= μ_c·Σ_r δ[r, :], so the stored rows stay sparse.
    private readonly int[] _offsetColumns;
    private readonly float[] _offsets;
    private float[] _correction = [];

    /// <summary>Rows of the current batch.</summary>
    public int Rows { get; private set; }

    private ReadOnlySpan<int> RowPointers => _rowPointers.AsSpan(0, Rows + 1);

    /// <summary>Makes the batch rows <paramref name="rows"/> of <paramref name="data"/>, in that order.</summary>
    public void Gather(CsrFeatures data, ReadOnlySpan<int> rows)
    {
        int count = 0;
        foreach (int row in rows)
            count += data.RowPointers[row + 1] - data.RowPointers[row];
        Reserve(count);
        Rows = rows.Length;
        int next = 0;
        for (int r = 0; r < rows.Length; r++)
        {
            _rowPointers[r] = next;
            data.ColumnsOf(rows[r]).CopyTo(_columns.AsSpan(next));
            data.ValuesOf(rows[r]).CopyTo(_values.AsSpan(next));
            next += data.RowPointers[rows[r] + 1] - data.RowPointers[rows[r]];
        }

        _rowPointers[rows.Length] = next;
    }

    /// <summary>Makes the batch the <paramref name="rows"/> rows of <paramref name="data"/> from <paramref name="start"/>.</summary>
    public void Gather(CsrFeatures data, int start, int rows)
    {
        Span<int> indices = rows <= 1024 ? stackalloc int[rows] : new int[rows];
        for (int r = 0; r < rows; r++)
            indices[r] = start + r;
        Gather(data, indices);
    }

    /// <summary>
    /// <c>z[r, o] = Σ_k x[r, k]·W[o, k]</c> (rows x outputs, row-major, no bias) for the outputs x inputs weights: per
    /// output one sparse-rows-times-vector product (the CSR kernel's gather), outputs split over threads.
    /// </summary>
    public void Forward(float[] weights, int inputs, int outputs, Span<float> z, int threads)
    {
        int rows = Rows;
        if (_transposed.Length < outputs * rows)
            _transposed = new float[outputs * _rowPointers.Length];
        float[] transposed = _transposed;
        ForRanges(outputs, threads, (first, end) =>
        {
            for (int o = first; o < end; o++)
            {
                Kernels.CsrKernels.MultiplyVector(RowPointers, _columns, _values, _zeros.AsSpan(0, rows),
                    weights.AsSpan(o * inputs, inputs), transposed.AsSpan(o * rows, rows));
            }
        });
        Kernels.GemmPackingTranspose.Transpose(transposed.AsSpan(0, outputs * rows), rows, outputs, rows, z, outputs);
        if (_offsetColumns.Length > 0)
        {
            var correction = Correction(outputs);
            for (int k = 0; k < _offsetColumns.Length; k++)
            {
                for (int o = 0; o < outputs; o++)
                    correction[o] = MathF.FusedMultiplyAdd(_offsets[k], weights[o * inputs + _offsetColumns[k]], correction[o]);
            }

            SubtractFromRows(z, rows, correction);
        }
    }

    /// <summary>
    /// <c>z[r, :] = Σ_k x[r, k]·Wᵀ[k, :]</c> with the weights stored transposed (inputs x outputs, as training on sparse
    /// rows keeps them): per nonzero one contiguous multiply-add of the output width. Rows split over threads.
    /// </summary>
    public void ForwardTransposed(float[] weightsTransposed, int outputs, Span<float> z, int threads)
    {
        int rows = Rows;
        float[] result = _transposed.Length >= rows * outputs ? _transposed : _transposed = new float[outputs * _rowPointers.Length];
        ForRanges(rows, threads, (first, end) =>
        {
            for (int r = first; r < end; r++)
            {
                var row = result.AsSpan(r * outputs, outputs);
                row.Clear();
                for (int k = _rowPointers[r]; k < _rowPointers[r + 1]; k++)
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(weightsTransposed.AsSpan(_columns[k] * outputs, outputs), _values[k], row, row);
            }
        });
        result.AsSpan(0, rows * outputs).CopyTo(z);
        if (_offsetColumns.Length > 0)
        {
            var correction = Correction(outputs);
            for (int k = 0; k < _offsetColumns.Length; k++)
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(weightsTransposed.AsSpan(_offsetColumns[k] * outputs, outputs), _offsets[k], correction, correction);
            SubtractFromRows(z, rows, correction);
        }
    }

    /// <summary>
    /// <see cref="ForwardTransposed"/> from a frozen first layer's resident kept weights: per nonzero input its kept
    /// weights only, each added into its output (the same products and sums, in the same order, as the whole row's
    /// multiply-add, less the frozen zeros).
    /// </summary>
    public void ForwardKept(KeptWeights kept, int outputs, Span<float> z, int threads)
    {
        int rows = Rows;
        float[] result = _transposed.Length >= rows * outputs ? _transposed : _transposed = new float[outputs * _rowPointers.Length];
        int[] starts = kept.RowStarts, outputOf = kept.Columns;
        float[] values = kept.Values;
        ForRanges(rows, threads, (first, end) =>
        {
            for (int r = first; r < end; r++)
            {
                var row = result.AsSpan(r * outputs, outputs);
                row.Clear();
                for (int k = _rowPointers[r]; k < _rowPointers[r + 1]; k++)
                {
                    float x = _values[k];
                    for (int e = starts[_columns[k]], stop = starts[_columns[k] + 1]; e < stop; e++)
                        row[outputOf[e]] = values[e] * x + row[outputOf[e]];
                }
            }
        });
        result.AsSpan(0, rows * outputs).CopyTo(z);
        if (_offsetColumns.Length > 0)
        {
            var correction = Correction(outputs);
            for (int k = 0; k < _offsetColumns.Length; k++)
            {
                for (int e = starts[_offsetColumns[k]], stop = starts[_offsetColumns[k] + 1]; e < stop; e++)
                    correction[outputOf[e]] = values[e] * _offsets[k] + correction[outputOf[e]];
            }

            SubtractFromRows(z, rows, correction);
        }
    }

    /// <summary>
    /// <see cref="WeightGradientTransposed"/> into a frozen first layer's resident kept gradient: per nonzero input the
    /// gradient of its kept weights only. Without <paramref name="accumulate"/> only the inputs the previous batch wrote
    /// are cleared.
    /// </summary>
    public void WeightGradientKept(float[] delta, int outputs, KeptWeights kept, bool accumulate)
    {
        int[] starts = kept.RowStarts, outputOf = kept.Columns;
        float[] gradient = kept.Gradient;
        int inputs = starts.Length - 1;
        if (!accumulate)
            _keptWritten.Clear(column => gradient.AsSpan(starts[column], starts[column + 1] - starts[column]).Clear());

        for (int r = 0; r < Rows; r++)
        {
            int deltaRow = r * outputs;
            for (int k = _rowPointers[r]; k < _rowPointers[r + 1]; k++)
            {
                int column = _columns[k];
                float x = _values[k];
                _keptWritten.Mark(column, inputs);
                for (int e = starts[column], stop = starts[column + 1]; e < stop; e++)
                    gradient[e] = delta[deltaRow + outputOf[e]] * x + gradient[e];
            }
        }

        if (_offsetColumns.Length > 0)
        {
            var sums = DeltaSums(delta, outputs);
            for (int k = 0; k < _offsetColumns.Length; k++)
            {
                int column = _offsetColumns[k];
                _keptWritten.Mark(column, inputs);
                for (int e = starts[column], stop = starts[column + 1]; e < stop; e++)
                    gradient[e] = sums[outputOf[e]] * -_offsets[k] + gradient[e];
            }
        }
    }

    /// <summary>The inputs whose kept gradient the last batch wrote (a separate record from the layer gradient's).</summary>
    private readonly WrittenInputs _keptWritten = new();

    /// <summary>The correction buffer of the output width, cleared.</summary>
    private Span<float> Correction(int outputs)
    {
        if (_correction.Length < outputs)
            _correction = new float[outputs];
        var correction = _correction.AsSpan(0, outputs);
        correction.Clear();
        return correction;
    }

    private static void SubtractFromRows(Span<float> z, int rows, ReadOnlySpan<float> correction)
    {
        for (int r = 0; r < rows; r++)
            System.Numerics.Tensors.TensorPrimitives.Subtract(z.Slice(r * correction.Length, correction.Length), correction, z.Slice(r * correction.Length, correction.Length));
    }

    /// <summary>Σ_r δ[r, :] over the batch (the offsets' share of the gradient is −μ_c times it).</summary>
    private Span<float> DeltaSums(float[] delta, int outputs)
    {
        var sums = Correction(outputs);
        for (int r = 0; r < Rows; r++)
            System.Numerics.Tensors.TensorPrimitives.Add(sums, delta.AsSpan(r * outputs, outputs), sums);
        return sums;
    }

    /// <summary>
    /// <c>dWᵀ[k, :] (+)= Σ_r x[r, k]·δ[r, :]</c> into the transposed gradient (inputs x outputs): per nonzero one
    /// contiguous multiply-add, rows in order. Without <paramref name="accumulate"/> only the rows the previous batch
    /// wrote are cleared, so the gradient is zero wherever this batch has no nonzero, at no cost per untouched input.
    /// </summary>
    public void WeightGradientTransposed(float[] delta, int outputs, int inputs, float[] gradientTransposed, bool accumulate)
    {
        if (!accumulate)
            _written.Clear(column => gradientTransposed.AsSpan(column * outputs, outputs).Clear());

        for (int r = 0; r < Rows; r++)
        {
            var d = delta.AsSpan(r * outputs, outputs);
            for (int k = _rowPointers[r]; k < _rowPointers[r + 1]; k++)
            {
                var target = WrittenRow(gradientTransposed, _columns[k], outputs, inputs);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(d, _values[k], target, target);
            }
        }

        if (_offsetColumns.Length > 0)
        {
            var sums = DeltaSums(delta, outputs);
            for (int k = 0; k < _offsetColumns.Length; k++)
            {
                var target = WrittenRow(gradientTransposed, _offsetColumns[k], outputs, inputs);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(sums, -_offsets[k], target, target);
            }
        }
    }

    /// <summary>
    /// Forgets which gradient rows the last batch wrote, for a caller that cleared the whole gradient itself (data-parallel
    /// training: the reduction writes every rank's rows into it).
    /// </summary>
    public void ForgetWrittenRows() => _written.Clear(null);

    /// <summary>Row <paramref name="input"/> of the transposed gradient, recorded as written (so the next batch clears it).</summary>
    private Span<float> WrittenRow(float[] gradientTransposed, int input, int outputs, int inputs)
    {
        _written.Mark(input, inputs);
        return gradientTransposed.AsSpan(input * outputs, outputs);
    }

    /// <summary>The rows of the transposed layer gradient the last batch wrote.</summary>
    private readonly WrittenInputs _written = new();

    /// <summary>
    /// <c>dW[o, k] (+)= Σ_r δ[r, o]·x[r, k]</c> over the batch's nonzeros (δ rows x outputs, row-major); rows whose
    /// δ is zero (inactive neurons) add nothing and are skipped. Without <paramref name="accumulate"/> dW is cleared first.
    /// </summary>
    public void WeightGradient(float[] delta, int outputs, int inputs, float[] gradient, bool accumulate, int threads)
    {
        int rows = Rows;
        ForRanges(outputs, threads, (first, end) =>
        {
            for (int o = first; o < end; o++)
            {
                var row = gradient.AsSpan(o * inputs, inputs);
                if (!accumulate)
                    row.Clear();
                for (int r = 0; r < rows; r++)
                {
                    float d = delta[r * outputs + o];
                    if (d == 0f)
                        continue;
                    for (int k = _rowPointers[r]; k < _rowPointers[r + 1]; k++)
                        row[_columns[k]] = MathF.FusedMultiplyAdd(d, _values[k], row[_columns[k]]);
                }
            }
        });
        if (_offsetColumns.Length > 0)
        {
            var sums = DeltaSums(delta, outputs);
            for (int o = 0; o < outputs; o++)
            {
                for (int k = 0; k < _offsetColumns.Length; k++)
                    gradient[o * inputs + _offsetColumns[k]] = MathF.FusedMultiplyAdd(-_offsets[k], sums[o], gradient[o * inputs + _offsetColumns[k]]);
            }
        }
    }

    private void Reserve(int nonZeros)
    {
        if (_columns.Length >= nonZeros)
            return;
        int size = Math.Max(nonZeros, 2 * _columns.Length);
        _columns = new int[size];
        _values = new float[size];
    }

    /// <summary>Splits [0, <paramref name="count"/>) over threads in fixed ranges (at least 8 each): each item is computed by one thread, alone.</summary>
    private static void ForRanges(int count, int threads, Action<int, int> body) =>
        Kernels.ParallelRanges.Run(count, 1, Math.Min(threads, count / 8), body);
}
