// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;

namespace Microsoft.ML.SparseL1.Training;

/// <summary>
/// The weights and biases of a fully connected network. Layer j (0-based) maps
/// <c>LayerSizes[j]</c> inputs to <c>LayerSizes[j + 1]</c> outputs; its weight matrix is stored
/// row-major as outputs x inputs (the PyTorch layout, so a CSR row is an output neuron).
/// </summary>
internal sealed class MlpParameters
{
    public MlpParameters(int[] layerSizes)
    {
        ArgumentNullException.ThrowIfNull(layerSizes);
        if (layerSizes.Length < 2)
            throw new ArgumentException("A network needs at least an input and an output size.", nameof(layerSizes));
        for (int i = 0; i < layerSizes.Length; i++)
        {
            if (layerSizes[i] <= 0)
                throw new ArgumentOutOfRangeException(nameof(layerSizes), $"Layer size {i} is {layerSizes[i]}; every size must be positive.");
        }

        LayerSizes = (int[])layerSizes.Clone();
        Weights = new float[LayerCount][];
        Biases = new float[LayerCount][];
        for (int j = 0; j < LayerCount; j++)
        {
            Weights[j] = new float[checked(layerSizes[j + 1] * layerSizes[j])];
            Biases[j] = new float[layerSizes[j + 1]];
        }
    }

    /// <summary>Input size, hidden sizes, output size.</summary>
    public int[] LayerSizes { get; }

    /// <summary>The number of weight layers D.</summary>
    public int LayerCount => LayerSizes.Length - 1;

    public int InputSize => LayerSizes[0];

    public int OutputSize => LayerSizes[^1];

    /// <summary>Weight matrix of each layer, outputs x inputs, row-major.</summary>
    public float[][] Weights { get; }

    /// <summary>Bias vector of each layer.</summary>
    public float[][] Biases { get; }

    /// <summary>Total number of weights (biases excluded).</summary>
    public long WeightCount => Weights.Sum(w => (long)w.Length);

    /// <summary>
    /// The PyTorch default initialisation the paper's experiments use: weights and biases of layer j drawn
    /// from U(−1/√fan_in, 1/√fan_in), in layer order, weights (row-major) before biases.
    /// </summary>
    public static MlpParameters Initialize(int[] layerSizes, int seed)
    {
        var parameters = new MlpParameters(layerSizes);
        var random = DeterministicRandom.ForStream(seed, -1);
        for (int j = 0; j < parameters.LayerCount; j++)
        {
            double bound = 1.0 / Math.Sqrt(layerSizes[j]);
            Fill(parameters.Weights[j], random, bound);
            Fill(parameters.Biases[j], random, bound);
        }

        return parameters;
    }

    /// <summary>Weights of each layer of a network with <paramref name="layerSizes"/> (input, hidden, output sizes).</summary>
    public static int[] LayerWeightCounts(int[] layerSizes) =>
        Enumerable.Range(0, layerSizes.Length - 1).Select(j => checked(layerSizes[j] * layerSizes[j + 1])).ToArray();

    /// <summary>Nonzero weights of each layer.</summary>
    public int[] CountNonZeroWeights() =>
        Weights.Select(w => Kernels.ProximalKernels.CountNonZero(w)).ToArray();

    private static void Fill(float[] values, DeterministicRandom random, double bound)
    {
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)((random.NextDouble() * 2.0 - 1.0) * bound);
    }
}
