// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Passes;

namespace Microsoft.ML.SparseL1.Training.Optimizer;

/// <summary>
/// One proximal step on all parameters: the optimiser's gradient step, then soft-thresholding of every
/// weight matrix j with threshold η·λ_j (biases never penalised), counting the nonzeros as it goes.
/// </summary>
internal sealed class ProximalOptimizer
{
    private readonly TrainingSettings _settings;
    private readonly float[][]? _weightMoments1, _weightMoments2, _biasMoments1, _biasMoments2;

    /// <summary>1 where a weight may move, 0 where it is frozen at zero; null when nothing is frozen.</summary>
    private float[]?[]? _mask;
    private int[]? _maskNonZero;
    private long _step;

    /// <param name="settings">The run's settings.</param>
    /// <param name="parameters">The parameters to step.</param>
    /// <param name="residentLayers">
    /// Whether frozen layers may keep their kept weights resident (<see cref="KeptWeights.MakeResident"/>), for products
    /// that read them there (training in one process): a transposed first layer on sparse rows
    /// (<see cref="TrainingSettings.ResidentFrozenFirstLayer"/>), any other layer below
    /// <see cref="FrozenLayerPass.BreakEvenDensity"/> (<see cref="TrainingSettings.SparseFrozenLayers"/>).
    /// </param>
    /// <param name="firstLayerTransposed">Whether the first layer is stored transposed (inputs x outputs) in this run (training on sparse rows).</param>
    public ProximalOptimizer(TrainingSettings settings, MlpParameters parameters, bool residentLayers = false, bool firstLayerTransposed = false)
    {
        _settings = settings;
        _residentAllowed = residentLayers;
        FirstLayerTransposed = firstLayerTransposed;
        Lambdas = (float[])settings.Lambdas.Clone();
        LearningRate = settings.LearningRate;
        ReweightOffset = settings.ReweightOffset;
        if (settings.Optimizer == SparseMlpOptimizer.Adam)
        {
            _weightMoments1 = Zeros(parameters.Weights);
            _weightMoments2 = Zeros(parameters.Weights);
            _biasMoments1 = Zeros(parameters.Biases);
            _biasMoments2 = Zeros(parameters.Biases);
        }

        if (settings.FreezeZeroWeights)
            FreezeZeroPattern(parameters);
    }

    /// <summary>λ_j of each layer for the next steps; a controller may change them between steps.</summary>
    public float[] Lambdas { get; }

    /// <summary>Step size η for the next steps; a schedule may change it between steps.</summary>
    public float LearningRate { get; set; }

    /// <summary>δ of the reweighted l1 penalty λ·δ/(|w|+δ) (Adam only); 0 is plain l1.</summary>
    public float ReweightOffset { get; set; }

    /// <summary>Whether the first layer is stored transposed (inputs x outputs) in this run (training on sparse rows).</summary>
    public bool FirstLayerTransposed { get; }

    /// <summary>How many times the zero pattern was frozen (a caller that keeps per-pattern state rebuilds it on a change).</summary>
    public int Freezes { get; private set; }

    /// <summary>
    /// The positions of the weights layer <paramref name="layer"/> still steps, when its pattern is frozen and it steps its
    /// kept weights only; null when it steps every weight (the gradient of every position is read).
    /// </summary>
    public int[]? KeptPositions(int layer) => _kept?[layer] is { } kept ? kept.Positions.ToArray() : null;

    private readonly bool _residentAllowed;

    /// <summary>
    /// Per layer, its kept weights when they are resident: the products read and write them there, and
    /// <see cref="Commit"/> writes them into the layer. Null when no layer is resident.
    /// </summary>
    public KeptWeights?[]? ResidentLayers { get; private set; }

    /// <summary>The first layer's kept weights when they are resident, else null.</summary>
    public KeptWeights? ResidentFirstLayer => ResidentLayers?[0];

    /// <summary>Writes resident weights into their layers, so that the parameters can be read whole (the run's end).</summary>
    public void Commit(MlpParameters parameters)
    {
        for (int j = 0; j < (ResidentLayers?.Length ?? 0); j++)
            ResidentLayers![j]?.WriteBack(parameters.Weights[j]);
    }

    /// <summary>
    /// Whether the zero pattern is held (<see cref="HoldZeroPattern"/>): the sparse layers step their nonzero weights only,
    /// under λ, until <see cref="ReleaseZeroPattern"/>.
    /// </summary>
    public bool Held { get; private set; }

    /// <summary>Whether the zero pattern is frozen (<see cref="FreezeZeroPattern"/>), not just held.</summary>
    public bool Frozen => _kept is not null && !Held;

    /// <summary>
    /// Until <see cref="ReleaseZeroPattern"/>, a layer that <see cref="Holds"/> (below <see cref="FrozenLayerPass.BreakEvenDensity"/>, in a network of at least <see cref="HoldMinimumWeights"/>) steps its
    /// nonzero weights only, resident (their products run on them, <see cref="FrozenLayerPass"/>), under the same λ; its
    /// zero weights skip these steps (their gradient and moments wait for the next step on the whole layer, where they
    /// may revive). Other layers step whole. The counts stay exact: a held weight the threshold zeroes is counted out.
    /// Dense rows in one process only; a no-op otherwise.
    /// </summary>
    public void HoldZeroPattern(MlpParameters parameters)
    {
        if (_kept is not null || !_residentAllowed || FirstLayerTransposed)
            return;
        int[] counts = parameters.CountNonZeroWeights();
        for (int j = 0; j < parameters.LayerCount; j++)
        {
            int inputs = parameters.LayerSizes[j], outputs = parameters.LayerSizes[j + 1];
            if (!Holds(parameters, j, counts[j]))
                continue;
            // The last hold's buffers serve again (a hold every few steps would otherwise allocate the layer's kept state each time).
            _heldBefore ??= new KeptWeights?[parameters.LayerCount];
            var kept = _heldBefore[j];
            if (kept is null)
                _heldBefore[j] = kept = new KeptWeights(parameters.Weights[j], _weightMoments1?[j], _weightMoments2?[j]);
            else
                kept.Regather(parameters.Weights[j], _weightMoments1?[j], _weightMoments2?[j]);
            kept.MakeResident(outputs, inputs);
            (_kept ??= new KeptWeights?[parameters.LayerCount])[j] = kept;
            (ResidentLayers ??= new KeptWeights?[parameters.LayerCount])[j] = kept;
        }

        Held = _kept is not null;
    }

    /// <summary>
    /// Whether <see cref="HoldZeroPattern"/> holds layer <paramref name="layer"/>: the network has at least
    /// <see cref="HoldMinimumWeights"/> weights, and the layer keeps fewer than <see cref="FrozenLayerPass.BreakEvenDensity"/>
    /// of its own.
    /// </summary>
    public static bool Holds(MlpParameters parameters, int layer, int nonZero) =>
        parameters.WeightCount >= HoldMinimumWeights && FrozenLayerPass.Pays(nonZero, parameters.Weights[layer].Length);

    /// <summary>
    /// The smallest network held: below it the products cost little against the rest of a step, and holding saved no time
    /// on the tabular benchmark's networks while it changed which weights revive. Every layer below the break-even is held,
    /// not only the large ones: a layer left free while the others are held takes the nonzeros they cannot regain, and the
    /// compact model then keeps more neurons (measurements: docs/kernels.md, "Before the freeze").
    /// </summary>
    public const int HoldMinimumWeights = 1 << 17;

    /// <summary>Per layer, the kept weights of the last hold, whose buffers the next hold reuses.</summary>
    private KeptWeights?[]? _heldBefore;

    /// <summary>Ends a <see cref="HoldZeroPattern"/>: the held weights and their moments go back into the layers.</summary>
    public void ReleaseZeroPattern(MlpParameters parameters)
    {
        if (!Held)
            return;
        Commit(parameters);
        for (int j = 0; j < parameters.LayerCount; j++)
            _kept![j]?.ReturnMoments(_weightMoments1?[j], _weightMoments2?[j]);
        _kept = null;
        ResidentLayers = null;
        Held = false;
    }

    /// <summary>From now on every weight that is zero now stays zero (the rest train freely unless λ is set again).</summary>
    public void FreezeZeroPattern(MlpParameters parameters)
    {
        ReleaseZeroPattern(parameters);
        // No hold after a freeze: the held layers' buffers go.
        _heldBefore = null;
        Freezes++;
        Commit(parameters);
        // A second freeze starts from the moments the kept-weight steps have been updating.
        for (int j = 0; j < parameters.LayerCount && _kept is not null; j++)
            _kept[j]?.ReturnMoments(_weightMoments1?[j], _weightMoments2?[j]);
        _maskNonZero = parameters.CountNonZeroWeights();
        _kept = new KeptWeights?[parameters.LayerCount];
        _mask = new float[]?[parameters.LayerCount];
        for (int j = 0; j < parameters.LayerCount; j++)
        {
            // A layer that steps its kept weights only needs no mask (a text model's first layer: 25 MB it need not hold).
            if (_maskNonZero[j] <= KeptStepDensity * parameters.Weights[j].Length)
                _kept[j] = new KeptWeights(parameters.Weights[j], _weightMoments1?[j], _weightMoments2?[j]);
            else
                _mask[j] = MaskOf(parameters.Weights[j]);
        }

        // Resident kept weights save a gather of the gradient and a scatter of the weights over the whole layer each
        // step, and let the products run over the kept weights only (docs/kernels.md, "Frozen layers").
        ResidentLayers = null;
        for (int j = 0; j < parameters.LayerCount && _residentAllowed; j++)
        {
            int inputs = parameters.LayerSizes[j], outputs = parameters.LayerSizes[j + 1];
            if (_kept[j] is not { } kept)
                continue;
            if (j == 0 && FirstLayerTransposed)
            {
                if (!_settings.ResidentFrozenFirstLayer)
                    continue;
                kept.MakeResident(inputs, outputs);
            }
            else if (_settings.SparseFrozenLayers && FrozenLayerPass.Pays(_maskNonZero[j], inputs * outputs))
            {
                kept.MakeResident(outputs, inputs);
            }
            else
            {
                continue;
            }

            (ResidentLayers ??= new KeptWeights?[parameters.LayerCount])[j] = kept;
        }
    }

    /// <summary>
    /// Below this density a frozen layer steps its kept weights only, gathered contiguous (<see cref="KeptWeights"/>):
    /// the frozen zeros would only be stepped and re-zeroed. Same kernels on the same values: the same weights, bit for bit.
    /// </summary>
    private const double KeptStepDensity = 0.5;

    /// <summary>Per layer after a freeze: the kept weights' step state, or null where the layer steps whole and is masked.</summary>
    private KeptWeights?[]? _kept;

    /// <summary>Applies one step and writes each layer's nonzero weight count into <paramref name="nonZeroCounts"/>.</summary>
    public void Step(MlpParameters parameters, float[][] weightGradients, float[][] biasGradients, int[] nonZeroCounts)
    {
        _step++;
        float rate = LearningRate;
        if (_settings.Optimizer == SparseMlpOptimizer.Sgd)
        {
            for (int j = 0; j < parameters.LayerCount; j++)
            {
                if (_kept?[j] is { Resident: true } resident)
                    HeldCount(j, resident.StepResident((w, g) => ProximalKernels.SgdStep(w, g, rate, rate * Lambdas[j])), nonZeroCounts);
                else if (_kept?[j] is { } kept)
                    kept.Step(parameters.Weights[j], weightGradients[j], (w, g) => ProximalKernels.SgdStep(w, g, rate, rate * Lambdas[j]));
                else
                    nonZeroCounts[j] = ProximalKernels.SgdStep(parameters.Weights[j], weightGradients[j], rate, rate * Lambdas[j]);
                ProximalKernels.SgdStep(parameters.Biases[j], biasGradients[j], rate, 0f);
            }

            ApplyMask(parameters, nonZeroCounts);
            return;
        }

        var coefficients = new AdamCoefficients(rate, _settings.AdamBeta1, _settings.AdamBeta2, _settings.AdamEpsilon, _step);
        for (int j = 0; j < parameters.LayerCount; j++)
        {
            float[] w = parameters.Weights[j], g = weightGradients[j], m = _weightMoments1![j], v = _weightMoments2![j];
            float lambda = Lambdas[j], offset = ReweightOffset;
            var gate = j == 0 && _settings.GateFirstLayerRevival && _kept?[j] is null && lambda > 0 ? _gate ??= new RevivalGate(w.Length) : null;
            gate?.Before(w, g);
            if (_kept?[j] is { Resident: true } resident)
                HeldCount(j, resident.StepResident((keptWeights, keptGradient) => ProximalKernels.AdamStep(keptWeights, keptGradient, resident.FirstMoment, resident.SecondMoment, coefficients, lambda, offset)), nonZeroCounts);
            else if (_kept?[j] is { } kept)
                kept.Step(w, g, (keptWeights, keptGradient) => ProximalKernels.AdamStep(keptWeights, keptGradient, kept.FirstMoment, kept.SecondMoment, coefficients, lambda, offset));
            else
                nonZeroCounts[j] = InChunks(w.Length, (start, length) => ProximalKernels.AdamStep(w.AsSpan(start, length), g.AsSpan(start, length),
                    m.AsSpan(start, length), v.AsSpan(start, length), coefficients, lambda, offset));
            if (gate is not null)
                nonZeroCounts[j] -= gate.After(w, lambda);
            ProximalKernels.AdamStep(parameters.Biases[j], biasGradients[j], _biasMoments1![j], _biasMoments2![j], coefficients, 0f);
        }

        ApplyMask(parameters, nonZeroCounts);
    }

    /// <summary>While the pattern is held, a held layer's count is its nonzero held weights (frozen, the pattern's count stands).</summary>
    private void HeldCount(int layer, int nonZeroKept, int[] nonZeroCounts)
    {
        if (Held)
            nonZeroCounts[layer] = nonZeroKept;
    }

    /// <summary>The first layer's revival gate, made at its first use.</summary>
    private RevivalGate? _gate;

    /// <summary>Elements per thread below which a layer's step runs on one thread.</summary>
    private const int ParallelChunk = 1 << 15;

    /// <summary>
    /// Runs an element-wise step over [0, <paramref name="length"/>) in contiguous chunks on the settings' threads (a wide
    /// first layer, e.g. 62,605 text slots x 100, is millions of weights) and sums the nonzero counts; element-wise, so the
    /// result does not depend on the split.
    /// </summary>
    private int InChunks(int length, Func<int, int, int> step)
    {
        int chunks = Math.Min(_settings.Threads, length / ParallelChunk);
        if (chunks <= 1)
            return step(0, length);
        var counts = new int[chunks];
        Kernels.WorkerTeam.Run(chunks, c =>
        {
            int start = (int)((long)length * c / chunks), end = (int)((long)length * (c + 1) / chunks);
            counts[c] = step(start, end - start);
        });
        return counts.Sum();
    }

    /// <summary>Re-zeroes frozen weights; the counts are the pattern's (a free weight landing exactly on 0 is not recounted).</summary>
    private void ApplyMask(MlpParameters parameters, int[] nonZeroCounts)
    {
        if (_mask is null)
            return;
        for (int j = 0; j < parameters.LayerCount; j++)
        {
            // Kept-weight steps never touch the frozen zeros.
            if (_kept?[j] is null)
                System.Numerics.Tensors.TensorPrimitives.Multiply(parameters.Weights[j], _mask[j]!, parameters.Weights[j]);
            nonZeroCounts[j] = _maskNonZero![j];
        }
    }

    /// <summary>1 where <paramref name="weights"/> is nonzero, 0 where it is zero.</summary>
    private static float[] MaskOf(float[] weights)
    {
        var mask = new float[weights.Length];
        for (int i = 0; i < weights.Length; i++)
            mask[i] = weights[i] != 0f ? 1f : 0f;
        return mask;
    }

    private static float[][] Zeros(float[][] shapes)
    {
        var result = new float[shapes.Length][];
        for (int j = 0; j < shapes.Length; j++)
            result[j] = new float[shapes[j].Length];
        return result;
    }
}
