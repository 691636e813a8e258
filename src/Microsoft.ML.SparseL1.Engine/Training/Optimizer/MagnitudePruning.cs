// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Training.Optimizer;

/// <summary>
/// Keeps a layer's largest weights by magnitude and zeroes the rest, with their optimizer moments (a pruned weight then
/// looks like one the threshold zeroed long ago, not like one with a pending step). Used by the pruned start of
/// <c>SparsityTracking</c>.
/// </summary>
internal static class MagnitudePruning
{
    /// <summary>
    /// Keeps the <paramref name="keep"/> weights of largest magnitude (at a tie on the cut, the first in index order, so
    /// the result depends on the values alone) and zeroes the others and, where given, their moments.
    /// </summary>
    /// <returns>The nonzero weights left: <paramref name="keep"/>, or fewer when fewer were nonzero.</returns>
    public static int KeepLargest(Span<float> weights, int keep, Span<float> firstMoment = default, Span<float> secondMoment = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        if (firstMoment.Length != 0 && firstMoment.Length != weights.Length || secondMoment.Length != 0 && secondMoment.Length != weights.Length)
            throw new ArgumentException("The moments must be as long as the weights, or empty.", nameof(firstMoment));
        int nonZero = Kernels.ProximalKernels.CountNonZero(weights);
        if (keep >= nonZero)
            return nonZero;

        float[] magnitudes = new float[weights.Length];
        for (int i = 0; i < weights.Length; i++)
            magnitudes[i] = MathF.Abs(weights[i]);
        Array.Sort(magnitudes);
        // keep < nonZero, so the cut is a nonzero magnitude and every kept weight is nonzero.
        float cut = keep == 0 ? float.PositiveInfinity : magnitudes[^keep];
        int above = 0;
        foreach (float w in weights)
            above += MathF.Abs(w) > cut ? 1 : 0;
        int atCut = keep - above;
        for (int i = 0; i < weights.Length; i++)
        {
            float magnitude = MathF.Abs(weights[i]);
            if (magnitude > cut || magnitude == cut && atCut-- > 0)
                continue;
            weights[i] = 0f;
            if (firstMoment.Length != 0)
                firstMoment[i] = 0f;
            if (secondMoment.Length != 0)
                secondMoment[i] = 0f;
        }

        return keep;
    }
}
