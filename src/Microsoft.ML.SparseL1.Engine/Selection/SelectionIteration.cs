// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.Generic;

namespace Microsoft.ML.SparseL1;

/// <summary>One training run of the parameter selection.</summary>
/// <param name="Iteration">0 and 1 are the probes; 2.. the updates.</param>
/// <param name="Lambdas">λ_j of each weight layer in this run.</param>
/// <param name="LayerNonZeroCounts">Nonzero weights per layer of the network this run returned.</param>
/// <param name="TrainingLoss">Full training-set data loss of that network.</param>
/// <param name="Epochs">Epochs run (the last one possibly cut short by the stop rule).</param>
/// <param name="StoppedAtTarget">Whether the stop rule fired (the counts entered the tolerance window).</param>
/// <param name="Seconds">Wall time of the run, gradient pass included.</param>
/// <param name="Note">How the next λ was chosen (bracket, median, midpoint, ×10 expansion).</param>
public sealed record SelectionIteration(int Iteration, IReadOnlyList<float> Lambdas, IReadOnlyList<int> LayerNonZeroCounts,
    double TrainingLoss, int Epochs, bool StoppedAtTarget, double Seconds, string Note);
