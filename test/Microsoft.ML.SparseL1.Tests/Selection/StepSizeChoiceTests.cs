// Licensed under the MIT License. See LICENSE in the repository root.

using System.Linq;
using Microsoft.ML.SparseL1.Selection;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Passes;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Selection;

[TestClass]
public class StepSizeChoiceTests
{
    private static readonly int[] s_sizes = [6, 16, 1];

    private static TrainingSettings Training(int threads) => new()
    {
        Loss = LossKind.SquaredError,
        Optimizer = SparseMlpOptimizer.Adam,
        LearningRate = 1e-3f,
        BatchSize = 32,
        Epochs = 20,
        Seed = 5,
        Threads = threads,
        Lambdas = new float[2],
    };

    private static MlpParameters Train(TrainingData rows, TrainingSettings settings)
    {
        var parameters = MlpParameters.Initialize(s_sizes, settings.Seed);
        ProximalTrainingLoop.Train(rows, parameters, settings);
        return parameters;
    }

    [TestMethod]
    public void Choose_OneOfTheCandidates_DeterministicAndIndependentOfThreads()
    {
        var data = SyntheticData.Make(LossKind.SquaredError, 150, 6, 0, seed: 4);
        var (rate, losses) = StepSizeChoice.Choose(data, Training(1), StepSizeChoice.DefaultMultipliers, Train);
        var (again, againLosses) = StepSizeChoice.Choose(data, Training(2), StepSizeChoice.DefaultMultipliers, Train);

        Assert.AreEqual(StepSizeChoice.DefaultMultipliers.Length, losses.Length);
        // The two middle candidates, then the outer one on the better one's side; the other outer one is not run.
        Assert.IsTrue(double.IsFinite(losses[1]) && double.IsFinite(losses[2]), string.Join(", ", losses));
        int outer = losses[2] < losses[1] ? 3 : 0;
        Assert.IsTrue(double.IsFinite(losses[outer]) && double.IsNaN(losses[3 - outer]), string.Join(", ", losses));
        double least = losses.Where(double.IsFinite).Min();
        Assert.AreEqual(1e-3f * StepSizeChoice.DefaultMultipliers[System.Array.IndexOf(losses, least)], rate, "the candidate of least validation loss");
        Assert.AreEqual(rate, again, "the same choice");
        CollectionAssert.AreEqual(losses, againLosses, "bit-identical validation losses with 1 and 2 threads");
    }

    /// <summary>
    /// The walk from the middle chooses what the whole grid would when the validation loss has one minimum over it: a
    /// stand-in trainer whose validation loss is a chosen function of the step (through the bias it learns) checks the
    /// three shapes the defaults benchmark showed (falling, rising, lowest inside) and that the skipped candidate is the
    /// one on the worse side.
    /// </summary>
    [TestMethod]
    [DataRow(3, 0)]
    [DataRow(0, 3)]
    [DataRow(2, 0)]
    [DataRow(1, 3)]
    public void Choose_WalksFromTheMiddle_ToTheGridsLeastLoss(int minimum, int skipped)
    {
        var data = SyntheticData.Make(LossKind.SquaredError, 90, 6, 0, seed: 7);
        var calls = new System.Collections.Concurrent.ConcurrentBag<float>();
        var (rate, losses) = StepSizeChoice.Choose(data, Training(1), StepSizeChoice.DefaultMultipliers, (rows, settings) =>
        {
            calls.Add(settings.LearningRate);
            // A constant network whose output, and so whose validation loss, grows with the distance of the step's
            // grid position from the chosen minimum.
            int position = System.Array.FindIndex(StepSizeChoice.DefaultMultipliers, m => System.Math.Abs(1e-3f * m - settings.LearningRate) < 1e-9f);
            var parameters = MlpParameters.Initialize(s_sizes, 1);
            foreach (var w in parameters.Weights)
                System.Array.Clear(w);
            parameters.Biases[^1][0] = 10f * System.Math.Abs(position - minimum);
            return parameters;
        });

        Assert.AreEqual(1e-3f * StepSizeChoice.DefaultMultipliers[minimum], rate, string.Join(", ", losses));
        Assert.IsTrue(double.IsNaN(losses[skipped]), string.Join(", ", losses));
        Assert.AreEqual(3 * StepSizeChoice.Folds, calls.Count, "three candidates, one run per fold");
    }

    [TestMethod]
    public void Choose_ADivergingCandidateIsNeverChosen()
    {
        var data = SyntheticData.Make(LossKind.SquaredError, 90, 6, 0, seed: 6);
        var (rate, losses) = StepSizeChoice.Choose(data, Training(1), StepSizeChoice.DefaultMultipliers, (rows, settings) =>
            settings.LearningRate > 2e-3f ? throw new TrainingDivergedException(settings.LearningRate, "diverged") : Train(rows, settings));

        Assert.IsLessThanOrEqualTo(1e-3f, rate);
        // 3x diverges, so the walk goes down from 1x and never runs 10x.
        Assert.IsTrue(losses.Zip(StepSizeChoice.DefaultMultipliers).All(x => x.Second > 5f ? double.IsNaN(x.First) : x.Second > 2f ? double.IsPositiveInfinity(x.First) : double.IsFinite(x.First)),
            string.Join(", ", losses));

        var (fallback, _) = StepSizeChoice.Choose(data, Training(1), StepSizeChoice.DefaultMultipliers, (_, settings) => throw new TrainingDivergedException(settings.LearningRate, "diverged"));
        Assert.AreEqual(1e-3f, fallback, "every candidate diverged: the default step");
    }

    /// <summary>On a longer grid the walk goes on outward while each candidate improves on the one before it, and stops at the first that does not.</summary>
    [TestMethod]
    [DataRow(4, 4)]
    [DataRow(3, 4)]
    [DataRow(2, 3)]
    [DataRow(0, 3)]
    public void Choose_WalksOnOutward_WhileTheLossFalls(int minimum, int runs)
    {
        float[] grid = [0.3f, 1f, 3f, 10f, 30f];
        var data = SyntheticData.Make(LossKind.SquaredError, 90, 6, 0, seed: 7);
        var calls = new System.Collections.Concurrent.ConcurrentBag<float>();
        var (rate, losses) = StepSizeChoice.Choose(data, Training(1), grid, (rows, settings) =>
        {
            calls.Add(settings.LearningRate);
            int position = System.Array.FindIndex(grid, m => System.Math.Abs(1e-3f * m - settings.LearningRate) < 1e-9f);
            var parameters = MlpParameters.Initialize(s_sizes, 1);
            foreach (var w in parameters.Weights)
                System.Array.Clear(w);
            parameters.Biases[^1][0] = 10f * System.Math.Abs(position - minimum);
            return parameters;
        });

        Assert.AreEqual(1e-3f * grid[minimum], rate, string.Join(", ", losses));
        Assert.AreEqual(runs, losses.Count(double.IsFinite), string.Join(", ", losses));
        Assert.AreEqual(runs * StepSizeChoice.Folds, calls.Count);
    }
}
