// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Model;

/// <summary>
/// The class a multiclass network names for a row: the first of its largest outputs. The ML.NET predictor's
/// PredictedLabel and the trainer's validation error rate read it from here, so they agree on ties.
/// </summary>
internal static class PredictedClass
{
    /// <summary>The index of the first largest value of <paramref name="outputs"/> (0 for an empty span).</summary>
    public static int Of(ReadOnlySpan<float> outputs)
    {
        int best = 0;
        for (int i = 1; i < outputs.Length; i++)
        {
            if (outputs[i] > outputs[best])
                best = i;
        }

        return best;
    }
}
