// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;

namespace Microsoft.ML.SparseL1;

/// <summary>Progress of a sparse MLP training, reported after every epoch.</summary>
/// <param name="SelectionIteration">The training run within the selection (0 for a fixed λ; probes are 1 and 2).</param>
/// <param name="Epoch">The epoch that ended (1-based).</param>
/// <param name="Epochs">Maximum epochs of the run.</param>
/// <param name="Loss">Mean training loss over the epoch.</param>
/// <param name="LayerNonZeroCounts">Nonzero weights per layer after the epoch.</param>
/// <param name="Lambdas">λ_j of each layer in this run.</param>
/// <param name="Elapsed">Time since training started.</param>
public sealed record SparseMlpProgress(int SelectionIteration, int Epoch, int Epochs, double Loss,
    IReadOnlyList<int> LayerNonZeroCounts, IReadOnlyList<float> Lambdas, TimeSpan Elapsed);
