// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.ML.SparseL1.Training.Optimizer;

namespace Microsoft.ML.SparseL1.Training.Passes;

/// <summary>
/// The products of one layer whose zero pattern is frozen and whose kept weights are resident
/// (<see cref="KeptWeights.MakeResident"/>, outputs x inputs), on a dense batch: the forward product, the kept weights'
/// gradient and the input gradient, each over the kept weights only. The layout is SparseProp's (Nikdan et al., ICML
/// 2023): the batch contiguous per feature, so that each kept weight costs one vector multiply-add per block of lanes in
/// the forward product and the input gradient, and one dot product over the batch in the weight gradient. The batch is
/// transposed to that layout on the way in and the results back, so the rest of the network keeps its row-major layout.
/// </summary>
/// <remarks>
/// Each output neuron (forward product) or input (input gradient) is summed by one thread, over its kept weights in
/// ascending order, and each kept weight's gradient is one dot product over the batch by one thread, so the result does
/// not depend on the thread count. It equals the dense products of
/// the layer with its zeros up to the order of the float additions (FrozenLayerPassTests bound the difference).
/// </remarks>
internal sealed class FrozenLayerPass
{
    /// <summary>
    /// Below this fraction of kept weights a frozen layer trains by its kept weights only: the measured break-even of a
    /// whole step's products against the dense GEMM on this layout (docs/kernels.md, "Frozen layers").
    /// </summary>
    internal const double BreakEvenDensity = 0.25;

    /// <summary>
    /// The output neurons whose kept weights' gradient is taken together (<see cref="KeptWeights.ByOutputGroups"/>): their
    /// delta rows, 32 x 128 floats (16 KB) at the trainer's batch, leave room in a first-level cache of 32-48 KB for the
    /// input rows read beside them. Groups of 64 rows measured the same (docs/kernels.md).
    /// </summary>
    private const int GradientGroupRows = 32;

    private readonly int _inputs;
    private readonly int _outputs;
    // The feature-major buffers start on a cache line (AlignedFloats): their rows are read a 512-bit vector at a time, and
    // from an ordinary array's start every such load crossed two lines. Every row stays on a line where the batch is a
    // multiple of 16 rows (the trainer's 128, or 64 a half of a split batch).
    private readonly AlignedFloats _inputByFeature;
    private readonly AlignedFloats _byNeuron;
    private readonly float[] _zeroBias;
    private AlignedFloats _inputGradientByFeature;
    private float[] _valuesByColumn = [];

    public FrozenLayerPass(int inputs, int outputs, int maxBatchSize)
    {
        _inputs = inputs;
        _outputs = outputs;
        _inputByFeature = AlignedFloats.Allocate(checked(inputs * maxBatchSize));
        _byNeuron = AlignedFloats.Allocate(checked(outputs * maxBatchSize));
        _zeroBias = new float[Math.Max(inputs, outputs)];
    }

    /// <summary>Whether a layer of <paramref name="weightCount"/> weights keeping <paramref name="kept"/> trains by its kept weights.</summary>
    public static bool Pays(int kept, int weightCount) => kept < BreakEvenDensity * weightCount;

    /// <summary>
    /// <c>output[r, o] = Σ_i input[r, i] · W[o, i]</c> over the kept weights, for <paramref name="rows"/> rows of the
    /// row-major <paramref name="input"/>; output is rows x outputs, row-major. No bias: the caller adds it. The input's
    /// transpose is kept for <see cref="Backward"/>.
    /// </summary>
    public void Forward(KeptWeights kept, MatrixOperand input, int rows, Span<float> output, int threads)
    {
        GemmPackingTranspose.Transpose(input.Data.AsSpan(input.Offset), input.RowStride, rows, _inputs, InputByFeature(rows), rows);
        InParts(_outputs, kept.Count, rows, threads, (first, end) =>
            CsrKernels.MultiplyFeatureMajor(kept.RowStarts.AsSpan(first, end - first + 1), kept.Columns, kept.Values, _zeroBias.AsSpan(0, end - first),
                InputByFeature(rows), _inputs, rows, ByNeuron(rows).Slice(first * rows, (end - first) * rows)));
        GemmPackingTranspose.Transpose(ByNeuron(rows), rows, _outputs, rows, output, _outputs);
    }

    /// <summary>
    /// From the output gradient <paramref name="delta"/> (rows x outputs, row-major) of the last <see cref="Forward"/>'s
    /// batch: the kept weights' gradient into <paramref name="keptGradient"/> (one entry per kept weight, in their order;
    /// added with <paramref name="accumulate"/>)
    /// and, unless <paramref name="inputGradient"/> is empty, <c>inputGradient[r, i] = Σ_o delta[r, o] · W[o, i]</c>
    /// (rows x inputs, row-major).
    /// </summary>
    public void Backward(KeptWeights kept, ReadOnlySpan<float> delta, int rows, float[] keptGradient, bool accumulate, Span<float> inputGradient, int threads)
    {
        GemmPackingTranspose.Transpose(delta, _outputs, rows, _outputs, ByNeuron(rows), rows);
        // The gradient kernel reads its rows unchecked: the list must be this layer's and the buffers the batch's.
        if (kept.RowStarts.Length != _outputs + 1 || kept.ColumnCount != _inputs || keptGradient.Length < kept.Count || delta.Length < rows * _outputs)
            throw new ArgumentException($"The kept weights ({kept.RowStarts.Length - 1} x {kept.ColumnCount}, {kept.Count} kept) or the buffers do not fit this {_outputs} x {_inputs} layer.", nameof(kept));
        // Every entry's sum is the same whichever thread takes it, so the list is split evenly, not by groups.
        var (_, outputRows, inputColumns, gradientIndices) = kept.ByOutputGroups(GradientGroupRows);
        InParts(kept.Count, kept.Count, rows, threads, (first, end) =>
            KeptGradientKernels.Gradient(outputRows, inputColumns, gradientIndices, ByNeuron(rows), InputByFeature(rows), rows,
                first, end, keptGradient, accumulate));
        if (inputGradient.IsEmpty)
            return;

        // The input gradient reads the layer by columns: the kept weights in column order, gathered afresh (they change every step).
        var (starts, neurons, entries) = kept.ByColumn();
        if (_valuesByColumn.Length < kept.Count)
            _valuesByColumn = new float[entries.Length];
        float[] values = kept.Values;
        for (int i = 0; i < kept.Count; i++)
            _valuesByColumn[i] = values[entries[i]];
        if (_inputGradientByFeature.Length == 0)
            _inputGradientByFeature = AlignedFloats.Allocate(_inputByFeature.Length);
        InParts(_inputs, kept.Count, rows, threads, (first, end) =>
            CsrKernels.MultiplyFeatureMajor(starts.AsSpan(first, end - first + 1), neurons, _valuesByColumn, _zeroBias.AsSpan(0, end - first),
                ByNeuron(rows), _outputs, rows, InputGradientByFeature(rows).Slice(first * rows, (end - first) * rows)));
        GemmPackingTranspose.Transpose(InputGradientByFeature(rows), rows, _inputs, rows, inputGradient, _inputs);
    }

    /// <summary>The batch's inputs, feature-major (inputs x <paramref name="rows"/>).</summary>
    private Span<float> InputByFeature(int rows) => _inputByFeature.Span[..(_inputs * rows)];

    /// <summary>The outputs, or the output gradient, by neuron (outputs x <paramref name="rows"/>).</summary>
    private Span<float> ByNeuron(int rows) => _byNeuron.Span[..(_outputs * rows)];

    /// <summary>The input gradient, feature-major (inputs x <paramref name="rows"/>).</summary>
    private Span<float> InputGradientByFeature(int rows) => _inputGradientByFeature.Span[..(_inputs * rows)];

    /// <summary>Runs <paramref name="work"/> over [0, <paramref name="count"/>) in contiguous parts, one per thread the product's size pays for.</summary>
    private static void InParts(int count, int kept, int rows, int threads, Action<int, int> work) =>
        ParallelRanges.Run(count, 1, DenseGemm.ThreadsFor((long)kept * rows, threads), work);
}
