// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using System.Threading;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Passes;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Training.Loop;

[TestClass]
public class ProximalTrainingLoopTests
{
    private static readonly int[] s_sizes = [12, 16, 8, 3];

    [TestMethod]
    [DataRow(SparseMlpOptimizer.Sgd)]
    [DataRow(SparseMlpOptimizer.Adam)]
    public void Train_SameSeed_GivesBitIdenticalWeightsForAnyThreadCount(SparseMlpOptimizer optimizer)
    {
        var data = SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 300, 12, 3, seed: 3, weighted: true);
        MlpParameters Run(int threads)
        {
            var parameters = MlpParameters.Initialize(s_sizes, seed: 8);
            ProximalTrainingLoop.Train(data, parameters, Settings(optimizer, threads));
            return parameters;
        }

        var first = Run(1);
        var second = Run(1);
        var parallel = Run(2);
        for (int j = 0; j < first.LayerCount; j++)
        {
            CollectionAssert.AreEqual(first.Weights[j], second.Weights[j], $"layer {j} weights, same threads");
            CollectionAssert.AreEqual(first.Weights[j], parallel.Weights[j], $"layer {j} weights, 1 vs 2 threads");
            CollectionAssert.AreEqual(first.Biases[j], parallel.Biases[j], $"layer {j} biases, 1 vs 2 threads");
        }
    }

    [TestMethod]
    public void Train_ReducesLossAndMakesWeightsExactlyZero()
    {
        var data = SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 300, 12, 3, seed: 4);
        var parameters = MlpParameters.Initialize(s_sizes, seed: 1);
        double before = FullGradient.Loss(parameters, data, LossKind.SoftmaxCrossEntropy, 64, 1);
        var outcome = ProximalTrainingLoop.Train(data, parameters, Settings(SparseMlpOptimizer.Sgd, 1) with { Epochs = 30, Lambdas = [3e-3f, 3e-3f, 3e-3f] });
        double after = FullGradient.Loss(parameters, data, LossKind.SoftmaxCrossEntropy, 64, 1);

        Assert.IsLessThan(before * 0.7, after, $"loss {before} -> {after}");
        CollectionAssert.AreEqual(parameters.CountNonZeroWeights(), outcome.LayerNonZeroCounts, "counts reported by the kernel");
        Assert.IsLessThan(parameters.WeightCount, (long)outcome.LayerNonZeroCounts.Sum(), "some weights are exactly zero");
        Assert.AreEqual(TrainingExit.Completed, outcome.Exit);
        Assert.AreEqual(30 * 10, outcome.Steps, "300 rows in batches of 32 is 10 steps per epoch");
    }

    [TestMethod]
    public void Train_StopRuleEndsTrainingMidEpochWithMatchingCounts()
    {
        var data = SyntheticData.Make(LossKind.SquaredError, 256, 12, 1, seed: 5);
        var parameters = MlpParameters.Initialize([12, 16, 1], seed: 2);
        int total = (int)parameters.WeightCount;
        long? stepSeen = null;
        var outcome = ProximalTrainingLoop.Train(data, parameters,
            new TrainingSettings { Loss = LossKind.SquaredError, BatchSize = 32, Epochs = 200, LearningRate = 0.05f, Lambdas = [0.05f, 0.05f], Threads = 1, Optimizer = SparseMlpOptimizer.Sgd, },
            stopRule: step =>
            {
                bool stop = step.LayerNonZeroCounts.Sum() <= total / 2;
                if (stop)
                    stepSeen = step.Step;
                return stop;
            });

        Assert.AreEqual(TrainingExit.StopRule, outcome.Exit);
        Assert.AreEqual(stepSeen, outcome.Steps);
        Assert.IsLessThanOrEqualTo(total / 2, outcome.LayerNonZeroCounts.Sum());
        CollectionAssert.AreEqual(parameters.CountNonZeroWeights(), outcome.LayerNonZeroCounts);
    }

    [TestMethod]
    [DataRow(SparseMlpOptimizer.Sgd)]
    [DataRow(SparseMlpOptimizer.Adam)]
    public void Train_FreezeZeroWeights_KeepsThePatternAndLowersTheLoss(SparseMlpOptimizer optimizer)
    {
        var data = SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 300, 12, 3, seed: 4);
        var parameters = MlpParameters.Initialize(s_sizes, seed: 1);
        ProximalTrainingLoop.Train(data, parameters, Settings(optimizer, 1) with { Epochs = 10, Lambdas = [1e-2f, 1e-2f, 1e-2f] });
        var zeros = parameters.Weights.Select(w => w.Select(v => v == 0f).ToArray()).ToArray();
        Assert.IsTrue(zeros.Any(z => z.Any(b => b)), "the fixture needs zero weights");
        double before = FullGradient.Loss(parameters, data, LossKind.SoftmaxCrossEntropy, 64, 1);

        var outcome = ProximalTrainingLoop.Train(data, parameters, Settings(optimizer, 1) with { Epochs = 10, Lambdas = [0f, 0f, 0f], FreezeZeroWeights = true });

        double after = FullGradient.Loss(parameters, data, LossKind.SoftmaxCrossEntropy, 64, 1);
        Assert.IsLessThan(before, after, $"refit loss {before} -> {after}");
        for (int j = 0; j < parameters.LayerCount; j++)
        {
            for (int i = 0; i < zeros[j].Length; i++)
            {
                if (zeros[j][i])
                    Assert.AreEqual(0f, parameters.Weights[j][i], $"frozen weight [{j}][{i}] moved");
            }

            Assert.AreEqual(zeros[j].Count(z => !z), outcome.LayerNonZeroCounts[j]);
        }
    }

    [TestMethod]
    public void Train_DivergingLearningRateThrowsNamingTheEpoch()
    {
        var data = SyntheticData.Make(LossKind.SquaredError, 64, 12, 1, seed: 6);
        var parameters = MlpParameters.Initialize([12, 16, 1], seed: 2);
        var error = Assert.ThrowsExactly<TrainingDivergedException>(() => ProximalTrainingLoop.Train(data, parameters,
            new TrainingSettings { Loss = LossKind.SquaredError, BatchSize = 0, Epochs = 1000, LearningRate = 50f, Lambdas = [0f, 0f], Threads = 1, Optimizer = SparseMlpOptimizer.Sgd }));
        StringAssert.Contains(error.Message, "diverged in epoch");
        StringAssert.Contains(error.Message, "LearningRate");
        Assert.AreEqual(50f, error.LearningRate, "the step that diverged, for the caller's retry");
    }

    [TestMethod]
    public void Train_HonoursCancellation()
    {
        var data = SyntheticData.Make(LossKind.SquaredError, 64, 12, 1, seed: 6);
        using var source = new CancellationTokenSource();
        source.Cancel();
        Assert.ThrowsExactly<OperationCanceledException>(() => ProximalTrainingLoop.Train(data, MlpParameters.Initialize([12, 1], 1),
            new TrainingSettings { Loss = LossKind.SquaredError, Lambdas = [0f], Optimizer = SparseMlpOptimizer.Sgd, LearningRate = 0.1f, BatchSize = 128, Epochs = 10, }, cancellation: source.Token));
    }

    [TestMethod]
    public void Train_RejectsWrongLambdaCountAndFeatureCount()
    {
        var data = SyntheticData.Make(LossKind.SquaredError, 16, 12, 1, seed: 6);
        Assert.ThrowsExactly<ArgumentException>(() => ProximalTrainingLoop.Train(data, MlpParameters.Initialize([12, 4, 1], 1),
            new TrainingSettings { Loss = LossKind.SquaredError, Lambdas = [0f], Optimizer = SparseMlpOptimizer.Sgd, LearningRate = 0.1f, BatchSize = 128, Epochs = 10 }));
        Assert.ThrowsExactly<ArgumentException>(() => ProximalTrainingLoop.Train(data, MlpParameters.Initialize([11, 1], 1),
            new TrainingSettings { Loss = LossKind.SquaredError, Lambdas = [0f], Optimizer = SparseMlpOptimizer.Sgd, LearningRate = 0.1f, BatchSize = 128, Epochs = 10 }));
    }

    [TestMethod]
    public void Initialize_IsSeededAndWithinPyTorchBounds()
    {
        var a = MlpParameters.Initialize([784, 300, 10], seed: 123);
        var b = MlpParameters.Initialize([784, 300, 10], seed: 123);
        var c = MlpParameters.Initialize([784, 300, 10], seed: 124);
        CollectionAssert.AreEqual(a.Weights[0], b.Weights[0]);
        CollectionAssert.AreNotEqual(a.Weights[0], c.Weights[0]);
        float bound = 1f / MathF.Sqrt(784);
        Assert.IsTrue(a.Weights[0].All(w => MathF.Abs(w) <= bound) && a.Biases[0].All(w => MathF.Abs(w) <= bound));
        Assert.IsGreaterThan(bound * 0.99f, a.Weights[0].Max(), "the whole interval is used");
        Assert.IsTrue(a.Weights[1].All(w => MathF.Abs(w) <= 1f / MathF.Sqrt(300)));
    }

    private static TrainingSettings Settings(SparseMlpOptimizer optimizer, int threads) => new()
    {
        Loss = LossKind.SoftmaxCrossEntropy,
        Optimizer = optimizer,
        LearningRate = optimizer == SparseMlpOptimizer.Adam ? 0.01f : 0.1f,
        BatchSize = 32,
        Epochs = 4,
        Seed = 9,
        Threads = threads,
        Lambdas = [1e-3f, 1e-3f, 1e-3f],
    };
}
