// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Kernels;

namespace Microsoft.ML.SparseL1.Training.Passes;

/// <summary>
/// The forward product of one weight layer when most of its weights are zero: the weights are compressed into CSR
/// (<see cref="CsrKernels.CompressRows"/>) before each pass (they change every step), the batch is transposed to feature-major, and
/// <see cref="CsrKernels.MultiplyFeatureMajor"/> does one vector multiply-add per nonzero and lane block, skipping the
/// zeros that the dense product multiplies. Each output neuron is summed by one thread over its nonzero inputs in
/// ascending order, so the result does not depend on the thread count. The backward pass stays dense: the proximal
/// step needs the gradient of every weight, zero or not, to decide whether it stays zero.
/// </summary>
internal sealed class SparseLayerForward
{
    /// <summary>
    /// Below this fraction of nonzero weights the sparse forward beats the dense GEMM on 128-row batches, CSR build and
    /// transposes included (measured by <c>Benchmarks -- json sparse-forward</c>).
    /// </summary>
    internal const double BreakEvenDensity = 0.15;

    private readonly int _inputs;
    private readonly int _outputs;
    private readonly int[] _rowPointers;
    private readonly int[] _columns;
    private readonly float[] _values;
    private readonly float[] _zeroBias;
    // Feature-major buffers on a cache line (AlignedFloats): their rows are read and written a vector at a time, and every
    // row stays on a line where the batch is a multiple of 16 rows.
    private readonly AlignedFloats _inputByFeature;
    private readonly AlignedFloats _outputByNeuron;

    public SparseLayerForward(int inputs, int outputs, int maxBatchSize)
    {
        _inputs = inputs;
        _outputs = outputs;
        _rowPointers = new int[outputs + 1];
        _columns = new int[checked(inputs * outputs)];
        _values = new float[_columns.Length];
        _zeroBias = new float[outputs];
        _inputByFeature = AlignedFloats.Allocate(checked(inputs * maxBatchSize));
        _outputByNeuron = AlignedFloats.Allocate(checked(outputs * maxBatchSize));
    }

    /// <summary>Whether a layer of <paramref name="weightCount"/> weights with <paramref name="nonZero"/> nonzeros takes this path.</summary>
    public static bool Pays(int nonZero, int weightCount) => nonZero < BreakEvenDensity * weightCount;

    /// <summary>
    /// <c>output[r, o] = Σ_i input[r, i] · weights[o, i]</c> over the nonzero weights, for <paramref name="rows"/> rows;
    /// input is rows x inputs and output rows x outputs, both row-major. No bias: the caller adds it, as after the GEMM.
    /// </summary>
    public void Multiply(float[] weights, ReadOnlySpan<float> input, int rows, Span<float> output, int threads)
    {
        CsrKernels.CompressRows(weights, _outputs, _inputs, _rowPointers, _columns, _values);
        GemmPackingTranspose.Transpose(input, _inputs, rows, _inputs, _inputByFeature.Span[..(_inputs * rows)], rows);
        ParallelRanges.Run(_outputs, 1, DenseGemm.ThreadsFor((long)_rowPointers[_outputs] * rows, threads), (first, end) => MultiplyNeurons(first, end, rows));

        GemmPackingTranspose.Transpose(_outputByNeuron.Span[..(_outputs * rows)], rows, _outputs, rows, output, _outputs);
    }

    private void MultiplyNeurons(int first, int end, int rows) =>
        CsrKernels.MultiplyFeatureMajor(_rowPointers.AsSpan(first, end - first + 1), _columns, _values, _zeroBias.AsSpan(first, end - first),
            _inputByFeature.Span[..(_inputs * rows)], _inputs, rows, _outputByNeuron.Span.Slice(first * rows, (end - first) * rows));
}
