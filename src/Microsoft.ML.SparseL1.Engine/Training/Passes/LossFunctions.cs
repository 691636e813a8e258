// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Training.Passes;

/// <summary>The data losses and their gradients with respect to the output layer's pre-activations.</summary>
internal static class LossFunctions
{
    /// <summary>
    /// Returns Σ_i ω_i ℓ(z_i, y_i) over the batch (in double) and writes
    /// <c>gradient[i, :] = ω_i · gradientScale · ∂ℓ/∂z_i</c>.
    /// </summary>
    /// <param name="kind">The loss.</param>
    /// <param name="outputs">rows x outputCount network outputs, row-major.</param>
    /// <param name="labels">The label of each row.</param>
    /// <param name="exampleWeights">The weight ω_i of each row, or empty for all ones.</param>
    /// <param name="outputCount">Outputs per row.</param>
    /// <param name="gradientScale">Usually 1 / (sum of the weights the mean divides by).</param>
    /// <param name="gradient">rows x outputCount destination; may be <paramref name="outputs"/>'s memory only if not read afterwards.</param>
    public static double Evaluate(LossKind kind, ReadOnlySpan<float> outputs, ReadOnlySpan<float> labels, ReadOnlySpan<float> exampleWeights,
        int outputCount, float gradientScale, Span<float> gradient)
    {
        int rows = labels.Length;
        double total = 0;
        for (int i = 0; i < rows; i++)
        {
            float weight = exampleWeights.IsEmpty ? 1f : exampleWeights[i];
            var z = outputs.Slice(i * outputCount, outputCount);
            var g = gradient.Slice(i * outputCount, outputCount);
            total += weight * kind switch
            {
                LossKind.SoftmaxCrossEntropy => SoftmaxCrossEntropy(z, (int)labels[i], weight * gradientScale, g),
                LossKind.SigmoidLogLoss => SigmoidLogLoss(z[0], labels[i], weight * gradientScale, g),
                _ => SquaredError(z[0], labels[i], weight * gradientScale, g),
            };
        }

        return total;
    }

    private static double SoftmaxCrossEntropy(ReadOnlySpan<float> z, int label, float scale, Span<float> gradient)
    {
        float max = float.NegativeInfinity;
        foreach (float value in z)
            max = MathF.Max(max, value);
        double sum = 0;
        foreach (float value in z)
            sum += Math.Exp(value - max);
        double logSum = Math.Log(sum);
        double loss = logSum + max - z[label];
        for (int c = 0; c < z.Length; c++)
        {
            double probability = Math.Exp(z[c] - max - logSum);
            gradient[c] = (float)((probability - (c == label ? 1.0 : 0.0)) * scale);
        }

        return loss;
    }

    private static double SigmoidLogLoss(float z, float label, float scale, Span<float> gradient)
    {
        // softplus(z) − y·z, with softplus written so that exp never overflows.
        double softplus = Math.Max(z, 0.0) + Math.Log(1.0 + Math.Exp(-Math.Abs((double)z)));
        double probability = 1.0 / (1.0 + Math.Exp(-(double)z));
        gradient[0] = (float)((probability - label) * scale);
        return softplus - (double)label * z;
    }

    private static double SquaredError(float z, float label, float scale, Span<float> gradient)
    {
        double residual = (double)z - label;
        gradient[0] = (float)(2.0 * residual * scale);
        return residual * residual;
    }
}
