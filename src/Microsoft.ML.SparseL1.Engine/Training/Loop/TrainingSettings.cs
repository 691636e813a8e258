// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Training.Optimizer;
using Microsoft.ML.SparseL1.Training.Passes;

namespace Microsoft.ML.SparseL1.Training.Loop;

/// <summary>
/// Everything one proximal training run needs besides the data and the starting parameters. The choices a user makes
/// (optimizer, step, batch, epochs) are required here: their defaults live in one place, the options'
/// <c>SparseMlpOptionsBase.Defaults</c>, which the adapter resolves before it builds these settings.
/// </summary>
internal sealed record TrainingSettings
{
    public required LossKind Loss { get; init; }

    public required SparseMlpOptimizer Optimizer { get; init; }

    /// <summary>Step size η.</summary>
    public required float LearningRate { get; init; }

    /// <summary>Examples per step; 0 or at least the row count means full-batch steps in data order.</summary>
    public required int BatchSize { get; init; }

    /// <summary>Maximum number of passes over the data.</summary>
    public required int Epochs { get; init; }

    /// <summary>Seed of the per-epoch shuffles.</summary>
    public int Seed { get; init; }

    /// <summary>Threads for the matrix products.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>λ_j of each weight layer (0 = no l1 on that layer).</summary>
    public required float[] Lambdas { get; init; }

    /// <summary>
    /// Keep every weight that is zero at the start of training at zero (a refit of the surviving weights after
    /// the sparsity pattern was chosen). Biases stay free.
    /// </summary>
    public bool FreezeZeroWeights { get; init; }

    /// <summary>δ of the reweighted l1 penalty λ·δ/(|w|+δ) (Adam only); 0 is plain l1.</summary>
    public float ReweightOffset { get; init; }

    /// <summary>
    /// Multiply layers below <see cref="SparseLayerForward.BreakEvenDensity"/> by their nonzero weights only in the
    /// forward pass (equal to the dense product up to the order of the float additions). Off only to compare both.
    /// </summary>
    public bool SparseForward { get; init; } = true;

    /// <summary>
    /// Compute weight gradients for the active neurons only when most of a layer's are inactive (bit-identical to the
    /// dense product). Off only to compare both.
    /// </summary>
    public bool SkipInactiveNeurons { get; init; } = true;

    /// <summary>
    /// Gate the first layer's zero weights (<see cref="RevivalGate"/>): one that is zero stays zero unless its average
    /// gradient exceeds λ. Input selection turns it on. Adam only; not in the frozen phase.
    /// </summary>
    public bool GateFirstLayerRevival { get; init; }

    /// <summary>
    /// On sparse rows in one process, keep a frozen first layer's kept weights resident (<see cref="KeptWeights.MakeResident"/>)
    /// instead of gathering and scattering them through the whole layer each step (the same values). Off only to compare both.
    /// </summary>
    public bool ResidentFrozenFirstLayer { get; init; } = true;

    /// <summary>
    /// In one process, train a frozen layer below <see cref="FrozenLayerPass.BreakEvenDensity"/> by its kept weights only
    /// (<see cref="FrozenLayerPass"/>: the same model up to the order of the float additions). Off only to compare both.
    /// </summary>
    public bool SparseFrozenLayers { get; init; } = true;

    /// <summary>
    /// Split each batch of dense rows (in one process, from <see cref="BatchGradient.MinimumPartRows"/> x 2 rows) into two
    /// halves that run side by side, their gradients summed in a fixed order (<see cref="BatchGradient"/>): the same
    /// model for any thread count. Off only to compare both.
    /// </summary>
    public bool SplitBatches { get; init; } = true;

    /// <summary>
    /// Before the pattern is frozen, every this many steps one takes the gradient of every weight; the steps between hold
    /// the zero pattern (<see cref="ProximalOptimizer.HoldZeroPattern"/>): in a network of at least
    /// <see cref="ProximalOptimizer.HoldMinimumWeights"/> weights, a layer below <see cref="FrozenLayerPass.BreakEvenDensity"/>
    /// steps its nonzero weights only, so a zero weight can revive only on the whole-layer steps. 1: every step takes the whole gradient. Dense rows in one process; the callbacks must not
    /// read the weights during the run (input selection does, so it keeps 1).
    /// </summary>
    public int DenseGradientEvery { get; init; } = 1;

    public float AdamBeta1 { get; init; } = 0.9f;

    public float AdamBeta2 { get; init; } = 0.999f;

    public float AdamEpsilon { get; init; } = 1e-8f;

    /// <summary>The batch size actually used for <paramref name="rows"/> examples.</summary>
    public int EffectiveBatchSize(int rows) => EffectiveBatchSize(BatchSize, rows);

    /// <summary>The batch size actually used for <paramref name="rows"/> examples when <paramref name="batchSize"/> is asked (0 = full batch).</summary>
    public static int EffectiveBatchSize(int batchSize, int rows) => batchSize <= 0 ? rows : Math.Min(batchSize, rows);

    /// <summary>Optimizer steps in one pass over <paramref name="rows"/> examples in batches of <paramref name="batch"/> (the last one may be short).</summary>
    public static long StepsPerEpoch(int batch, int rows) => (rows + batch - 1) / batch;
}
