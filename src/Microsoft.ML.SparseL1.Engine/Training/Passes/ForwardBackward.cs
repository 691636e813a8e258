// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.ML.SparseL1.Training.Optimizer;

namespace Microsoft.ML.SparseL1.Training.Passes;

/// <summary>
/// Forward and backward pass of one batch through a network, with every buffer allocated once for a
/// maximum batch size. Layout: activations and deltas are batch x width, row-major.
/// </summary>
internal sealed class ForwardBackward
{
    private readonly int[] _layerSizes;

    /// <summary>activations[0] is the input batch; activations[j] the output of layer j (after ReLU for hidden layers).</summary>
    private readonly float[][] _activations;
    private readonly float[][] _deltas;

    /// <summary>The input of the last forward pass, which the backward pass needs for the first layer's gradient.</summary>
    private MatrixOperand? _lastInput;

    /// <summary>The sparse input of the last forward pass, when it was sparse.</summary>
    private SparseInputBatch? _lastSparseInput;

    /// <summary>Rows of the last forward pass.</summary>
    private int _lastRows = -1;

    /// <summary>Per layer, the sparse forward product, made the first time the layer is sparse enough.</summary>
    private readonly SparseLayerForward?[] _sparseForward;

    /// <summary>Per layer, the products of its resident kept weights, made the first time the layer is resident.</summary>
    private readonly FrozenLayerPass?[] _frozen;

    /// <summary>Per layer, the weight gradient of the active neurons only, made when first enabled.</summary>
    private readonly InactiveNeuronGradient?[] _inactiveNeuronGradient;

    /// <summary>Nonzero weights per layer of the parameters passed to <c>Forward</c>, kept current by the caller; null = dense only.</summary>
    private int[]? _layerNonZeroCounts;

    public ForwardBackward(int[] layerSizes, int maxBatchSize, int threads)
    {
        _layerSizes = layerSizes;
        Threads = threads;
        MaxBatchSize = maxBatchSize;
        int layers = layerSizes.Length - 1;
        _activations = new float[layers + 1][];
        _deltas = new float[layers + 1][];
        // The input buffer is made on first use: sparse training never fills it (batch x columns can be large).
        _activations[0] = [];
        _deltas[0] = [];
        for (int j = 1; j <= layers; j++)
        {
            _activations[j] = new float[checked(maxBatchSize * layerSizes[j])];
            _deltas[j] = new float[checked(maxBatchSize * layerSizes[j])];
        }

        _sparseForward = new SparseLayerForward?[layers];
        _frozen = new FrozenLayerPass?[layers];
        _keptGradients = new float[]?[layers];
        _inactiveNeuronGradient = new InactiveNeuronGradient?[layers];
        WeightGradients = new float[layers][];
        BiasGradients = new float[layers][];
        for (int j = 0; j < layers; j++)
        {
            WeightGradients[j] = new float[layerSizes[j + 1] * layerSizes[j]];
            BiasGradients[j] = new float[layerSizes[j + 1]];
        }
    }

    public int MaxBatchSize { get; }

    /// <summary>
    /// Threads for the products. The owner may change it between batches (a batch run whole takes every thread, each half
    /// of a split batch a share): no result depends on it.
    /// </summary>
    public int Threads { get; set; }

    /// <summary>Layer products done by the sparse forward so far (diagnostics: shows which path ran).</summary>
    public long SparseLayerProducts { get; private set; }

    /// <summary>
    /// Whether <see cref="Backward"/> computes each layer's weight gradient for its active neurons only when most are
    /// inactive (bit-identical to the dense product; see <see cref="InactiveNeuronGradient"/>).
    /// </summary>
    public bool SkipInactiveNeurons { get; set; }

    /// <summary>
    /// Whether the first layer's weights (and so its gradient) are stored transposed, inputs x outputs: training on sparse
    /// rows keeps them so, because then each nonzero input costs one contiguous multiply-add of the layer width in the
    /// forward product and in the gradient, instead of a gather or scatter across the whole matrix. Sparse input only.
    /// </summary>
    public bool FirstLayerTransposed { get; set; }

    /// <summary>
    /// Per layer, its kept weights when they are resident (a frozen layer that trains by them only: the products read and
    /// write them there, <see cref="FrozenLayerPass"/>, or the sparse-row products for a transposed first layer); null
    /// entries, or a null array, where the layer's products run on its weights.
    /// </summary>
    public KeptWeights?[]? ResidentLayers { get; set; }

    /// <summary>
    /// Whether a resident layer's kept gradient goes into a buffer of this workspace (<see cref="KeptGradient"/>) rather
    /// than into <see cref="KeptWeights.Gradient"/>: for a second workspace whose gradient is added to the first's.
    /// </summary>
    public bool SeparateKeptGradients { get; init; }

    private readonly float[]?[] _keptGradients;

    /// <summary>The buffer a resident layer's kept gradient goes into: this workspace's own with <see cref="SeparateKeptGradients"/>.</summary>
    public float[] KeptGradient(int layer)
    {
        var kept = ResidentLayers?[layer] ?? throw new InvalidOperationException($"Layer {layer} is not resident.");
        if (!SeparateKeptGradients)
            return kept.Gradient;
        if (_keptGradients[layer]?.Length != kept.Gradient.Length)
            _keptGradients[layer] = new float[kept.Gradient.Length];
        return _keptGradients[layer]!;
    }

    /// <summary>Layer products done on resident kept weights so far (diagnostics: shows which path ran).</summary>
    public long FrozenLayerProducts { get; private set; }

    /// <summary>Weight gradients computed for the active neurons only so far (diagnostics).</summary>
    public long ActiveNeuronGradients { get; private set; }

    /// <summary>The input batch buffer (MaxBatchSize x input size) that callers fill before <c>Forward</c>.</summary>
    public float[] Input => _activations[0].Length > 0 ? _activations[0] : _activations[0] = new float[checked(MaxBatchSize * _layerSizes[0])];

    /// <summary>
    /// ∂(loss)/∂W per layer after <see cref="Backward"/>; a layer in <see cref="ResidentLayers"/> writes its kept gradient
    /// instead, and its entry here keeps whatever the last batch before it wrote.
    /// </summary>
    public float[][] WeightGradients { get; }

    /// <summary>∂(loss)/∂b per layer after <see cref="Backward"/>.</summary>
    public float[][] BiasGradients { get; }

    /// <summary>The network outputs (rows x output size) after <c>Forward</c>.</summary>
    public Span<float> Outputs(int rows) => _activations[^1].AsSpan(0, rows * _layerSizes[^1]);

    /// <summary>The output-layer delta buffer the loss writes its gradient into.</summary>
    public Span<float> OutputGradient(int rows) => _deltas[^1].AsSpan(0, rows * _layerSizes[^1]);

    /// <summary>
    /// Lets <c>Forward</c> multiply layers whose density is below <see cref="SparseLayerForward.BreakEvenDensity"/> by
    /// their nonzero weights only. <paramref name="layerNonZeroCounts"/> must count the nonzero weights of the
    /// parameters of every later <c>Forward</c> call (the trainer's optimizer updates it after each step); it only
    /// chooses the path, so a stale count costs speed, never correctness.
    /// </summary>
    public void UseSparseForward(int[] layerNonZeroCounts) => _layerNonZeroCounts = layerNonZeroCounts;

    /// <summary>Runs the batch in <see cref="Input"/> (its first <paramref name="rows"/> rows) through the network.</summary>
    public void Forward(MlpParameters parameters, int rows) => Forward(parameters, Input, 0, rows);

    /// <summary>Runs a batch of sparse rows through the network: the first layer multiplies by their nonzeros only.</summary>
    public void Forward(MlpParameters parameters, SparseInputBatch input) => Forward(parameters, null, input, 0, input.Rows);

    /// <summary>
    /// Runs <paramref name="rows"/> rows of <paramref name="input"/> (row-major, starting at row offset
    /// <paramref name="firstRow"/>) through the network; contiguous data needs no copy into <see cref="Input"/>.
    /// </summary>
    public void Forward(MlpParameters parameters, float[] input, int firstRow, int rows) => Forward(parameters, input, null, firstRow, rows);

    private void Forward(MlpParameters parameters, float[]? denseInput, SparseInputBatch? sparseInput, int firstRow, int rows)
    {
        if (rows > MaxBatchSize)
            throw new ArgumentOutOfRangeException(nameof(rows), $"Batch of {rows} rows exceeds the workspace size {MaxBatchSize}.");
        int layers = parameters.LayerCount;
        var previous = denseInput is null ? default : MatrixOperand.RowMajor(denseInput, rows, _layerSizes[0], firstRow * _layerSizes[0]);
        _lastInput = denseInput is null ? null : previous;
        if (FirstLayerTransposed && sparseInput is null)
            throw new InvalidOperationException("A transposed first layer is for sparse input only.");
        _lastSparseInput = sparseInput;
        _lastRows = rows;
        for (int j = 0; j < layers; j++)
        {
            int inputs = _layerSizes[j], outputs = _layerSizes[j + 1];
            float[] output = _activations[j + 1];
            var z = output.AsSpan(0, rows * outputs);
            var resident = ResidentLayers?[j];
            if (j == 0 && sparseInput is not null)
            {
                if (resident is not null)
                    sparseInput.ForwardKept(resident, outputs, z, Threads);
                else if (FirstLayerTransposed)
                    sparseInput.ForwardTransposed(parameters.Weights[0], outputs, z, Threads);
                else
                    sparseInput.Forward(parameters.Weights[0], inputs, outputs, z, Threads);
            }
            else if (resident is not null)
            {
                (_frozen[j] ??= new FrozenLayerPass(inputs, outputs, MaxBatchSize)).Forward(resident, previous, rows, z, Threads);
                FrozenLayerProducts++;
            }
            else if (_layerNonZeroCounts is { } counts && SparseLayerForward.Pays(counts[j], outputs * inputs))
            {
                var sparse = _sparseForward[j] ??= new SparseLayerForward(inputs, outputs, MaxBatchSize);
                sparse.Multiply(parameters.Weights[j], previous.Data.AsSpan(previous.Offset, rows * inputs), rows, z, Threads);
                SparseLayerProducts++;
            }
            else
            {
                var weightsTransposed = MatrixOperand.RowMajor(parameters.Weights[j], outputs, inputs).Transpose();
                DenseGemm.Multiply(previous, weightsTransposed, output, 0, outputs, false, Threads);
            }

            if (j < layers - 1)
                ActivationKernels.AddBiasRelu(z, parameters.Biases[j], rows);
            else
                ActivationKernels.AddBias(z, parameters.Biases[j], rows);
            previous = MatrixOperand.RowMajor(output, rows, outputs);
        }
    }

    /// <summary>
    /// Back-propagates the output gradient (written by the loss into <see cref="OutputGradient"/>) through the
    /// activations of the last <c>Forward</c> call. With <paramref name="accumulate"/> the gradients are added
    /// to <see cref="WeightGradients"/> and <see cref="BiasGradients"/> instead of replacing them.
    /// </summary>
    public void Backward(MlpParameters parameters, int rows, bool accumulate)
    {
        if (_lastRows < 0)
            throw new InvalidOperationException("Backward needs a Forward first.");
        if (_lastRows != rows)
            throw new ArgumentOutOfRangeException(nameof(rows), $"Backward over {rows} rows after a Forward over {_lastRows}.");
        for (int j = parameters.LayerCount - 1; j >= 0; j--)
        {
            int inputs = _layerSizes[j], outputs = _layerSizes[j + 1];
            float[] delta = _deltas[j + 1];
            var resident = ResidentLayers?[j];
            // dW = deltaᵀ · input (outputs x inputs); the sum runs over the batch in row order.
            if (j == 0 && _lastSparseInput is { } sparseInput)
            {
                if (resident is not null)
                    sparseInput.WeightGradientKept(delta, outputs, resident, accumulate);
                else if (FirstLayerTransposed)
                    sparseInput.WeightGradientTransposed(delta, outputs, inputs, WeightGradients[0], accumulate);
                else
                    sparseInput.WeightGradient(delta, outputs, inputs, WeightGradients[0], accumulate, Threads);
            }
            else if (resident is not null)
            {
                // The input gradient comes with the weight gradient, from the same transposed deltas.
                _frozen[j]!.Backward(resident, delta.AsSpan(0, rows * outputs), rows, KeptGradient(j), accumulate,
                    j > 0 ? _deltas[j].AsSpan(0, rows * inputs) : default, Threads);
            }
            else if (SkipInactiveNeurons && (_inactiveNeuronGradient[j] ??= new InactiveNeuronGradient(inputs, outputs, MaxBatchSize))
                    .TryMultiply(delta, rows, LayerInput(j, rows), WeightGradients[j], accumulate, Threads))
            {
                ActiveNeuronGradients++;
            }
            else
            {
                DenseGemm.Multiply(MatrixOperand.RowMajor(delta, rows, outputs).Transpose(), LayerInput(j, rows),
                    WeightGradients[j], 0, inputs, accumulate, Threads);
            }

            if (!accumulate)
                Array.Clear(BiasGradients[j]);
            ActivationKernels.AddColumnSums(delta.AsSpan(0, rows * outputs), rows, BiasGradients[j]);

            if (j == 0)
                break;

            // delta_{j-1} = delta_j · W_j, masked by the ReLU of layer j-1 (the input gradient is never needed).
            float[] previousDelta = _deltas[j];
            if (resident is null)
            {
                DenseGemm.Multiply(MatrixOperand.RowMajor(delta, rows, outputs), MatrixOperand.RowMajor(parameters.Weights[j], outputs, inputs),
                    previousDelta, 0, inputs, false, Threads);
            }

            ActivationKernels.ReluBackward(previousDelta.AsSpan(0, rows * inputs), _activations[j].AsSpan(0, rows * inputs));
        }
    }

    /// <summary>The (dense) input of layer <paramref name="j"/> in the last forward pass.</summary>
    private MatrixOperand LayerInput(int j, int rows) =>
        j == 0 ? _lastInput!.Value : MatrixOperand.RowMajor(_activations[j], rows, _layerSizes[j]);
}
