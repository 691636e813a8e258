// Licensed under the MIT License. See LICENSE in the repository root.

using System.Linq;
using Microsoft.ML.SparseL1.Selection;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
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
        var training = new TrainingSettings { Loss = LossKind.SquaredError, BatchSize = 0, Epochs = 800, LearningRate = 0.1f, Lambdas = new float[3], Threads = 1 };
        var selection = new SelectionSettings { LayerWise = false, Targets = [150], Tolerance = 0.02f, MaxIterations = 25, LargeProbe = 1e-2f };
        var (parameters, lambdas, report) = ParameterSelection.Run(data, sizes, 3, training, selection, null, default);
        Assert.IsTrue(report.Converged, report.ToString());
        int total = parameters.CountNonZeroWeights().Sum();
        Assert.IsTrue(System.Math.Abs(total - 150) <= 3, $"{total} nonzero\n{report}");
        Assert.AreEqual(lambdas[0], report.Iterations[report.ChosenIteration].Lambdas[0]);
    }

    [TestMethod]
    public void Run_EndingRunsOnceTooSparse_EndsOnlyRunsBelowTheWindowAndStillConverges()
    {
        int[] sizes = [8, 24, 12, 1];
        var data = SyntheticData.Make(LossKind.SquaredError, 200, 8, 1, seed: 12);
        var training = new TrainingSettings { Loss = LossKind.SquaredError, BatchSize = 0, Epochs = 800, LearningRate = 0.1f, Lambdas = new float[3], Threads = 1 };
        var selection = new SelectionSettings { LayerWise = false, Targets = [150], Tolerance = 0.02f, MaxIterations = 25, LargeProbe = 1e-1f, MinimumEpochsBeforeStop = 400 };
        var (_, _, full) = ParameterSelection.Run(data, sizes, 3, training, selection, null, default);
        var (parameters, _, ended) = ParameterSelection.Run(data, sizes, 3, training, selection with { EndRunsOnceTooSparse = true }, null, default);

        Assert.IsTrue(ended.Converged, ended.ToString());
        Assert.IsTrue(System.Math.Abs(parameters.CountNonZeroWeights().Sum() - 150) <= 3, ended.ToString());
        var endedRuns = ended.Iterations.Where(i => i.Note.Contains("too sparse", System.StringComparison.Ordinal)).ToList();
        Assert.IsTrue(endedRuns.Count > 0, ended.ToString());
        foreach (var run in endedRuns)
        {
            Assert.IsTrue(run.LayerNonZeroCounts.Sum() < 150 * (1 - 0.02), ended.ToString());
            Assert.IsFalse(run.StoppedAtTarget);
        }

        // The large probe is the same run in both; ended early, it is still on the too-sparse side and far cheaper.
        Assert.IsTrue(full.Iterations[0].LayerNonZeroCounts.Sum() < 147, full.ToString());
        Assert.IsTrue(ended.Iterations[0].Epochs < full.Iterations[0].Epochs, $"{ended}\n{full}");
    }

    [TestMethod]
    public void Run_LayerWise_ReachesEveryLayerTarget()
    {
        int[] sizes = [8, 24, 12, 1];
        var data = SyntheticData.Make(LossKind.SquaredError, 200, 8, 1, seed: 13);
        var training = new TrainingSettings { Loss = LossKind.SquaredError, BatchSize = 0, Epochs = 800, LearningRate = 0.1f, Lambdas = new float[3], Threads = 1 };
        var selection = new SelectionSettings { LayerWise = true, Targets = [100, 60, 8], Tolerance = 0.1f, MaxIterations = 30 };
        var (parameters, _, report) = ParameterSelection.Run(data, sizes, 3, training, selection, null, default);
        var counts = parameters.CountNonZeroWeights();
        Assert.IsTrue(report.Converged, report.ToString());
        for (int j = 0; j < 3; j++)
            Assert.IsTrue(System.Math.Abs(counts[j] - selection.Targets[j]) <= 0.1 * selection.Targets[j], $"layer {j}: {counts[j]}\n{report}");
    }
}
