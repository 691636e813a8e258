// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;

namespace Microsoft.ML.SparseL1.Training.Optimizer;

/// <summary>
/// The first layer's weights grouped by input (a column of the outputs x inputs matrix, or a row when training on sparse
/// rows keeps it transposed): the group-lasso proximal step that drops whole inputs, and the hard cut to the strongest.
/// </summary>
internal static class InputGroups
{
    /// <summary>
    /// Block soft-thresholding, the proximal step of <c>threshold·Σ_i ‖W[:, i]‖₂</c>: every input's weights are scaled by
    /// <c>max(0, 1 − threshold/‖W[:, i]‖₂)</c>, so an input whose norm is below the threshold loses all its weights at once.
    /// </summary>
    /// <returns>The inputs with a nonzero weight left, and the layer's nonzero weights.</returns>
    /// <param name="weights">The first layer's weights.</param>
    /// <param name="inputs">Its inputs.</param>
    /// <param name="outputs">Its outputs.</param>
    /// <param name="transposed">Whether the weights are stored inputs x outputs.</param>
    /// <param name="threshold">The block threshold.</param>
    /// <param name="atMost">Shrink only while more than this many inputs are used (the schedule's count now): the penalty
    /// stops pressing once the schedule is met, since a dropped input rarely comes back (one step can still overshoot).</param>
    public static (int Used, int NonZero) Shrink(float[] weights, int inputs, int outputs, bool transposed, float threshold, double atMost)
    {
        var norms = Norms(weights, inputs, outputs, transposed);
        var factors = new float[inputs];
        bool shrink = norms.Count(n => n > 0) > atMost;
        for (int i = 0; i < inputs; i++)
            factors[i] = !shrink ? (norms[i] > 0 ? 1f : 0f) : norms[i] > threshold ? (float)(1 - threshold / norms[i]) : 0f;
        return Scale(weights, inputs, outputs, transposed, factors);
    }

    /// <summary>Per input, 1 for the <paramref name="keep"/> inputs of largest norm (ties: the lower index), else 0.</summary>
    public static float[] Strongest(float[] weights, int inputs, int outputs, bool transposed, int keep)
    {
        var norms = Norms(weights, inputs, outputs, transposed);
        var kept = new float[inputs];
        foreach (int i in Enumerable.Range(0, inputs).OrderByDescending(i => norms[i]).ThenBy(i => i).Take(keep))
            kept[i] = 1f;
        return kept;
    }

    /// <summary>Zeroes the weights of every input whose entry in <paramref name="kept"/> (from <see cref="Strongest"/>) is 0.</summary>
    /// <returns>The inputs with a nonzero weight left, and the layer's nonzero weights.</returns>
    public static (int Used, int NonZero) Keep(float[] weights, int inputs, int outputs, bool transposed, float[] kept) =>
        Scale(weights, inputs, outputs, transposed, kept);

    /// <summary>The Euclidean norm of each input's weights (in double).</summary>
    public static double[] Norms(float[] weights, int inputs, int outputs, bool transposed)
    {
        var squares = new double[inputs];
        for (int o = 0; o < outputs; o++)
        {
            for (int i = 0; i < inputs; i++)
            {
                double w = weights[transposed ? i * outputs + o : o * inputs + i];
                squares[i] += w * w;
            }
        }

        for (int i = 0; i < inputs; i++)
            squares[i] = Math.Sqrt(squares[i]);
        return squares;
    }

    private static (int Used, int NonZero) Scale(float[] weights, int inputs, int outputs, bool transposed, float[] factors)
    {
        var used = new bool[inputs];
        int nonZero = 0;
        for (int o = 0; o < outputs; o++)
        {
            for (int i = 0; i < inputs; i++)
            {
                int index = transposed ? i * outputs + o : o * inputs + i;
                float w = weights[index] * factors[i];
                weights[index] = w;
                if (w != 0f)
                {
                    nonZero++;
                    used[i] = true;
                }
            }
        }

        return (used.Count(u => u), nonZero);
    }
}
