// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.ML.SparseL1.Kernels;

namespace Microsoft.ML.SparseL1.Training.Passes;

/// <summary>
/// The weight gradient δᵀ·input of one layer computed for its active neurons only. A neuron whose delta is zero on
/// every row of the batch (all its outgoing weights are zero, or its ReLU is off for the whole batch: the dead
/// neurons that l1 training leaves by the hundred) has an exactly zero gradient row, so the GEMM runs on the
/// active columns of δ gathered side by side and the other rows are cleared. The GEMM sums every element in the
/// same order whatever rows it is given, so the result is bit-identical to the dense product.
/// </summary>
internal sealed class InactiveNeuronGradient
{
    /// <summary>Above this fraction of active neurons the gather and scatter cost more than the skipped rows save.</summary>
    internal const double MaxActiveFraction = 0.75;

    private readonly int _outputs;
    private readonly int _inputs;
    private readonly int[] _bitsSeen;
    private readonly int[] _active;
    private readonly float[] _activeDelta;
    private readonly float[] _activeGradient;

    public InactiveNeuronGradient(int inputs, int outputs, int maxBatchSize)
    {
        _inputs = inputs;
        _outputs = outputs;
        _bitsSeen = new int[outputs];
        _active = new int[outputs];
        _activeDelta = new float[checked(maxBatchSize * outputs)];
        _activeGradient = new float[checked(outputs * inputs)];
    }

    /// <summary>
    /// Writes (or with <paramref name="accumulate"/> adds) δᵀ·input into <paramref name="weightGradient"/>
    /// (outputs x inputs) when few enough neurons are active; returns false, having done nothing, otherwise.
    /// </summary>
    /// <param name="delta">rows x outputs, row-major.</param>
    /// <param name="rows">Rows of the batch.</param>
    /// <param name="input">The layer's input, rows x inputs.</param>
    /// <param name="weightGradient">Destination, outputs x inputs.</param>
    /// <param name="accumulate">Add instead of overwrite.</param>
    /// <param name="threads">Threads for the GEMM.</param>
    public bool TryMultiply(float[] delta, int rows, in MatrixOperand input, float[] weightGradient, bool accumulate, int threads)
    {
        int active = FindActive(delta, rows);
        if (active > MaxActiveFraction * _outputs)
            return false;

        for (int r = 0; r < rows; r++)
        {
            int source = r * _outputs, destination = r * active;
            for (int a = 0; a < active; a++)
                _activeDelta[destination + a] = delta[source + _active[a]];
        }

        DenseGemm.Multiply(MatrixOperand.RowMajor(_activeDelta, rows, active).Transpose(), input, _activeGradient, 0, _inputs, false, threads);

        // Each row is written once: the computed one for an active neuron, zeros (or nothing to add) for the rest.
        for (int o = 0, next = 0; o < _outputs; o++)
        {
            var row = weightGradient.AsSpan(o * _inputs, _inputs);
            if (next < active && _active[next] == o)
            {
                var computed = _activeGradient.AsSpan(next++ * _inputs, _inputs);
                if (accumulate)
                    TensorPrimitives.Add(row, computed, row);
                else
                    computed.CopyTo(row);
            }
            else if (!accumulate)
            {
                row.Clear();
            }
        }

        return true;
    }

    /// <summary>Lists the neurons whose delta has a nonzero (±0 counts as zero) on some row; returns how many.</summary>
    private int FindActive(float[] delta, int rows)
    {
        // One loop of System.Numerics vectors over the whole batch, not a library call per row: the call per row cost more
        // than the scan (docs/kernels.md, "Measured figures behind kernel choices"). An OR is exact, so any vector width
        // (or none) gives the same neurons.
        Array.Clear(_bitsSeen);
        var seen = _bitsSeen.AsSpan();
        var seenVectors = MemoryMarshal.Cast<int, Vector<int>>(seen);
        int vectorEnd = seenVectors.Length * Vector<int>.Count;
        for (int r = 0; r < rows; r++)
        {
            var row = MemoryMarshal.Cast<float, int>(delta.AsSpan(r * _outputs, _outputs));
            var rowVectors = MemoryMarshal.Cast<int, Vector<int>>(row);
            for (int v = 0; v < seenVectors.Length; v++)
                seenVectors[v] |= rowVectors[v];
            for (int o = vectorEnd; o < _outputs; o++)
                seen[o] |= row[o];
        }

        int active = 0;
        for (int o = 0; o < _outputs; o++)
        {
            if ((_bitsSeen[o] & int.MaxValue) != 0)
                _active[active++] = o;
        }

        return active;
    }
}
