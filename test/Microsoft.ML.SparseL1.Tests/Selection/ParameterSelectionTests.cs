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
