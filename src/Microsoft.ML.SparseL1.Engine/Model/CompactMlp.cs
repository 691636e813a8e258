// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.SparseL1.Training;

namespace Microsoft.ML.SparseL1.Model;

/// <summary>
/// The compact predictor: the trained network with hidden neurons that cannot affect the output removed
/// (no outgoing nonzero weight), neurons with no incoming nonzero weight folded into the next layer's bias
/// (their output is the constant ReLU(bias)), and each layer stored dense or CSR by density.
/// </summary>
internal sealed class CompactMlp
{
    /// <summary>Validates and takes the layers.</summary>
    /// <param name="inputCount">The input row's length.</param>
    /// <param name="layers">The layers, each taking the previous one's outputs.</param>
    /// <param name="inputRange">The range finite inputs are clamped to, or null.</param>
    /// <param name="scoresByInputs">Whether a dense row's layers are scored by input where that is cheaper (<see cref="ScoresByInputs"/>).</param>
    /// <param name="encoding">The piecewise-linear encoding of the (clamped) inputs the first layer reads, or null.</param>
    /// <param name="scoreRange">The range finite outputs are clamped to (a regression's training labels), or null.</param>
    public CompactMlp(int inputCount, IReadOnlyList<CompactLayer> layers, InputRange? inputRange = null, bool scoresByInputs = false,
        PiecewiseLinearInputs? encoding = null, InputRange? scoreRange = null)
    {
        if (layers.Count == 0)
            throw new ArgumentException("A network has at least one layer.", nameof(layers));
        if (encoding is not null && encoding.InputCount != inputCount)
            throw new ArgumentException($"The input encoding takes {encoding.InputCount} inputs, not {inputCount}.", nameof(encoding));
        int firstInputs = encoding?.Width ?? inputCount;
        if (layers[0].Inputs != firstInputs)
            throw new ArgumentException($"The first layer takes {layers[0].Inputs} inputs, not {firstInputs}" + (encoding is null ? "." : " (the encoded slots)."), nameof(layers));
        for (int j = 1; j < layers.Count; j++)
        {
            if (layers[j].Inputs != layers[j - 1].Outputs)
                throw new ArgumentException($"Layer {j} takes {layers[j].Inputs} inputs but layer {j - 1} has {layers[j - 1].Outputs} outputs.", nameof(layers));
        }

        if (inputRange is not null && inputRange.Count != inputCount)
            throw new ArgumentException($"The input range has {inputRange.Count} inputs, not {inputCount}.", nameof(inputRange));
        if (scoreRange is not null && scoreRange.Count != layers[^1].Outputs)
            throw new ArgumentException($"The score range has {scoreRange.Count} outputs, not {layers[^1].Outputs}.", nameof(scoreRange));
        InputCount = inputCount;
        InputRange = inputRange;
        ScoreRange = scoreRange;
        Encoding = encoding;
        Layers = layers.ToArray();
        MaxWidth = Math.Max(Math.Max(inputCount, firstInputs), Layers.Max(l => l.Outputs));
        UsedInputs = encoding is null ? Layers[0].UsedInputs() : Layers[0].UsedInputs().Select(slot => encoding.SlotSources[slot]).Distinct().Order().ToArray();
        ScoresByInputs = scoresByInputs;
        _byInputs = scoresByInputs ? new Lazy<LayerByInputs?[]>(() => Layers.Select(LayerByInputs.For).ToArray()) : null;
    }

    public int InputCount { get; }

    public int OutputCount => Layers[^1].Outputs;

    public CompactLayer[] Layers { get; }

    /// <summary>The training range finite inputs are clamped to before the first layer, or null (models written before it existed).</summary>
    public InputRange? InputRange { get; }

    /// <summary>
    /// The range each finite output is clamped to after the last layer, or null: a regression's training labels, so that a
    /// row unlike the training rows cannot score beyond the labels training saw (a ReLU network extrapolates linearly; a
    /// tree ensemble's scores stay within its leaves'). NaN and infinite outputs are left as they are.
    /// </summary>
    public InputRange? ScoreRange { get; }

    /// <summary>
    /// The piecewise-linear encoding the (clamped) inputs pass through before the first layer, whose inputs are then its
    /// slots (<see cref="PiecewiseLinearInputs.Width"/>); null when the first layer reads the inputs themselves.
    /// </summary>
    public PiecewiseLinearInputs? Encoding { get; }

    /// <summary>The widest activation, for sizing scratch buffers.</summary>
    public int MaxWidth { get; }

    /// <summary>Input features with at least one nonzero weight, ascending.</summary>
    public int[] UsedInputs { get; }

    /// <summary>
    /// Whether <see cref="Predict"/> scores each layer by input where that is the cheaper product for the row
    /// (<see cref="LayerByInputs"/>): every model trained since model format 0x00010004. Its sums run in another order
    /// than the row-wise kernels', so models written before keep those and score as they did.
    /// </summary>
    public bool ScoresByInputs { get; }

    /// <summary>The layers by input, made on the first dense row of a model that <see cref="ScoresByInputs"/>.</summary>
    private readonly Lazy<LayerByInputs?[]>? _byInputs;

    /// <summary>Compacts trained parameters (on the encoded slots when <paramref name="encoding"/> is given).</summary>
    public static CompactMlp FromParameters(MlpParameters parameters, InputRange? inputRange = null, PiecewiseLinearInputs? encoding = null,
        InputRange? scoreRange = null)
    {
        int rawInputs = encoding?.InputCount ?? parameters.InputSize;
        int layers = parameters.LayerCount;
        var weights = parameters.Weights.Select(w => (float[])w.Clone()).ToArray();
        var biases = parameters.Biases.Select(b => (float[])b.Clone()).ToArray();
        var sizes = parameters.LayerSizes;
        var alive = new bool[layers - 1][];
        for (int h = 0; h < layers - 1; h++)
            alive[h] = Enumerable.Repeat(true, sizes[h + 1]).ToArray();

        // Removing a neuron can leave its upstream neighbours without outgoing weights: repeat to a fixed point.
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int h = 0; h < layers - 1; h++)
            {
                int inputs = sizes[h], width = sizes[h + 1], next = sizes[h + 2];
                for (int k = 0; k < width; k++)
                {
                    if (!alive[h][k])
                        continue;
                    bool incoming = weights[h].AsSpan(k * inputs, inputs).IndexOfAnyExcept(0f) >= 0;
                    bool outgoing = false;
                    for (int o = 0; o < next && !outgoing; o++)
                        outgoing = weights[h + 1][o * width + k] != 0f;
                    if (outgoing && incoming)
                        continue;
                    if (outgoing)
                    {
                        // Constant neuron: fold ReLU(bias) times its outgoing weights into the next bias.
                        float constant = MathF.Max(biases[h][k], 0f);
                        for (int o = 0; o < next; o++)
                        {
                            biases[h + 1][o] += weights[h + 1][o * width + k] * constant;
                            weights[h + 1][o * width + k] = 0f;
                        }
                    }

                    weights[h].AsSpan(k * inputs, inputs).Clear();
                    alive[h][k] = false;
                    changed = true;
                }
            }
        }

        // A hidden layer with no live neuron leaves nothing that depends on the input: the fixed point above has folded
        // every later neuron into the output bias, so the network is that constant. It is stored as one layer without
        // nonzero weights (a layer of width 0 would be no network the format or the kernels know).
        if (alive.Any(layer => !layer.Contains(true)))
        {
            int outputs = sizes[layers];
            return new CompactMlp(rawInputs, [CompactLayer.FromDense(new float[outputs * sizes[0]], (float[])biases[layers - 1].Clone(), outputs, sizes[0])], inputRange, scoresByInputs: true,
                encoding, scoreRange);
        }

        var compact = new List<CompactLayer>(layers);
        int[] keptInputs = Enumerable.Range(0, sizes[0]).ToArray();
        for (int j = 0; j < layers; j++)
        {
            int[] keptOutputs = j == layers - 1
                ? Enumerable.Range(0, sizes[j + 1]).ToArray()
                : Enumerable.Range(0, sizes[j + 1]).Where(k => alive[j][k]).ToArray();
            var matrix = new float[keptOutputs.Length * keptInputs.Length];
            for (int o = 0; o < keptOutputs.Length; o++)
            {
                for (int i = 0; i < keptInputs.Length; i++)
                    matrix[o * keptInputs.Length + i] = weights[j][keptOutputs[o] * sizes[j] + keptInputs[i]];
            }

            float[] bias = keptOutputs.Select(o => biases[j][o]).ToArray();
            compact.Add(CompactLayer.FromDense(matrix, bias, keptOutputs.Length, keptInputs.Length));
            keptInputs = keptOutputs;
        }

        return new CompactMlp(rawInputs, compact, inputRange, scoresByInputs: true, encoding, scoreRange);
    }

    /// <summary>Network outputs (before softmax or sigmoid) for one row; no allocation.</summary>
    /// <param name="features">The input row.</param>
    /// <param name="outputs">Destination of <see cref="OutputCount"/> values.</param>
    /// <param name="scratch">Two buffers of at least <see cref="MaxWidth"/> floats.</param>
    public void Predict(ReadOnlySpan<float> features, Span<float> outputs, (float[] A, float[] B) scratch)
    {
        // scratch.B is free until the second layer: it holds the row the first layer reads (scratch.A the clamped row on
        // the way to an encoding).
        features = Encoding is null
            ? FirstLayerInputs(features, scratch.B.AsSpan(0, InputCount), default)
            : FirstLayerInputs(features, scratch.A.AsSpan(0, InputCount), scratch.B.AsSpan(0, Encoding.Width));

        var first = Layers.Length == 1 ? outputs : scratch.A.AsSpan(0, Layers[0].Outputs);
        Multiply(0, features, first);
        PredictFrom(first, outputs, scratch);
        ClampScores(outputs);
    }

    /// <summary>
    /// Network outputs for one sparse row (its nonzero slots ascending, and their values); no allocation. The first
    /// layer costs the weights of the row's nonzero inputs only (<see cref="LayerColumns"/>).
    /// </summary>
    /// <param name="indices">The row's nonzero slots.</param>
    /// <param name="values">Their values.</param>
    /// <param name="outputs">Destination of <see cref="OutputCount"/> values.</param>
    /// <param name="scratch">Two buffers of at least <see cref="MaxWidth"/> floats.</param>
    public void PredictSparse(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, Span<float> outputs, (float[] A, float[] B) scratch)
    {
        if (InputRange is not null || Encoding is not null)
            throw new InvalidOperationException("A network with an input range or an input encoding scores dense rows (the range or the bins may move the implicit zeros); densify the row and call Predict.");
        var first = Layers.Length == 1 ? outputs : scratch.A.AsSpan(0, Layers[0].Outputs);
        (_firstLayerColumns ??= new LayerColumns(Layers[0])).Multiply(indices, values, first);
        if (NonFiniteInputs.Any(values))
            NonFiniteInputs.Propagate(Layers[0], indices, values, first);
        PredictFrom(first, outputs, scratch);
        ClampScores(outputs);
    }

    /// <summary>One row's outputs clamped to <see cref="ScoreRange"/>, where the model has one.</summary>
    private void ClampScores(Span<float> outputs)
    {
        if (ScoreRange is not null)
        {
            var scores = outputs[..OutputCount];
            ScoreRange.Clamp(scores, scores);
        }
    }

    /// <summary>The first layer by column, made on the first sparse row (concurrent first calls may each make one).</summary>
    private LayerColumns? _firstLayerColumns;

    /// <summary>The layers after the first, from its pre-activation output in <paramref name="first"/> (scratch.A).</summary>
    private void PredictFrom(Span<float> first, Span<float> outputs, (float[] A, float[] B) scratch)
    {
        if (Layers.Length == 1)
            return;
        System.Numerics.Tensors.TensorPrimitives.Max(first, 0f, first);
        ReadOnlySpan<float> input = first;
        float[] current = scratch.B, other = scratch.A;
        for (int j = 1; j < Layers.Length; j++)
        {
            var layer = Layers[j];
            if (j == Layers.Length - 1)
            {
                Multiply(j, input, outputs);
                return;
            }

            var y = current.AsSpan(0, layer.Outputs);
            Multiply(j, input, y);
            System.Numerics.Tensors.TensorPrimitives.Max(y, 0f, y);
            input = y;
            (current, other) = (other, current);
        }
    }

    /// <summary>
    /// Layer <paramref name="j"/> on one row (of inputs, or of activations): by input where the model does so and it is
    /// cheaper, else row-wise; a CSR first layer gives non-finite inputs the dense product's NaN (<see cref="NonFiniteInputs"/>).
    /// </summary>
    private void Multiply(int j, ReadOnlySpan<float> input, Span<float> y)
    {
        if (_byInputs?.Value[j] is { } byInputs && byInputs.TryMultiply(input, y))
            return;
        Layers[j].Multiply(input, y);
        if (j == 0 && Layers[0].IsSparse && NonFiniteInputs.Any(input))
            NonFiniteInputs.Propagate(Layers[0], default, input, y);
    }

    /// <summary>Rows scored together by <see cref="PredictBatch"/>: 64 keeps a 784-feature block in L2.</summary>
    internal const int BatchBlock = 64;

    /// <summary>
    /// Network outputs for <paramref name="rows"/> row-major feature rows, in blocks of <see cref="BatchBlock"/> rows
    /// laid out feature-major (features x rows): CSR layers then cost one vector multiply-add per nonzero and block,
    /// dense layers one GEMM. Gives the same values as <see cref="Predict"/> up to float rounding order.
    /// </summary>
    /// <param name="features">Row-major rows x <see cref="InputCount"/> features.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="outputs">Row-major rows x <see cref="OutputCount"/> outputs.</param>
    /// <param name="threads">Threads to spread the blocks over; results do not depend on it.</param>
    /// <param name="workspace">Buffers to reuse across calls (made by <see cref="CreateWorkspace"/>); null allocates them.</param>
    public void PredictBatch(ReadOnlySpan<float> features, int rows, Span<float> outputs, int threads = 1, BatchWorkspace? workspace = null)
    {
        if (features.Length != rows * InputCount || outputs.Length != rows * OutputCount)
            throw new ArgumentException($"Expected {rows} x {InputCount} features and {rows} x {OutputCount} outputs.", nameof(features));
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        int blocks = (rows + BatchBlock - 1) / BatchBlock;
        threads = Math.Max(1, Math.Min(threads, blocks));
        workspace ??= CreateWorkspace();
        workspace.Reserve(threads);
        if (threads == 1)
            PredictBlocks(features, outputs, rows, 0, blocks, workspace.For(0));
        else
            PredictBlocksOnThreads(features, outputs, rows, blocks, threads, workspace);
        ClampScores(outputs, rows);
    }

    /// <summary>
    /// <see cref="PredictBlocks"/> with the <paramref name="blocks"/> blocks split evenly between <paramref name="threads"/>
    /// threads. Blocks are independent, so splitting them between threads changes no result. Spans cannot be captured by
    /// the lambda, so the caller's memory is pinned for the duration and re-wrapped on each thread (no copies).
    /// </summary>
    private void PredictBlocksOnThreads(ReadOnlySpan<float> features, Span<float> outputs, int rows, int blocks, int threads, BatchWorkspace workspace)
    {
        unsafe
        {
            fixed (float* input = features)
            fixed (float* output = outputs)
            {
                nint inputAddress = (nint)input, outputAddress = (nint)output;
                int inputLength = features.Length, outputLength = outputs.Length;
                Kernels.WorkerTeam.Run(threads, t =>
                    PredictBlocks(new ReadOnlySpan<float>((void*)inputAddress, inputLength), new Span<float>((void*)outputAddress, outputLength),
                        rows, (int)((long)blocks * t / threads), (int)((long)blocks * (t + 1) / threads), workspace.For(t)));
            }
        }
    }

    /// <summary>Row-major outputs of <paramref name="rows"/> rows clamped to <see cref="ScoreRange"/>, where the model has one.</summary>
    private void ClampScores(Span<float> outputs, int rows)
    {
        for (int r = 0; ScoreRange is not null && r < rows; r++)
            ClampScores(outputs.Slice(r * OutputCount, OutputCount));
    }

    /// <summary>
    /// The row the first layer reads: <paramref name="row"/> clamped to the input range into <paramref name="clamped"/>
    /// (<see cref="InputCount"/> floats) and encoded into <paramref name="encoded"/> (<see cref="PiecewiseLinearInputs.Width"/>
    /// floats), each where the model does so; the row itself where it does neither.
    /// </summary>
    internal ReadOnlySpan<float> FirstLayerInputs(ReadOnlySpan<float> row, Span<float> clamped, Span<float> encoded)
    {
        if (InputRange is not null)
        {
            InputRange.Clamp(row, clamped);
            row = clamped;
        }

        if (Encoding is not null)
        {
            Encoding.Encode(row, encoded);
            row = encoded;
        }

        return row;
    }

    /// <summary>The first layer's inputs for a raw row with a non-finite input (the encoded slots when the model encodes; rare, so it allocates).</summary>
    private ReadOnlySpan<float> FirstLayerRow(ReadOnlySpan<float> row) =>
        Encoding is null ? row : FirstLayerInputs(row, new float[InputCount], new float[Encoding.Width]);

    /// <summary>Buffers for <see cref="PredictBatch"/> calls on this network.</summary>
    public BatchWorkspace CreateWorkspace() => new(MaxWidth * BatchBlock);

    private void PredictBlocks(ReadOnlySpan<float> features, Span<float> outputs, int rows, int firstBlock, int endBlock, (float[] Current, float[] Next) buffers)
    {
        var (current, next) = buffers;
        for (int start = firstBlock * BatchBlock; start < Math.Min(rows, endBlock * BatchBlock); start += BatchBlock)
        {
            int block = Math.Min(BatchBlock, rows - start);
            Kernels.GemmPackingTranspose.Transpose(features.Slice(start * InputCount, block * InputCount), InputCount, block, InputCount, current, block);
            InputRange?.ClampFeatureMajor(current.AsSpan(0, InputCount * block), block);
            if (Encoding is not null)
            {
                Encoding.EncodeFeatureMajor(current, block, next);
                (current, next) = (next, current);
            }

            for (int j = 0; j < Layers.Length; j++)
            {
                var layer = Layers[j];
                var y = next.AsSpan(0, layer.Outputs * block);
                if (layer.IsSparse)
                {
                    Kernels.CsrKernels.MultiplyFeatureMajor(layer.RowPointers, layer.ColumnIndices, layer.Values, layer.Bias, current, layer.Inputs, block, y);
                    for (int r = 0; j == 0 && r < block; r++)
                    {
                        var row = features.Slice((start + r) * InputCount, InputCount);
                        if (NonFiniteInputs.Any(row))
                            NonFiniteInputs.Propagate(layer, default, FirstLayerRow(row), y[r..], block);
                    }
                }
                else
                {
                    Kernels.DenseGemm.Multiply(Kernels.MatrixOperand.RowMajor(layer.DenseWeightArray, layer.Outputs, layer.Inputs),
                        Kernels.MatrixOperand.RowMajor(current, layer.Inputs, block), next, 0, block, false, 1);
                    for (int o = 0; o < layer.Outputs; o++)
                        System.Numerics.Tensors.TensorPrimitives.Add(y.Slice(o * block, block), layer.Bias[o], y.Slice(o * block, block));
                }

                if (j < Layers.Length - 1)
                    System.Numerics.Tensors.TensorPrimitives.Max(y, 0f, y);
                (current, next) = (next, current);
            }

            Kernels.GemmPackingTranspose.Transpose(current.AsSpan(0, OutputCount * block), block, OutputCount, block, outputs.Slice(start * OutputCount, block * OutputCount), OutputCount);
        }
    }
}
