// Licensed under the MIT License. See LICENSE in the repository root.

using System.Linq;
using Microsoft.ML.SparseL1.Selection;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
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
        var (rate, losses) = StepSizeChoice.Choose(data, Training(1), Train);
        var (again, againLosses) = StepSizeChoice.Choose(data, Training(2), Train);

        Assert.AreEqual(StepSizeChoice.Multipliers.Length, losses.Length);
        Assert.IsTrue(losses.All(double.IsFinite), string.Join(", ", losses));
        int best = System.Array.IndexOf(losses, losses.Min());
        Assert.AreEqual(1e-3f * StepSizeChoice.Multipliers[best], rate, "the candidate of least validation loss");
        Assert.AreEqual(rate, again, "the same choice");
        CollectionAssert.AreEqual(losses, againLosses, "bit-identical validation losses with 1 and 2 threads");
    }

    [TestMethod]
    public void Choose_ADivergingCandidateIsNeverChosen()
    {
        var data = SyntheticData.Make(LossKind.SquaredError, 90, 6, 0, seed: 6);
        var (rate, losses) = StepSizeChoice.Choose(data, Training(1), (rows, settings) =>
            settings.LearningRate > 2e-3f ? throw new TrainingDivergedException(settings.LearningRate, "diverged") : Train(rows, settings));

        Assert.IsLessThanOrEqualTo(1e-3f, rate);
        Assert.IsTrue(losses.Zip(StepSizeChoice.Multipliers).All(x => x.Second > 2f ? double.IsPositiveInfinity(x.First) : double.IsFinite(x.First)),
            string.Join(", ", losses));

        var (fallback, _) = StepSizeChoice.Choose(data, Training(1), (_, settings) => throw new TrainingDivergedException(settings.LearningRate, "diverged"));
        Assert.AreEqual(1e-3f, fallback, "every candidate diverged: the default step");
    }
}
