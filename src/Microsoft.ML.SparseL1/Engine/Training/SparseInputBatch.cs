// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Training;

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

    public SparseInputBatch(int maxRows)
    {
        _rowPointers = new int[maxRows + 1];
        _zeros = new float[maxRows];
    }

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
        ForOutputs(outputs, threads, (first, end) =>
        {
            for (int o = first; o < end; o++)
            {
                Kernels.CsrKernels.MultiplyVector(RowPointers, _columns, _values, _zeros.AsSpan(0, rows),
                    weights.AsSpan(o * inputs, inputs), transposed.AsSpan(o * rows, rows));
            }
        });
        Kernels.GemmPackingTranspose.Transpose(transposed.AsSpan(0, outputs * rows), rows, outputs, rows, z, outputs);
    }

    /// <summary>
    /// <c>dW[o, k] (+)= Σ_r δ[r, o]·x[r, k]</c> over the batch's nonzeros (δ rows x outputs, row-major); rows whose
    /// δ is zero (inactive neurons) add nothing and are skipped. Without <paramref name="accumulate"/> dW is cleared first.
    /// </summary>
    public void WeightGradient(float[] delta, int outputs, int inputs, float[] gradient, bool accumulate, int threads)
    {
        int rows = Rows;
        ForOutputs(outputs, threads, (first, end) =>
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
    }

    private void Reserve(int nonZeros)
    {
        if (_columns.Length >= nonZeros)
            return;
        int size = Math.Max(nonZeros, 2 * _columns.Length);
        _columns = new int[size];
        _values = new float[size];
    }

    /// <summary>Splits the outputs over threads in fixed ranges: each output's result is computed by one thread, alone.</summary>
    private static void ForOutputs(int outputs, int threads, Action<int, int> body)
    {
        threads = Math.Max(1, Math.Min(threads, outputs / 8));
        if (threads == 1)
        {
            body(0, outputs);
            return;
        }

        System.Threading.Tasks.Parallel.For(0, threads, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = threads },
            t => body(outputs * t / threads, outputs * (t + 1) / threads));
    }
}
