// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Passes;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Training.Passes;

/// <summary>The sparse forward product of training against the dense GEMM path and a double-precision reference.</summary>
[TestClass]
public class SparseForwardTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(7)]
    [DataRow(100)]
    [DataRow(128)]
    public void Forward_SparseLayers_MatchTheDenseProductAndADoubleReference(int rows)
    {
        int[] sizes = [301, 157, 33, 5];
        var parameters = MlpParameters.Initialize(sizes, seed: 4);
        var random = new Random(rows);
        TestData.KeepFraction(parameters.Weights[0], 0.05, random);
        TestData.KeepFraction(parameters.Weights[1], 0.10, random);
        var counts = parameters.CountNonZeroWeights();
        float[] input = TestData.Uniform(random, rows * sizes[0]);

        var dense = new ForwardBackward(sizes, 128, threads: 2);
        dense.Forward(parameters, input, 0, rows);
        var sparse = new ForwardBackward(sizes, 128, threads: 2);
        sparse.UseSparseForward(counts);
        sparse.Forward(parameters, input, 0, rows);

        Assert.AreEqual(0L, dense.SparseLayerProducts);
        Assert.AreEqual(2L, sparse.SparseLayerProducts, "layers 0 and 1 are below the break-even density, layer 2 is dense");
        var weights = ReferenceNetwork.ToDouble(parameters.Weights);
        var biases = ReferenceNetwork.ToDouble(parameters.Biases);
        double[] reference = Enumerable.Range(0, rows)
            .SelectMany(r => ReferenceNetwork.Forward(sizes, weights, biases, input.AsSpan(r * sizes[0], sizes[0]))).ToArray();
        float[] denseOut = dense.Outputs(rows).ToArray(), sparseOut = sparse.Outputs(rows).ToArray();
        for (int i = 0; i < reference.Length; i++)
        {
            TestData.AssertClose(reference[i], sparseOut[i], 1e-5, 1e-5, $"sparse output {i}");
            TestData.AssertClose(denseOut[i], sparseOut[i], 1e-5, 1e-5, $"sparse vs dense output {i}");
        }
    }

    [TestMethod]
    [DataRow(SparseMlpOptimizer.Sgd)]
    [DataRow(SparseMlpOptimizer.Adam)]
    public void Train_SparseForward_TracksTheDensePathAndDoesNotDependOnThreads(SparseMlpOptimizer optimizer)
    {
        // Layer 0 keeps 8 % of its weights, frozen, so the sparse path runs on every step, on two threads when allowed.
        int[] sizes = [200, 300, 4];
        var data = SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 650, 200, 4, seed: 21);
        var start = MlpParameters.Initialize(sizes, seed: 5);
        TestData.KeepFraction(start.Weights[0], 0.08, new Random(6));
        MlpParameters Run(bool sparseForward, int threads)
        {
            var parameters = MlpParameters.Initialize(sizes, seed: 5);
            Array.Copy(start.Weights[0], parameters.Weights[0], start.Weights[0].Length);
            var settings = new TrainingSettings
            {
                Loss = LossKind.SoftmaxCrossEntropy, Optimizer = optimizer, LearningRate = optimizer == SparseMlpOptimizer.Adam ? 1e-3f : 0.1f,
                BatchSize = 128, Epochs = 3, Seed = 2, Threads = threads, Lambdas = [0f, 0f], FreezeZeroWeights = true, SparseForward = sparseForward,
                // The forward product of a layer that still changes its pattern: not the frozen layers' kept-weight products.
                SparseFrozenLayers = false,
            };
            long sparseProducts = ProximalTrainingLoop.Train(data, parameters, settings).SparseLayerProducts;
            Assert.AreEqual(sparseForward ? 3 * 6L : 0L, sparseProducts, "layer 0 forward of every step (6 batches, 3 epochs) takes the sparse path");
            return parameters;
        }

        var dense = Run(sparseForward: false, threads: 1);
        var sparseOne = Run(sparseForward: true, threads: 1);
        var sparseTwo = Run(sparseForward: true, threads: 2);
        for (int j = 0; j < sizes.Length - 1; j++)
        {
            CollectionAssert.AreEqual(sparseOne.Weights[j], sparseTwo.Weights[j], $"layer {j}: 1 vs 2 threads");
            CollectionAssert.AreEqual(sparseOne.Biases[j], sparseTwo.Biases[j], $"layer {j} biases: 1 vs 2 threads");
            for (int i = 0; i < dense.Weights[j].Length; i++)
                TestData.AssertClose(dense.Weights[j][i], sparseOne.Weights[j][i], 1e-3, 1e-5, $"layer {j} weight {i}");
        }
    }
}
