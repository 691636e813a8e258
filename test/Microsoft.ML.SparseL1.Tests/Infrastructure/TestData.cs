// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Tests.Infrastructure;

/// <summary>Seeded random arrays for tests.</summary>
internal static class TestData
{
    public static float[] Uniform(Random random, int length, float scale = 1f)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
            values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        return values;
    }

    /// <summary>Keeps each weight with probability <paramref name="fraction"/> and zeroes the rest (a sparse layer to test).</summary>
    public static void KeepFraction(float[] weights, double fraction, Random random)
    {
        for (int i = 0; i < weights.Length; i++)
        {
            if (random.NextDouble() >= fraction)
                weights[i] = 0f;
        }
    }

    /// <summary>Lengths 0..256 (every tail of every vector width) plus a large odd one.</summary>
    public static int[] Lengths()
    {
        var lengths = new int[258];
        for (int i = 0; i <= 256; i++)
            lengths[i] = i;
        lengths[257] = 4099;
        return lengths;
    }

    public static void AssertClose(double expected, double actual, double relative, double absolute, string what)
    {
        double tolerance = absolute + relative * Math.Abs(expected);
        if (!(Math.Abs(expected - actual) <= tolerance))
            throw new Microsoft.VisualStudio.TestTools.UnitTesting.AssertFailedException(
                $"{what}: expected {expected:R}, got {actual:R} (tolerance {tolerance:R}).");
    }

    /// <summary>The weight from <paramref name="input"/> to <paramref name="output"/> of a layer, dense or CSR (0 where the CSR row has no entry).</summary>
    public static float Weight(SparseMlpLayer layer, int output, int input)
    {
        if (!layer.IsSparse)
            return layer.DenseWeights[output * layer.InputCount + input];
        for (int k = layer.RowPointers[output]; k < layer.RowPointers[output + 1]; k++)
        {
            if (layer.ColumnIndices[k] == input)
                return layer.Values[k];
        }

        return 0f;
    }
}
