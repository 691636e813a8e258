// Licensed under the MIT License. See LICENSE in the repository root.

namespace Microsoft.ML.SparseL1.Training.Passes;

/// <summary>The data loss of the network's output layer, always averaged (weighted) over the examples.</summary>
internal enum LossKind
{
    /// <summary>Multiclass: <c>log Σ exp(z) − z_y</c> (softmax cross-entropy); labels are class indices 0..K−1.</summary>
    SoftmaxCrossEntropy,

    /// <summary>Binary: <c>log(1 + exp(z)) − y·z</c> (sigmoid log-loss); labels are 0 or 1.</summary>
    SigmoidLogLoss,

    /// <summary>Regression: <c>(z − y)²</c>, without the factor 1/2, as in the paper.</summary>
    SquaredError,
}
