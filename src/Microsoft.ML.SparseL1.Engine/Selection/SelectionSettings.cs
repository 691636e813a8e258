// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;

namespace Microsoft.ML.SparseL1.Selection;

/// <summary>
/// The knobs of the parameter selection; the paper leaves most of them open (docs/algorithm.md §3). The user's choices
/// are required: their defaults live in <c>SparseMlpOptionsBase.Defaults</c> and the adapter resolves them.
/// </summary>
internal sealed record SelectionSettings
{
    /// <summary>One target per layer (true) or one total target over all layers (false).</summary>
    public required bool LayerWise { get; init; }

    /// <summary>Target nonzero counts: one per layer when <see cref="LayerWise"/>, else one.</summary>
    public required int[] Targets { get; init; }

    /// <summary>Relative tolerance of each target.</summary>
    public required float Tolerance { get; init; }

    /// <summary>Update runs after the two probes.</summary>
    public required int MaxIterations { get; init; }

    public required SelectionStrategy Strategy { get; init; }

    /// <summary>Probe 0, a λ expected to give too few nonzeros (the authors: 1e-3 regression, 1e-2 MNIST).</summary>
    public required float LargeProbe { get; init; }

    /// <summary>Probe 1, a λ expected to give too many nonzeros (the authors: 1e-7).</summary>
    public required float SmallProbe { get; init; }

    /// <summary>Epochs of the small-probe run (the authors: as many as every other run).</summary>
    public required int SmallProbeEpochs { get; init; }

    /// <summary>Layer-wise only: how many layers must be within tolerance (the authors used 3 of 4 once); null = all.</summary>
    public int? RequiredLayersWithinTolerance { get; init; }

    /// <summary>Epochs that must pass before the stop rule may fire (0 = the authors' behaviour: any step).</summary>
    public int MinimumEpochsBeforeStop { get; init; }

    /// <summary>
    /// Use the authors' accumulated gradient (last step's gradient plus the full-data gradient, a PyTorch
    /// <c>.grad</c> quirk) instead of the clean full-data gradient.
    /// </summary>
    public bool AccumulatedGradient { get; init; }

    /// <summary>
    /// End the large probe as soon as every count is below its tolerance window instead of training it to the end (the
    /// authors' code). The probe only tells the bracket that its λ is too large, and its gradient is never used, so the
    /// λ path is unchanged (a test compares both); soft-thresholding makes the counts fall along a run, so a probe
    /// below the window would end below it. Off only to test that equivalence.
    /// </summary>
    public bool EndLargeProbeOnceTooSparse { get; init; } = true;

    /// <summary>The nonzero count target <paramref name="group"/> is measured on: one layer's, or all layers' together.</summary>
    public long GroupCount(int[] layerCounts, int group) => LayerWise ? layerCounts[group] : layerCounts.Sum(c => (long)c);

    /// <summary>Whether <paramref name="count"/> meets target <paramref name="group"/> within the tolerance.</summary>
    public bool IsWithin(long count, int group) => Math.Abs(count - Targets[group]) <= Tolerance * Targets[group];
}
