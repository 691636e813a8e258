// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;

namespace Microsoft.ML.SparseL1;

/// <summary>Progress of a sparse MLP training, reported after every epoch.</summary>
/// <param name="SelectionIteration">The training run within the selection (0 and 1 are the probes; 0 also for a fixed λ; −1 for the refit).</param>
/// <param name="Epoch">The epoch that ended (1-based).</param>
/// <param name="Epochs">Maximum epochs of the run.</param>
/// <param name="Loss">Mean training loss over the epoch.</param>
/// <param name="LayerNonZeroCounts">Nonzero weights per layer after the epoch.</param>
/// <param name="Lambdas">λ_j of each layer in this run.</param>
/// <param name="Elapsed">Time since training started.</param>
/// <param name="RunTimeLeft">
/// Estimated time left in the current training run (its remaining epochs at its average epoch time so far). A run of the
/// selection can end early at its target, and how many runs the selection needs is not known in advance.
/// </param>
public sealed record SparseMlpProgress(int SelectionIteration, int Epoch, int Epochs, double Loss,
    IReadOnlyList<int> LayerNonZeroCounts, IReadOnlyList<float> Lambdas, TimeSpan Elapsed, TimeSpan RunTimeLeft)
{
    /// <summary>
    /// With <see cref="SelectionStrategy.SparsityTracking"/>: the nonzero weights (all layers) its schedule asked for at
    /// the epoch's end, from all weights down to the target; null for the other strategies and a fixed λ.
    /// </summary>
    public long? ScheduledNonZeroCount { get; init; }

    /// <summary>
    /// With <see cref="SelectionStrategy.SparsityTracking"/>: whether the zero pattern has been frozen by the epoch's end
    /// (the target reached, the l1 term off, the kept weights refitting with a decaying step).
    /// </summary>
    public bool PatternFrozen { get; init; }
}
