// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Passes;

namespace Microsoft.ML.SparseL1.Tests.Infrastructure;

/// <summary>Seeded synthetic data sets for engine tests.</summary>
internal static class SyntheticData
{
    /// <summary>Rows whose label depends on a few of the features through a random teacher.</summary>
    public static TrainingData Make(LossKind loss, int rows, int columns, int classes, int seed, bool weighted = false)
    {
        var random = new Random(seed);
        float[] features = TestData.Uniform(random, rows * columns);
        float[] teacher = TestData.Uniform(random, columns * Math.Max(classes, 1));
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            var scores = new double[Math.Max(classes, 1)];
            for (int k = 0; k < scores.Length; k++)
            {
                for (int c = 0; c < Math.Min(columns, 5); c++)
                    scores[k] += teacher[k * columns + c] * features[r * columns + c];
            }

            labels[r] = loss switch
            {
                LossKind.SoftmaxCrossEntropy => Array.IndexOf(scores, Max(scores)),
                LossKind.SigmoidLogLoss => scores[0] > 0 ? 1f : 0f,
                _ => (float)(scores[0] + 0.1 * (random.NextDouble() - 0.5)),
            };
        }

        float[]? weights = null;
        if (weighted)
        {
            weights = new float[rows];
            for (int r = 0; r < rows; r++)
                weights[r] = (float)(0.5 + random.NextDouble());
        }

        return new TrainingData(features, labels, rows, columns, weights);
    }

    private static double Max(double[] values)
    {
        double max = double.NegativeInfinity;
        foreach (double v in values)
            max = Math.Max(max, v);
        return max;
    }
}
