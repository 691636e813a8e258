// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Passes;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Training.Passes;

/// <summary>Weight gradients of the active neurons only, against the dense product: bit for bit.</summary>
[TestClass]
public class InactiveNeuronGradientTests
{
    private static readonly int[] s_sizes = [203, 150, 40, 3];

    [TestMethod]
    [DataRow(1, false)]
    [DataRow(37, false)]
    [DataRow(128, false)]
    [DataRow(128, true)]
    public void Backward_SkippingInactiveNeurons_IsBitIdenticalToTheDenseProduct(int rows, bool accumulate)
    {
        var parameters = WithDeadNeurons(seed: rows);
        var random = new Random(rows);
        float[] input = TestData.Uniform(random, rows * s_sizes[0]);
        float[] labels = new float[rows];
        for (int r = 0; r < rows; r++)
            labels[r] = random.Next(3);
        float[][] Gradients(bool skip, out long skipped)
        {
            var network = new ForwardBackward(s_sizes, 128, threads: 2) { SkipInactiveNeurons = skip };
            for (int j = 0; j < parameters.LayerCount; j++)
                Array.Fill(network.WeightGradients[j], 0.25f); // what accumulate adds to
            network.Forward(parameters, input, 0, rows);
            LossFunctions.Evaluate(LossKind.SoftmaxCrossEntropy, network.Outputs(rows), labels, default, 3, 1f / rows, network.OutputGradient(rows));
            network.Backward(parameters, rows, accumulate);
            skipped = network.ActiveNeuronGradients;
            return network.WeightGradients;
        }

        var dense = Gradients(false, out long denseSkipped);
        var skipping = Gradients(true, out long skippedLayers);
        Assert.AreEqual(0L, denseSkipped);
        Assert.IsGreaterThanOrEqualTo(1L, skippedLayers, "layer 0 has 80 % dead neurons: its gradient must take the active-neuron path");
        for (int j = 0; j < parameters.LayerCount; j++)
            CollectionAssert.AreEqual(dense[j], skipping[j], $"layer {j}");
    }

    [TestMethod]
    public void Train_SkippingInactiveNeurons_GivesBitIdenticalWeights()
    {
        var data = SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 300, s_sizes[0], 3, seed: 8);
        MlpParameters Run(bool skip)
        {
            var parameters = WithDeadNeurons(seed: 2);
            ProximalTrainingLoop.Train(data, parameters, new TrainingSettings
            {
                Loss = LossKind.SoftmaxCrossEntropy, Optimizer = SparseMlpOptimizer.Adam, LearningRate = 1e-3f, BatchSize = 64, Epochs = 3,
                Seed = 4, Threads = 2, Lambdas = [1e-4f, 1e-4f, 1e-4f], FreezeZeroWeights = true, SparseForward = false, SkipInactiveNeurons = skip,
            });
            return parameters;
        }

        var dense = Run(false);
        var skipping = Run(true);
        for (int j = 0; j < dense.LayerCount; j++)
        {
            CollectionAssert.AreEqual(dense.Weights[j], skipping.Weights[j], $"layer {j} weights");
            CollectionAssert.AreEqual(dense.Biases[j], skipping.Biases[j], $"layer {j} biases");
        }
    }

    /// <summary>80 % of the first hidden layer's neurons lose all their outgoing weights, so their deltas are zero.</summary>
    private static MlpParameters WithDeadNeurons(int seed)
    {
        var parameters = MlpParameters.Initialize(s_sizes, seed);
        var random = new Random(seed);
        for (int o = 0; o < s_sizes[1]; o++)
        {
            if (random.NextDouble() < 0.8)
            {
                for (int p = 0; p < s_sizes[2]; p++)
                    parameters.Weights[1][p * s_sizes[1] + o] = 0f;
            }
        }

        return parameters;
    }
}
