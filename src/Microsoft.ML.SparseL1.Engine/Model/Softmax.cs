// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Numerics.Tensors;

namespace Microsoft.ML.SparseL1.Model;

/// <summary>Class probabilities from a row of logits, as every scoring path computes them.</summary>
internal static class Softmax
{
    /// <summary>
    /// <c>p[c] = exp(z[c] − max z) / Σ exp(z[k] − max z)</c>, in place. Shifting by the row's maximum keeps every
    /// exponent at or below 0, so a logit above about 88.7 (where <c>exp</c> overflows float) still gives finite
    /// probabilities, as ONNX Runtime's Softmax does (<c>TensorPrimitives.SoftMax</c> does not shift, and gave NaN).
    /// A NaN logit gives NaN probabilities; an infinite one gives NaN where <c>∞ − ∞</c> is formed.
    /// </summary>
    public static void InPlace(Span<float> logits)
    {
        if (logits.IsEmpty)
            return;
        float max = TensorPrimitives.Max(logits);
        TensorPrimitives.Subtract(logits, max, logits);
        TensorPrimitives.Exp(logits, logits);
        TensorPrimitives.Divide(logits, TensorPrimitives.Sum(logits), logits);
    }
}
