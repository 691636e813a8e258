// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using System.Threading;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Experiment;

/// <summary><see cref="SparseMlpExperimentOptions.Communicator"/>: an experiment's fits spread over ranks (threads here).</summary>
[TestClass]
public class DistributedExperimentTests
{
    /// <summary>
    /// Cross-validated, each trial's folds are dealt over the ranks: every rank gets the trials one process gets, fold for
    /// fold. The 99.9 % trial stops after its second fold (as in one process) although, on 3 ranks, its third fold was
    /// trained in the same round.
    /// </summary>
    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    public void CrossValidated_SpreadOverRanks_GivesEveryRankTheTrialsOneProcessGives(int ranks)
    {
        var options = () => new SparseMlpExperimentOptions
        {
            MaxTrials = 3, TrainingTimeInSeconds = 1e6, NumberOfFolds = 5, HiddenLayerWidths = [64, 128], HiddenLayerCounts = [1],
            TargetSparsities = [0.5f, 0.999f], LearningRateMultipliers = [1f], EpochMultipliers = [1],
        };
        var (ml, data) = SparseMlpExperimentTests.ThreeClasses();
        var alone = SparseMlpExperiment.Multiclass(ml, data, options());
        Assert.IsTrue(alone.Trials.Any(t => t.StoppedEarly), "one trial stops early: " + string.Join("; ", alone.Trials));
        Assert.HasCount(200, alone.Trials[0].ConfirmationMetrics, "trial 0 scored on the kept rows' resamples: " + string.Join("; ", alone.Trials.Select(t => t + " " + t.ConfirmationMetrics.Count)));
        foreach (var (result, error) in Spread(ranks, options))
        {
            Assert.IsNull(error, error?.ToString());
            Assert.HasCount(alone.Trials.Count, result!.Trials);
            for (int i = 0; i < alone.Trials.Count; i++)
            {
                var (expected, actual) = (alone.Trials[i], result.Trials[i]);
                CollectionAssert.AreEqual(expected.FoldMetrics.ToArray(), actual.FoldMetrics.ToArray(), $"trial {i} folds");
                CollectionAssert.AreEqual(expected.ConfirmationMetrics.ToArray(), actual.ConfirmationMetrics.ToArray(), $"trial {i} kept rows");
                Assert.AreEqual(expected.NonZeroWeights, actual.NonZeroWeights, $"trial {i} nonzeros");
                Assert.AreEqual(expected.StoppedEarly, actual.StoppedEarly, $"trial {i} stopped");
                Assert.AreEqual(expected.Model is null, actual.Model is null, $"trial {i} model");
            }

            Assert.AreEqual(alone.Best.Index, result.Best.Index);
            CollectionAssert.AreEqual(alone.ParetoFront.Select(t => t.Index).ToArray(), result.ParetoFront.Select(t => t.Index).ToArray());
            // The refit models came from other ranks as saved zips: they score the rows as the ones trained here do.
            var expectedScores = ml.MulticlassClassification.Evaluate(alone.Best.Model!.Transform(data)).MicroAccuracy;
            Assert.AreEqual(expectedScores, ml.MulticlassClassification.Evaluate(result.Best.Model!.Transform(data)).MicroAccuracy);
        }
    }

    /// <summary>
    /// Held out, each round trains one trial a rank: the first round is the defaults and the next point beside them, and
    /// every rank holds the same trials, twice in a row.
    /// </summary>
    [TestMethod]
    public void HeldOut_SpreadOverRanks_TrainsOneTrialARank_TheSameOnEveryRankAndRun()
    {
        var (ml, data) = SparseMlpExperimentTests.ThreeClasses();
        var alone = SparseMlpExperiment.Multiclass(ml, data, SparseMlpExperimentTests.Small(2));
        string Summary(SparseMlpExperimentResult r) => string.Join("; ", r.Trials.Select(t =>
            $"{string.Join("x", t.HiddenLayerSizes)}/{t.TargetSparsity}/{t.LearningRateMultiplier}/{t.EpochMultiplier}: {t.Metric:R} {t.NonZeroWeights}"));
        string? first = null;
        for (int run = 0; run < 2; run++)
        {
            foreach (var (result, error) in Spread(2, () => SparseMlpExperimentTests.Small(5)))
            {
                Assert.IsNull(error, error?.ToString());
                Assert.HasCount(5, result!.Trials);
                // The first round starts where one process starts: trial 0, the defaults, scores the same. (Its second point
                // may differ: one process searches on from the point trial 0 resolved, with the bins its defaults chose,
                // where a round of two chose both points before any ran.)
                Assert.AreEqual(Summary(alone).Split("; ")[0], Summary(result).Split("; ")[0]);
                Assert.HasCount(5, result.Trials.Select(t => $"{string.Join("x", t.HiddenLayerSizes)}/{t.TargetSparsity}/{t.LearningRateMultiplier}/{t.EpochMultiplier}/{t.PiecewiseLinearBins}").Distinct().ToArray(),
                    "five distinct points");
                Assert.IsTrue(result.Trials.All(t => t.Model is not null), "held out, every trial keeps its model");
                // The leader weighed on the same kept rows the same way on every rank: the same best.
                Assert.IsNotNull(result.LeaderWins, "held out, the leader is weighed on the rows kept from the holdout");
                string withBest = $"{Summary(result)}; best {result.Best.Index}, leader {result.Leader!.Index} wins {result.LeaderWins}";
                first ??= withBest;
                Assert.AreEqual(first, withBest);
            }
        }
    }

    [TestMethod]
    public void CancelledOnOneRank_StopsEveryRank()
    {
        // Rank 1 is cancelled once the first trial is done: its fold of the next trial fails, and every rank stops.
        foreach (var (_, error) in Spread(2, TwoFolds, (rank, o, cancellation) =>
            o.Progress = new SparseMlpExperimentTests.SyncProgress(() => { if (rank == 1) cancellation.Cancel(); })))
        {
            Assert.IsInstanceOfType<OperationCanceledException>(error, error?.ToString());
            StringAssert.Contains(error!.Message, "The experiment's trial 1 (fold 1) failed on rank 1 of 2");
        }
    }

    /// <summary>
    /// Three ranks and two folds: rank 2 owns no fit, so its cancellation is seen only where the ranks agree after the
    /// fits; every rank stops there instead of rank 2 returning alone.
    /// </summary>
    [TestMethod]
    public void CancelledOnARankThatOwnsNoFit_StopsEveryRank()
    {
        foreach (var (_, error) in Spread(3, TwoFolds, (rank, o, cancellation) =>
            o.Progress = new SparseMlpExperimentTests.SyncProgress(() => { if (rank == 2) cancellation.Cancel(); })))
        {
            Assert.IsInstanceOfType<OperationCanceledException>(error, error?.ToString());
            StringAssert.Contains(error!.Message, "cancelled on rank 2 of 3");
        }
    }

    [TestMethod]
    public void AProgressCallbackThatThrowsOnOneRank_StopsEveryRank()
    {
        var results = Spread(2, () => SparseMlpExperimentTests.Small(4), (rank, o, _) =>
            o.Progress = new SparseMlpExperimentTests.SyncProgress(() => { if (rank == 1) throw new InvalidOperationException("a progress report that fails"); }));
        foreach (var (_, error) in results)
        {
            Assert.IsInstanceOfType<InvalidOperationException>(error, error?.ToString());
            StringAssert.Contains(error!.Message, "progress callback failed on rank 1 of 2");
        }

        StringAssert.Contains(results[1].Error!.Message, "a progress report that fails");
    }

    private static SparseMlpExperimentOptions TwoFolds()
    {
        var options = SparseMlpExperimentTests.Small(4);
        options.NumberOfFolds = 2;
        return options;
    }

    /// <summary>
    /// The experiment on the three-class rows over <paramref name="ranks"/> ranks (threads), each with the options
    /// <paramref name="options"/> makes, the group as their communicator, a cancellation token of its own, and then what
    /// <paramref name="configure"/> sets (given the rank and the token's source).
    /// </summary>
    private static (SparseMlpExperimentResult? Result, Exception? Error)[] Spread(int ranks, Func<SparseMlpExperimentOptions> options,
        Action<int, SparseMlpExperimentOptions, CancellationTokenSource>? configure = null) =>
        InProcessGroup.Run(ranks, (rank, communicator) =>
        {
            using var cancellation = new CancellationTokenSource();
            var o = options();
            o.Communicator = communicator;
            o.CancellationToken = cancellation.Token;
            configure?.Invoke(rank, o, cancellation);
            var (context, rows) = SparseMlpExperimentTests.ThreeClasses();
            return SparseMlpExperiment.Multiclass(context, rows, o);
        });
}
