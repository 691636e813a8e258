// Licensed under the MIT License. See LICENSE in the repository root.

namespace Microsoft.ML.SparseL1;

/// <summary>The gradient step that precedes each soft-thresholding (proximal) step.</summary>
public enum SparseMlpOptimizer
{
    /// <summary>
    /// Plain SGD, as in the paper: <c>W ← S_{η·λ}(W − η·∇L)</c>, biases <c>b ← b − η·∇L</c>.
    /// </summary>
    Sgd = 0,

    /// <summary>
    /// Adam (β1 = 0.9, β2 = 0.999, ε = 1e-8, bias-corrected) with the soft-threshold taken in Adam's diagonal
    /// metric: <c>d = √v̂ + ε</c>, <c>W ← S_{η·λ/d}(W − η·m̂/d)</c> element-wise, so that fixed points satisfy
    /// the l1 optimality conditions. Biases take the plain Adam step.
    /// </summary>
    Adam = 1,
}
