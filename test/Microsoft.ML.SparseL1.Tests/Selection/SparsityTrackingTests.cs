// Licensed under the MIT License. See LICENSE in the repository root.

using System.Linq;
using Microsoft.ML.SparseL1.Selection;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Passes;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Selection;

[TestClass]
public class SparsityTrackingTests
{
    private static readonly int[] s_sizes = [12, 24, 8, 3];

    private static TrainingSettings Training(int threads) => new()
    {
        Loss = LossKind.SoftmaxCrossEntropy,
        Optimizer = SparseMlpOptimizer.Adam,
        LearningRate = 1e-2f,
        BatchSize = 32,
        Epochs = 40,
        Seed = 3,
        Threads = threads,
        Lambdas = new float[3],
    };

    [TestMethod]
    public void Run_SingleTarget_OneRunWithinToleranceThenFrozen()
    {
        var data = SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 400, 12, 3, seed: 1);
        const int Target = 60; // of 12·24 + 24·8 + 8·3 = 504 weights
        var selection = new SelectionSettings { LayerWise = false, Targets = [Target], Tolerance = 0.05f, MaxIterations = 30, Strategy = SelectionStrategy.GradientMedianBracket, LargeProbe = 1e-2f, SmallProbe = 1e-7f, SmallProbeEpochs = 1 };
        var (parameters, lambdas, report) = SparsityTracking.Run(data, s_sizes, 7, Training(1), selection, new TrackingSettings(), null, default);

        Assert.IsTrue(report.Converged, report.ToString());
        Assert.AreEqual(1, report.Iterations.Count, "one training run");
        Assert.AreEqual(40, report.TotalEpochs, "the run's epochs are the whole cost");
        int nonZero = parameters.CountNonZeroWeights().Sum();
        Assert.IsTrue(System.Math.Abs(nonZero - Target) <= 0.05 * Target, $"nonzero {nonZero} against target {Target}");
        CollectionAssert.AreEqual(parameters.CountNonZeroWeights(), report.Iterations[0].LayerNonZeroCounts.ToArray(), "reported counts");
        Assert.IsTrue(lambdas.All(l => l > 0 && l == lambdas[0]), "one positive λ for all layers");
        StringAssert.Contains(report.Iterations[0].Note, "frozen at step");
    }

    [TestMethod]
    public void Run_LayerTargets_EveryLayerWithinTolerance()
    {
        var data = SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 400, 12, 3, seed: 2);
        int[] targets = [40, 30, 12];
        var selection = new SelectionSettings { LayerWise = true, Targets = targets, Tolerance = 0.1f, MaxIterations = 30, Strategy = SelectionStrategy.GradientMedianBracket, LargeProbe = 1e-2f, SmallProbe = 1e-7f, SmallProbeEpochs = 1 };
        var (parameters, lambdas, report) = SparsityTracking.Run(data, s_sizes, 7, Training(1), selection, new TrackingSettings(), null, default);

        Assert.IsTrue(report.Converged, report.ToString());
        int[] counts = parameters.CountNonZeroWeights();
        for (int j = 0; j < 3; j++)
            Assert.IsTrue(System.Math.Abs(counts[j] - targets[j]) <= 0.1 * targets[j], $"layer {j}: {counts[j]} against {targets[j]}");
        Assert.AreEqual(3, lambdas.Distinct().Count(), "one λ per layer, steered separately");
    }

    [TestMethod]
    public void Run_SameSeed_BitIdenticalForAnyThreadCount()
    {
        var data = SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 400, 12, 3, seed: 4, weighted: true);
        var selection = new SelectionSettings { LayerWise = false, Targets = [80], Tolerance = 0.05f, MaxIterations = 30, Strategy = SelectionStrategy.GradientMedianBracket, LargeProbe = 1e-2f, SmallProbe = 1e-7f, SmallProbeEpochs = 1 };
        var one = SparsityTracking.Run(data, s_sizes, 7, Training(1), selection, new TrackingSettings(), null, default);
        var two = SparsityTracking.Run(data, s_sizes, 7, Training(2), selection, new TrackingSettings(), null, default);
        for (int j = 0; j < 3; j++)
        {
            CollectionAssert.AreEqual(one.Parameters.Weights[j], two.Parameters.Weights[j], $"layer {j} weights");
            CollectionAssert.AreEqual(one.Parameters.Biases[j], two.Parameters.Biases[j], $"layer {j} biases");
        }

        CollectionAssert.AreEqual(one.Lambdas, two.Lambdas);
    }

    [TestMethod]
    public void Run_NoReweighting_IsPlainL1AndStillReachesTheTarget()
    {
        var data = SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 400, 12, 3, seed: 1);
        var selection = new SelectionSettings { LayerWise = false, Targets = [60], Tolerance = 0.05f, MaxIterations = 30, Strategy = SelectionStrategy.GradientMedianBracket, LargeProbe = 1e-2f, SmallProbe = 1e-7f, SmallProbeEpochs = 1 };
        var plain = SparsityTracking.Run(data, s_sizes, 7, Training(1), selection, new TrackingSettings { ReweightFactor = 0f }, null, default);
        var reweighted = SparsityTracking.Run(data, s_sizes, 7, Training(1), selection, new TrackingSettings(), null, default);
        Assert.IsTrue(plain.Report.Converged, plain.Report.ToString());
        CollectionAssert.AreNotEqual(plain.Parameters.Weights[0], reweighted.Parameters.Weights[0], "the reweighting changes the path");
    }
}
