// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Training.Data;
using SparseL1.Examples.Shared;

namespace Microsoft.ML.SparseL1.Benchmarks;

/// <summary>The inputs the console benchmarks share: the Fashion-MNIST training set and seeded random matrices.</summary>
internal static class BenchmarkData
{
    /// <summary>All 60,000 Fashion-MNIST training images as an engine data set (labels as class indices).</summary>
    public static TrainingData FashionTrainingSet()
    {
        var (pixels, labels, rows) = FashionMnist.Load(train: true);
        return new TrainingData(pixels, Array.ConvertAll(labels, l => (float)l), rows, 784);
    }

    /// <summary>Values uniform in (-1, 1); with <paramref name="density"/> below 1, each kept with that probability, else 0.</summary>
    public static float[] Uniform(Random random, int length, double density = 1)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
            values[i] = density >= 1 || random.NextDouble() < density ? (float)(random.NextDouble() * 2 - 1) : 0f;
        return values;
    }
}
