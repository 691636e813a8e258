// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Passes;

namespace Microsoft.ML.SparseL1.Tests.Infrastructure;

/// <summary>
/// A double-precision MLP written independently of the engine (plain loops, no kernels): the reference
/// for central-difference gradient checks and loss values.
/// </summary>
internal static class ReferenceNetwork
{
    /// <summary>Weighted mean data loss over all rows, with parameters given in double.</summary>
    public static double MeanLoss(int[] sizes, double[][] weights, double[][] biases, TrainingData data, LossKind loss)
    {
        double total = 0, totalWeight = 0;
        for (int row = 0; row < data.Rows; row++)
        {
            double[] outputs = Forward(sizes, weights, biases, data.Features.AsSpan(row * sizes[0], sizes[0]));
            double weight = data.WeightOf(row);
            total += weight * ExampleLoss(outputs, data.Labels[row], loss);
            totalWeight += weight;
        }

        return total / totalWeight;
    }

    /// <summary>The network outputs for one input row, in double.</summary>
    public static double[] Forward(int[] sizes, double[][] weights, double[][] biases, ReadOnlySpan<float> input)
    {
        var activation = new double[sizes[0]];
        for (int c = 0; c < sizes[0]; c++)
            activation[c] = input[c];
        for (int j = 0; j < sizes.Length - 1; j++)
        {
            var next = new double[sizes[j + 1]];
            for (int o = 0; o < next.Length; o++)
            {
                double sum = biases[j][o];
                for (int i = 0; i < activation.Length; i++)
                    sum += weights[j][o * activation.Length + i] * activation[i];
                next[o] = j < sizes.Length - 2 ? Math.Max(sum, 0) : sum;
            }

            activation = next;
        }

        return activation;
    }

    public static double ExampleLoss(double[] z, double label, LossKind loss)
    {
        switch (loss)
        {
            case LossKind.SquaredError:
                return (z[0] - label) * (z[0] - label);
            case LossKind.SigmoidLogLoss:
                double p = 1 / (1 + Math.Exp(-z[0]));
                return -(label * Math.Log(p) + (1 - label) * Math.Log(1 - p));
            default:
                double sumExp = 0;
                foreach (double value in z)
                    sumExp += Math.Exp(value);
                return Math.Log(sumExp) - z[(int)label];
        }
    }

    public static double[][] ToDouble(float[][] values) => Array.ConvertAll(values, v => Array.ConvertAll(v, x => (double)x));
}
