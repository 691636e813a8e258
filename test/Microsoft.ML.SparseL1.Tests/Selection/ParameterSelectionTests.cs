// Licensed under the MIT License. See LICENSE in the repository root.

using System.Linq;
using Microsoft.ML.SparseL1.Selection;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Passes;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Selection;

[TestClass]
public class ParameterSelectionTests
{
    [TestMethod]
    public void Run_SingleTarget_ReachesItWithinTolerance()
    {
        int[] sizes = [8, 24, 12, 1];
        var data = SyntheticData.Make(LossKind.SquaredError, 200, 8, 1, seed: 12);
        var training = new TrainingSettings { Loss = LossKind.SquaredError, BatchSize = 0, Epochs = 800, LearningRate = 0.1f, Lambdas = new float[3], Threads = 1, Optimizer = SparseMlpOptimizer.Sgd };
        var selection = new SelectionSettings { LayerWise = false, Targets = [150], Tolerance = 0.02f, MaxIterations = 25, LargeProbe = 1e-2f, Strategy = SelectionStrategy.GradientMedianBracket, SmallProbe = 1e-7f, SmallProbeEpochs = training.Epochs };
        var (parameters, lambdas, report) = ParameterSelection.Run(data, sizes, 3, training, selection, null, default);
        Assert.IsTrue(report.Converged, report.ToString());
        int total = parameters.CountNonZeroWeights().Sum();
        Assert.IsTrue(System.Math.Abs(total - 150) <= 3, $"{total} nonzero\n{report}");
        Assert.AreEqual(lambdas[0], report.Iterations[report.ChosenIteration].Lambdas[0]);
    }

    [TestMethod]
    public void Run_EndingTheLargeProbeOnceTooSparse_KeepsTheLambdaPathAndTheResult()
    {
        int[] sizes = [8, 24, 12, 1];
        var data = SyntheticData.Make(LossKind.SquaredError, 200, 8, 1, seed: 12);
        var training = new TrainingSettings { Loss = LossKind.SquaredError, BatchSize = 0, Epochs = 800, LearningRate = 0.1f, Lambdas = new float[3], Threads = 1, Optimizer = SparseMlpOptimizer.Sgd };
        var selection = new SelectionSettings { LayerWise = false, Targets = [150], Tolerance = 0.02f, MaxIterations = 25, LargeProbe = 1e-1f, MinimumEpochsBeforeStop = 400, Strategy = SelectionStrategy.GradientMedianBracket, SmallProbe = 1e-7f, SmallProbeEpochs = training.Epochs };
        var (fullParameters, _, full) = ParameterSelection.Run(data, sizes, 3, training, selection with { EndLargeProbeOnceTooSparse = false }, null, default);
        var (parameters, _, ended) = ParameterSelection.Run(data, sizes, 3, training, selection, null, default);

        Assert.IsTrue(ended.Converged, ended.ToString());
        Assert.AreEqual(full.Iterations.Count, ended.Iterations.Count, $"{ended}\n{full}");
        for (int i = 1; i < full.Iterations.Count; i++)
        {
            CollectionAssert.AreEqual(full.Iterations[i].Lambdas.ToArray(), ended.Iterations[i].Lambdas.ToArray(), $"run {i}\n{ended}\n{full}");
            CollectionAssert.AreEqual(full.Iterations[i].LayerNonZeroCounts.ToArray(), ended.Iterations[i].LayerNonZeroCounts.ToArray(), $"run {i}");
        }

        for (int j = 0; j < sizes.Length - 1; j++)
            CollectionAssert.AreEqual(fullParameters.Weights[j], parameters.Weights[j], $"layer {j}");

        // Both probes end too sparse; the ended one far sooner, and it says so.
        Assert.IsTrue(full.Iterations[0].LayerNonZeroCounts.Sum() < 147, full.ToString());
        Assert.IsTrue(ended.Iterations[0].LayerNonZeroCounts.Sum() < 147, ended.ToString());
        Assert.IsTrue(ended.Iterations[0].Epochs < full.Iterations[0].Epochs / 2, $"{ended}\n{full}");
        StringAssert.Contains(ended.Iterations[0].Note, "too sparse");
    }

    [TestMethod]
    public void Run_ShortSmallProbe_RunsItsEpochsAndStillConverges()
    {
        int[] sizes = [8, 24, 12, 1];
        var data = SyntheticData.Make(LossKind.SquaredError, 200, 8, 1, seed: 12);
        var training = new TrainingSettings { Loss = LossKind.SquaredError, BatchSize = 0, Epochs = 800, LearningRate = 0.1f, Lambdas = new float[3], Threads = 1, Optimizer = SparseMlpOptimizer.Sgd };
        var selection = new SelectionSettings { LayerWise = false, Targets = [150], Tolerance = 0.02f, MaxIterations = 25, LargeProbe = 1e-1f, SmallProbeEpochs = 160, MinimumEpochsBeforeStop = 400, Strategy = SelectionStrategy.GradientMedianBracket, SmallProbe = 1e-7f };
        var (parameters, _, report) = ParameterSelection.Run(data, sizes, 3, training, selection, null, default);

        Assert.AreEqual(160, report.Iterations[1].Epochs, report.ToString());
        StringAssert.Contains(report.Iterations[1].Note, "160 of 800 epochs");
        Assert.IsTrue(report.Iterations.Skip(2).All(i => i.Epochs <= 800), report.ToString());
        Assert.IsTrue(report.Converged, report.ToString());
        Assert.IsTrue(System.Math.Abs(parameters.CountNonZeroWeights().Sum() - 150) <= 3, report.ToString());
    }

    [TestMethod]
    public void Run_LayerWise_ReachesEveryLayerTarget()
    {
        int[] sizes = [8, 24, 12, 1];
        var data = SyntheticData.Make(LossKind.SquaredError, 200, 8, 1, seed: 13);
        var training = new TrainingSettings { Loss = LossKind.SquaredError, BatchSize = 0, Epochs = 800, LearningRate = 0.1f, Lambdas = new float[3], Threads = 1, Optimizer = SparseMlpOptimizer.Sgd };
        var selection = new SelectionSettings { LayerWise = true, Targets = [100, 60, 8], Tolerance = 0.1f, MaxIterations = 30, Strategy = SelectionStrategy.GradientMedianBracket, LargeProbe = 1e-2f, SmallProbe = 1e-7f, SmallProbeEpochs = training.Epochs };
        var (parameters, _, report) = ParameterSelection.Run(data, sizes, 3, training, selection, null, default);
        var counts = parameters.CountNonZeroWeights();
        Assert.IsTrue(report.Converged, report.ToString());
        for (int j = 0; j < 3; j++)
            Assert.IsTrue(System.Math.Abs(counts[j] - selection.Targets[j]) <= 0.1 * selection.Targets[j], $"layer {j}: {counts[j]}\n{report}");
    }

    [TestMethod]
    public void Run_TrajectoryAim_ReachesSingleAndLayerTargetsAimingFromCompletedRuns()
    {
        int[] sizes = [8, 24, 12, 1];
        var data = SyntheticData.Make(LossKind.SquaredError, 200, 8, 1, seed: 13);
        var training = new TrainingSettings { Loss = LossKind.SquaredError, BatchSize = 0, Epochs = 800, LearningRate = 0.1f, Lambdas = new float[3], Threads = 1, Optimizer = SparseMlpOptimizer.Sgd };
        var single = new SelectionSettings
        {
            LayerWise = false, Targets = [150], Tolerance = 0.02f, MaxIterations = 25, Strategy = SelectionStrategy.TrajectoryAim,
            SmallProbeEpochs = 160, MinimumEpochsBeforeStop = 400, LargeProbe = 1e-2f, SmallProbe = 1e-7f,
        };
        foreach (var selection in new[] { single, single with { LayerWise = true, Targets = [100, 60, 8], Tolerance = 0.1f } })
        {
            var (parameters, _, report) = ParameterSelection.Run(data, sizes, 3, training, selection, null, default);
            Assert.IsTrue(report.Converged, report.ToString());
            var counts = parameters.CountNonZeroWeights();
            int[] achieved = selection.LayerWise ? counts : [counts.Sum()];
            for (int g = 0; g < achieved.Length; g++)
                Assert.IsTrue(System.Math.Abs(achieved[g] - selection.Targets[g]) <= selection.Tolerance * selection.Targets[g], $"target {g}: {achieved[g]}\n{report}");
            // The probes and the first update carry no completed trajectory; any later pick that stayed in the bracket is aimed.
            Assert.IsTrue(report.Iterations.Count <= 3 || report.Iterations.Any(i => i.Note.Contains("aimed", System.StringComparison.Ordinal)), report.ToString());
        }
    }
}
