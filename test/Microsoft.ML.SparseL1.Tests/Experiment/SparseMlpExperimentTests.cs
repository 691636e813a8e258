// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Data;
using Microsoft.ML.SparseL1.Experiment;
using Microsoft.ML.SparseL1.Sweep;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Experiment;

[TestClass]
public class SparseMlpExperimentTests
{
    private sealed class BinaryRow
    {
        [VectorType(3)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    private sealed class Row
    {
        [VectorType(6)]
        public float[] Features { get; set; } = [];

        public string Label { get; set; } = string.Empty;
    }

    internal sealed class SyncProgress(Action report) : IProgress<SparseMlpTrial>
    {
        public void Report(SparseMlpTrial value) => report();
    }

    internal static (MLContext Context, IDataView Data) ThreeClasses()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(4);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 500).Select(_ =>
        {
            var x = Enumerable.Range(0, 6).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            return new Row { Features = x, Label = x[0] * x[1] + x[2] > 0.3 ? "a" : x[0] * x[1] + x[2] < -0.3 ? "b" : "c" };
        }).ToArray());
        return (ml, ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data));
    }

    /// <summary>The search's leader, ranked here independently: the top trial after trial 0 that ran every fold (ties: fewer nonzeros, then earlier).</summary>
    private static SparseMlpTrial ExpectedLeader(SparseMlpExperimentResult result) =>
        result.Trials.Skip(1).Where(t => !t.StoppedEarly).OrderByDescending(t => t.Metric).ThenBy(t => t.NonZeroWeights).ThenBy(t => t.Index).First();

    /// <summary>MicroAccuracy on 200 bootstrap resamples of <paramref name="scored"/>, seeds <paramref name="seed"/>, <paramref name="seed"/> + 1, ...</summary>
    private static double[] ResampledAccuracies(MLContext ml, IDataView scored, int seed) =>
        Enumerable.Range(0, 200).Select(b => ml.MulticlassClassification.Evaluate(ml.Data.BootstrapSample(scored, seed: seed + b)).MicroAccuracy).ToArray();

    internal static SparseMlpExperimentOptions Small(int trials) => new()
    {
        MaxTrials = trials, TrainingTimeInSeconds = 1e6, NumberOfFolds = 1, HiddenLayerWidths = [8, 16, 32], HiddenLayerCounts = [1, 2],
        TargetSparsities = [0.5f, 0.8f, 0.9f], LearningRateMultipliers = [1f, 3f], EpochMultipliers = [1, 2],
    };

    [TestMethod]
    public void Multiclass_StartsAtTheDefaults_SearchesDistinctPoints_AndFindsTheFront()
    {
        var (ml, data) = ThreeClasses();
        int reported = 0;
        var options = Small(6);
        options.Progress = new SyncProgress(() => reported++);
        var result = SparseMlpExperiment.Multiclass(ml, data, options);

        Assert.HasCount(6, result.Trials);
        Assert.AreEqual(6, reported);
        // Trial 0 is the trainer's defaults as they are (the lists do not hold its width): the same holdout score and
        // network as the default trainer fitted on the same rows; its other values are the closest point of the lists
        // (90 %, the trainer's own step and budget), where the search starts.
        var first = result.Trials[0];
        // Held out, half of the holdout (10 % of the rows, by the seed + 1) is kept from the search, and the trials train
        // on the other 80 % of the rows, scored on the 10 % left (1/9 of the rows not kept).
        var (keptFraction, holdoutFraction) = SparseMlpExperiment.Fractions(options, folds: 1);
        Assert.AreEqual(0.1, keptFraction, 1e-15);
        Assert.AreEqual(1 / 9.0, holdoutFraction, 1e-15);
        var kept = ml.Data.TrainTestSplit(data, keptFraction, seed: options.Seed + 1);
        var split = ml.Data.TrainTestSplit(kept.TrainSet, holdoutFraction, seed: options.Seed);
        Assert.AreEqual(400, DataViewReader.RowCount(split.TrainSet, () => { }), 20, "the trials train on about 80 % of the 500 rows");
        var defaults = ml.MulticlassClassification.Trainers.SparseMlp().Fit(split.TrainSet);
        Assert.AreEqual(ml.MulticlassClassification.Evaluate(defaults.Transform(split.TestSet)).MicroAccuracy, first.Metric);
        // Held out, the trials keep the models the holdout scored, but trial 0 when it is the best: it is then trained again
        // on every row, the defaults' own model on the data (whose width the rule resolves from every row).
        bool firstTrainedAgain = result.Best == first;
        var defaultsOnEveryRow = ml.MulticlassClassification.Trainers.SparseMlp().Fit(data);
        CollectionAssert.AreEqual((firstTrainedAgain ? defaultsOnEveryRow : defaults).Model.TrainedLayerSizes.Skip(1).SkipLast(1).ToArray(),
            first.HiddenLayerSizes.ToArray());
        Assert.AreEqual(0.9f, first.TargetSparsity);
        Assert.AreEqual(1f, first.LearningRateMultiplier);
        Assert.AreEqual(1, first.EpochMultiplier);
        var points = result.Trials.Select(Point).ToArray();
        Assert.HasCount(6, points.Distinct().ToArray(), string.Join("; ", points));
        foreach (var trial in result.Trials)
        {
            // Within the trainer's tolerance, or one weight of these small networks (the target count is rounded).
            double weights = trial.NonZeroWeights / (1 - trial.Sparsity);
            Assert.AreEqual(trial.TargetSparsity, trial.Sparsity, 0.01 * (1 - trial.TargetSparsity) + 1 / weights + 1e-9, trial.ToString());
            Assert.IsNotNull(trial.Model, trial.ToString());
            if (trial == first && firstTrainedAgain)
            {
                Assert.AreEqual(ml.MulticlassClassification.Evaluate(defaultsOnEveryRow.Transform(data)).MicroAccuracy,
                    ml.MulticlassClassification.Evaluate(trial.Model.Transform(data)).MicroAccuracy, "trial 0 the best: the defaults trained on every row");
                continue;
            }

            double expected = ml.MulticlassClassification.Evaluate(trial.Model.Transform(split.TestSet)).MicroAccuracy;
            Assert.AreEqual(expected, trial.Metric, 1e-12, "the metric is the holdout's MicroAccuracy");
            // Each trial's scores on the holdout's five parts (the experiment's seed), each part scored as a whole.
            var parts = ml.Data.CrossValidationSplit(split.TestSet, 5, seed: 1);
            CollectionAssert.AreEqual(parts.Select(p => ml.MulticlassClassification.Evaluate(trial.Model.Transform(p.TestSet)).MicroAccuracy).ToArray(),
                trial.FoldMetrics.ToArray(), trial.ToString());
        }

        // Each trial is also scored on five disjoint random parts of the holdout (the experiment's seed), each part as a whole.
        var chunks = ml.Data.CrossValidationSplit(split.TestSet, 5, seed: 1).Select(p => p.TestSet).ToArray();
        Assert.AreEqual(DataViewReader.RowCount(split.TestSet, () => { }), chunks.Sum(c => DataViewReader.RowCount(c, () => { })));
        CollectionAssert.AreEqual(chunks.Select(c => ml.MulticlassClassification.Evaluate(defaults.Transform(c)).MicroAccuracy).ToArray(), first.FoldMetrics.ToArray());
        foreach (var trial in result.Trials)
            Assert.HasCount(5, trial.FoldMetrics, trial.ToString());
        // The top trial after trial 0 and trial 0, as the holdout scored them, are scored on 200 bootstrap resamples of the
        // kept rows (seeds from the experiment's); trial 0's model is trained here again independently. The best is the
        // leader only where it scores above the defaults on at least RequiredConfidence of them.
        var top = result.Trials.OrderByDescending(t => t.Metric).ThenBy(t => t.NonZeroWeights).ThenBy(t => t.Index).First();
        var leader = ExpectedLeader(result);
        foreach (var trial in result.Trials)
            Assert.HasCount(trial == leader || trial.Index == 0 ? 200 : 0, trial.ConfirmationMetrics, trial.ToString());
        CollectionAssert.AreEqual(ResampledAccuracies(ml, defaults.Transform(kept.TestSet), options.Seed), first.ConfirmationMetrics.ToArray(), "trial 0 on the kept rows' resamples");
        CollectionAssert.AreEqual(ResampledAccuracies(ml, leader.Model!.Transform(kept.TestSet), options.Seed), leader.ConfirmationMetrics.ToArray(), "the leader on the same resamples");
        int wins = leader.ConfirmationMetrics.Zip(first.ConfirmationMetrics).Count(pair => pair.First > pair.Second);
        Assert.AreSame(wins >= 0.97725 * 200 ? leader : first, result.Best, $"the leader wins {wins} of 200");
        Assert.AreSame(leader, result.Leader);
        Assert.AreEqual(wins, result.LeaderWins);
        Assert.IsGreaterThan(0, first.ScoreSeconds, "the holdout's scoring is timed (the confirmation's budget)");
        Assert.IsGreaterThan(0.6, result.Best.Metric, string.Join("\n", result.Trials));
        // The front: sparsest first, each scoring above every sparser trial; no trial beats a front member on both.
        for (int i = 1; i < result.ParetoFront.Count; i++)
        {
            Assert.IsGreaterThan(result.ParetoFront[i - 1].NonZeroWeights, result.ParetoFront[i].NonZeroWeights);
            Assert.IsGreaterThan(result.ParetoFront[i - 1].Metric, result.ParetoFront[i].Metric);
        }

        foreach (var member in result.ParetoFront)
            Assert.IsFalse(result.Trials.Any(t => t.Metric > member.Metric && t.NonZeroWeights < member.NonZeroWeights), member.ToString());
        Assert.Contains(top, result.ParetoFront.ToList());
        // The models a user may pick (the front, and the best) have their prediction time measured; the others are not timed.
        foreach (var trial in result.Trials)
            Assert.AreEqual(result.ParetoFront.Contains(trial) || trial == result.Best, trial.PredictionMicroseconds is > 0, trial.ToString());
        StringAssert.Contains(result.Best.ToString(), "µs a row");
        var sparsest = result.SparsestWithin(0.05);
        Assert.IsGreaterThanOrEqualTo(result.Best.Metric - 0.05, sparsest.Metric);
        Assert.IsFalse(result.Trials.Any(t => t.Metric >= result.Best.Metric - 0.05 && t.NonZeroWeights < sparsest.NonZeroWeights));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => result.SparsestWithin(-1)).Message, "tolerance must be at least 0");
    }

    /// <summary>A trial's values in the search's seven dimensions (the inputs kept only where fewer than all).</summary>
    private static string Point(SparseMlpTrial t) =>
        $"{string.Join("x", t.HiddenLayerSizes)}/{t.TargetSparsity}/{t.LearningRateMultiplier}/{t.EpochMultiplier}/{t.PiecewiseLinearBins}{(t.InputsToKeep is int k ? $"/{k} kept" : "")}";

    /// <summary>
    /// Where the defaults of trial 0 choose the piecewise-linear bins (a label switching at thresholds of a heavy-tailed
    /// count), trial 0 reports them and the search does not train that point again: of a search space of two points (the
    /// defaults' network with and without the bins) it trains the other one, the inputs as they are, and stops.
    /// </summary>
    [TestMethod]
    public void TrialZeroWithTheBinsItsDefaultsChose_IsNotSearchedAgain()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(6);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 1000).Select(_ =>
        {
            float count = MathF.Floor(MathF.Exp((float)random.NextDouble() * 8f));
            return new BinaryRow { Features = [count, (float)random.NextDouble(), random.Next(2)], Label = count is > 20 and < 60 || count > 900 };
        }).ToArray());
        var options = Small(5);
        options.HiddenLayerWidths = [100];
        options.HiddenLayerCounts = [1];
        options.TargetSparsities = [0.9f];
        options.LearningRateMultipliers = [1f];
        options.EpochMultipliers = [1];
        options.InputFractions = [1f];
        var result = SparseMlpExperiment.Binary(ml, data, options);

        var points = result.Trials.Select(Point).ToArray();
        Assert.AreEqual(8, result.Trials[0].PiecewiseLinearBins, "fixture: the defaults choose the bins");
        Assert.HasCount(2, result.Trials, string.Join("; ", points));
        Assert.AreEqual(0, result.Trials[1].PiecewiseLinearBins, "the point the defaults did not train");
        Assert.AreEqual("100/0.9/1/1/8", points[0]);
        Assert.AreEqual("100/0.9/1/1/0", points[1]);
    }

    /// <summary>
    /// Held out, a part of the holdout that ML.NET's binary evaluator refuses (no positive row: no AUC) does not stop the
    /// experiment: the trials keep the holdout's score alone, and the best is the top of it.
    /// </summary>
    [TestMethod]
    public void HeldOut_BinaryWithAPartWithoutPositives_KeepsTheHoldoutScoreAlone()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(3);
        // 6 positives in 200 rows: the 100-row holdout has a few, so most of its five parts have none.
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 200).Select(i => new BinaryRow
        {
            Features = [(float)random.NextDouble(), (float)random.NextDouble(), i % 33 == 0 ? 1f : 0f],
            Label = i % 33 == 0,
        }).ToArray());
        var options = Small(2);
        options.HoldoutFraction = 0.5;
        // The holdout's parts weigh the leader only without rows kept from the search.
        options.ConfirmationFraction = 0;
        var split = ml.Data.TrainTestSplit(data, 0.5, seed: 1);
        var parts = ml.Data.CrossValidationSplit(split.TestSet, 5, seed: 1).Select(p => ml.Data.CreateEnumerable<BinaryRow>(p.TestSet, false).Count(r => r.Label)).ToArray();
        Assert.IsTrue(parts.Sum() > 0 && parts.Contains(0), $"fixture: positives in the holdout's parts {string.Join(", ", parts)}");

        var result = SparseMlpExperiment.Binary(ml, data, options);

        Assert.HasCount(2, result.Trials);
        foreach (var trial in result.Trials)
            CollectionAssert.AreEqual(new[] { trial.Metric }, trial.FoldMetrics.ToArray(), trial.ToString());
        Assert.AreSame(result.Trials.OrderByDescending(t => t.Metric).ThenBy(t => t.NonZeroWeights).ThenBy(t => t.Index).First(), result.Best);

        // With rows kept (half the holdout, by the seed + 1), seeds where they hold no positive row at all: the experiment
        // does not fail, the confirmation holds one score that cannot be one (NaN), and the best is the defaults.
        var keptOptions = Small(2);
        keptOptions.HoldoutFraction = 0.5;
        double keptFraction = SparseMlpExperiment.Fractions(keptOptions, folds: 1).Kept;
        int[] noPositiveKept = Enumerable.Range(1, 40).Where(seed => !ml.Data.CreateEnumerable<BinaryRow>(
            ml.Data.TrainTestSplit(data, keptFraction, seed: seed + 1).TestSet, false).Any(r => r.Label)).ToArray();
        Assert.IsNotEmpty(noPositiveKept, "fixture: a seed that keeps no positive row");
        keptOptions.Seed = noPositiveKept[0];
        var kept = SparseMlpExperiment.Binary(ml, data, keptOptions);
        Assert.AreSame(kept.Trials[0], kept.Best, "kept rows that cannot be scored keep the defaults");
        Assert.IsNotNull(kept.Leader);
        Assert.IsTrue(kept.Leader.ConfirmationMetrics is [double leaderScore] && double.IsNaN(leaderScore), string.Join(", ", kept.Leader.ConfirmationMetrics));
        Assert.IsNull(kept.LeaderWins);
    }

    /// <summary>
    /// The best is the top trial only where its lead over the defaults is significant in a one-sided paired t-test at
    /// RequiredConfidence on the part-by-part differences (five parts: Student's t with four degrees, 2.87 standard errors,
    /// checked through MathNet.Numerics' distribution function): +0.004 with parts going both ways (1.0 standard error)
    /// and +0.02 at 2.39 standard errors (which two standard errors took) keep the defaults; +0.02 at 3.51 standard errors
    /// and +0.02 on every part (standard error 0) take the top; the top with one part less than the defaults has no
    /// comparison and is taken. Where the leader and the defaults were scored on resamples of rows kept from the search,
    /// the choice is made there alone, by the share of resamples the leader wins.
    /// </summary>
    [TestMethod]
    public void Best_TakesTheTopOnlyWhereItsLeadIsSignificant()
    {
        Assert.AreEqual(SparseMlpExperimentResult.RequiredConfidence,
            MathNet.Numerics.Distributions.StudentT.CDF(0, 1, 4, SparseMlpExperimentResult.RequiredStandardErrors(5)), 1e-12);
        Assert.AreEqual(SparseMlpExperimentResult.RequiredConfidence,
            MathNet.Numerics.Distributions.StudentT.CDF(0, 1, 2, SparseMlpExperimentResult.RequiredStandardErrors(3)), 1e-12);
        static SparseMlpTrial Trial(int index, params double[] parts) =>
            new(index, [8], 0.9f, 1f, 1, parts.Average(), 100 - index, 0.9, 1, null) { FoldMetrics = parts };
        var defaults = Trial(0, 0.80, 0.80, 0.80, 0.80, 0.80);
        var noisy = Trial(1, 0.81, 0.80, 0.79, 0.81, 0.81);
        var between = Trial(2, 0.80, 0.84, 0.80, 0.83, 0.83);
        var significant = Trial(3, 0.81, 0.835, 0.805, 0.82, 0.83);
        var steady = Trial(4, 0.82, 0.82, 0.82, 0.82, 0.82);

        Assert.AreSame(defaults, new SparseMlpExperimentResult("m", [defaults, noisy], 0).Best);
        Assert.AreSame(defaults, new SparseMlpExperimentResult("m", [defaults, between], 0).Best);
        Assert.AreSame(significant, new SparseMlpExperimentResult("m", [defaults, significant], 0).Best);
        Assert.AreSame(steady, new SparseMlpExperimentResult("m", [defaults, noisy, steady], 0).Best);
        var unpaired = Trial(3, 0.85, 0.85, 0.85, 0.85);
        Assert.AreSame(unpaired, new SparseMlpExperimentResult("m", [defaults, unpaired], 0).Best);

        // On the kept rows' resamples: 196 wins of 200 are 98 % (taken), 195 are 97.5 % (not), however far ahead the leader is
        // on the search's folds; one score (resamples that could not be scored) or an unpaired count keep the defaults.
        static double[] Resampled(int wins, int count) => Enumerable.Range(0, count).Select(b => b < wins ? 0.81 : 0.80).ToArray();
        var keptDefaults = defaults with { ConfirmationMetrics = Enumerable.Repeat(0.80, 200).ToArray() };
        var confirmed = noisy with { ConfirmationMetrics = Resampled(196, 200) };
        var confirmedResult = new SparseMlpExperimentResult("m", [keptDefaults, confirmed, steady], 0);
        Assert.AreSame(confirmed, confirmedResult.Best);
        Assert.AreSame(confirmed, confirmedResult.Leader);
        Assert.AreEqual(196, confirmedResult.LeaderWins);
        Assert.IsNull(new SparseMlpExperimentResult("m", [defaults, noisy], 0).Leader, "no kept rows, no leader weighed there");
        Assert.AreSame(keptDefaults, new SparseMlpExperimentResult("m", [keptDefaults, steady with { ConfirmationMetrics = Resampled(195, 200) }], 0).Best);
        var whole = defaults with { ConfirmationMetrics = [0.80] };
        var unscored = new SparseMlpExperimentResult("m", [whole, steady with { ConfirmationMetrics = [0.9] }], 0);
        Assert.AreSame(whole, unscored.Best);
        Assert.IsNull(unscored.LeaderWins, "one score each: nothing to count");
        Assert.AreSame(whole, new SparseMlpExperimentResult("m", [whole, steady with { ConfirmationMetrics = Resampled(200, 200) }], 0).Best, "unpaired");
    }

    /// <summary>
    /// The next trial's expected seconds, in closed form: its cost at the seconds per cost of the costliest trial after
    /// trial 0 that ran every fold and costs at least a quarter of trial 0. Trial 0 (50 s for cost 5: a cost-10 point
    /// 100 s) while only the 1-s trial of cost 1 ran (its seconds mostly overhead), then trial 2 (6 s for cost 3), then
    /// trial 4 (12 s for cost 6, so 20 s), ignoring a costlier trial that stopped early; cross-validated over two ranks,
    /// half; nothing before any trial.
    /// </summary>
    [TestMethod]
    public void NextTrialSeconds_ScalesTheCostliestFullTrial()
    {
        static SparseMlpTrial Trial(int index, double seconds, bool stopped = false) =>
            new(index, [8], 0.9f, 1f, 1, 0.8, 10, 0.9, seconds, null) { StoppedEarly = stopped };
        Func<int[], double> cost = p => p[0];
        List<SparseMlpTrial> trials = [Trial(0, 50), Trial(1, 1), Trial(2, 6), Trial(3, 100, stopped: true), Trial(4, 12)];
        List<int[]> points = [[5], [1], [3], [8], [6]];
        Assert.AreEqual(100, SparseMlpExperiment.NextTrialSeconds(trials[..2], points[..2], cost, [10], 5, 1), 1e-12, "trial 0, while only a trial of less than a quarter of its cost ran");
        Assert.AreEqual(20, SparseMlpExperiment.NextTrialSeconds(trials[..4], points[..4], cost, [10], 5, 1), 1e-12, "trial 2 (cost 3 of trial 0's 5), not trial 0; trial 3 stopped");
        Assert.AreEqual(20, SparseMlpExperiment.NextTrialSeconds(trials, points, cost, [10], 5, 1), 1e-12, "trial 4, the costliest full trial after trial 0");
        List<SparseMlpTrial> slower = [Trial(0, 50), Trial(1, 30)];
        Assert.AreEqual(30, SparseMlpExperiment.NextTrialSeconds(slower, [[5], [10]], cost, [10], 5, 1), 1e-12, "a trial costlier than trial 0 scales it too");
        Assert.AreEqual(10, SparseMlpExperiment.NextTrialSeconds(trials, points, cost, [10], 5, 2), 1e-12, "cross-validated over two ranks: the folds side by side");
        Assert.AreEqual(20, SparseMlpExperiment.NextTrialSeconds(trials, points, cost, [10], 1, 2), 1e-12, "held out: one trial a rank");
        Assert.AreEqual(0, SparseMlpExperiment.NextTrialSeconds([], [], cost, [10], 5, 1), "no trial yet");
    }

    /// <summary>
    /// The time a search leaves for what follows it, in closed form. Cross-validated: trial 0 (10 s over five folds) and
    /// the leader (4 s) trained on the search's rows with three seeds each, one fold's fit times 5/4 each, dealt over ranks
    /// (the share of the rank dealt the most); the front and
    /// the best (the 20- and 50-weight trials: 2 s and 4 s over five folds) trained on every row, one fold's fit times 1.5625
    /// each (a fifth kept, then a fifth a fold), over as many ranks as folds. Without rows kept, the refits alone. Held out:
    /// trial 0 trained again on every row (10 s times 5/4), on one rank however many there are.
    /// </summary>
    [TestMethod]
    public void SecondsAfterSearch_IsTheConfirmationAndTheRefits_EstimatedFromTheTrials()
    {
        static SparseMlpTrial Trial(int index, long nonZero, double seconds, double metric) =>
            new(index, [8], 0.9f, 1f, 1, metric, nonZero, 0.9, seconds, null) { FoldMetrics = Enumerable.Repeat(metric, 5).ToArray() };
        List<SparseMlpTrial> trials = [Trial(0, 100, 10, 0.80), Trial(1, 50, 4, 0.85), Trial(2, 20, 2, 0.70)];
        var sofar = new SparseMlpExperimentResult("m", trials, 0);
        CollectionAssert.AreEqual(new[] { 2, 1 }, sofar.ParetoFront.Select(t => t.Index).ToArray(), "fixture: the front");
        Assert.AreEqual(1, sofar.Best.Index, "fixture: the best");

        // The confirmation trains trial 0 (2 s a fold; with its choices given, 0.5 s) and the leader (0.8 s) with three
        // seeds each, on 5/4 of a fold's rows, in two batches: trial 0's first fit and the leader's three (2, 0.8, 0.8,
        // 0.8 s), then trial 0's other two (0.5, 0.5 s). Over ranks, fit j of a batch on rank j mod ranks: on two, 2 + 0.8
        // then 0.5; on three, 2 + 0.8 then 0.5; on six, 2 then 0.5.
        double confirmation = (2 + 0.5 + 0.5 + 3 * 0.8) * 5 / 4.0, refits = (2 / 5.0 + 4 / 5.0) * 1.5625;
        Assert.AreEqual(confirmation + refits, SparseMlpExperiment.SecondsAfterSearch(trials, 5, 1.5625, 5 / 4.0, 0, 1, "m", 0.5), 1e-12);
        Assert.AreEqual((2 + 0.8 + 0.5) * 5 / 4.0 + refits / 2, SparseMlpExperiment.SecondsAfterSearch(trials, 5, 1.5625, 5 / 4.0, 0, 2, "m", 0.5), 1e-12);
        Assert.AreEqual((2 + 0.8 + 0.5) * 5 / 4.0 + refits / 3, SparseMlpExperiment.SecondsAfterSearch(trials, 5, 1.5625, 5 / 4.0, 0, 3, "m", 0.5), 1e-12);
        Assert.AreEqual((2 + 0.5) * 5 / 4.0 + refits / 5, SparseMlpExperiment.SecondsAfterSearch(trials, 5, 1.5625, 5 / 4.0, 0, 6, "m", 0.5), 1e-12, "a fit a rank");
        Assert.AreEqual((2 + 2 + 2 + 3 * 0.8) * 5 / 4.0 + refits, SparseMlpExperiment.SecondsAfterSearch(trials, 5, 1.5625, 5 / 4.0, 0, 1, "m", 2), 1e-12, "trial 0's other fits as estimated");
        Assert.AreEqual((2 / 5.0 + 4 / 5.0) * 5 / 4.0, SparseMlpExperiment.SecondsAfterSearch(trials, 5, 5 / 4.0, 0, 0, 1, "m", 0.5), 1e-12, "no rows kept");
        Assert.AreEqual(10 * 5 / 4.0, SparseMlpExperiment.SecondsAfterSearch(trials, 1, 5 / 4.0, 0, 0, 1, "m", 0.5), 1e-12, "held out: trial 0's refit alone");
        Assert.AreEqual(10 * 5 / 4.0, SparseMlpExperiment.SecondsAfterSearch(trials, 1, 5 / 4.0, 0, 0, 2, "m", 0.5), 1e-12, "held out, two ranks");
        Assert.AreEqual(10 / 5.0 * 1.5625, SparseMlpExperiment.SecondsAfterSearch(trials[..1], 5, 1.5625, 5 / 4.0, 0, 1, "m", 0.5), 1e-12, "trial 0 alone: no leader");

        // With rows kept, the models on each of the 200 resamples, each resample scored as trial 0's fold (0.01 s) times
        // the kept rows per scored row (1.25 here): 2 x 200 x 0.01 x 1.25 = 5 s more held out (the two models the holdout
        // scored), three times that cross-validated (each trial's three seeds); nothing without a leader.
        trials[0] = trials[0] with { ScoreSeconds = 0.01 };
        Assert.AreEqual(confirmation + refits + 15, SparseMlpExperiment.SecondsAfterSearch(trials, 5, 1.5625, 5 / 4.0, 1.25, 1, "m", 0.5), 1e-12, "the resamples' scoring");
        Assert.AreEqual(10 * 5 / 4.0 + 5, SparseMlpExperiment.SecondsAfterSearch(trials, 1, 5 / 4.0, 0, 1.25, 1, "m", 0.5), 1e-12, "held out, the resamples' scoring");
        Assert.AreEqual(10 / 5.0 * 1.5625, SparseMlpExperiment.SecondsAfterSearch(trials[..1], 5, 1.5625, 5 / 4.0, 1.25, 1, "m", 0.5), 1e-12, "no leader, no scoring");
    }

    /// <summary>
    /// A confirmed trial's score on each resample is its fits' mean there; one model's scores are kept as they are; fits
    /// scored on different numbers of resamples (one could not be scored on every resample) give one NaN, which cannot
    /// weigh a lead. The cross-validated experiment's fits come in two batches: trial 0's first fit and the leader's three
    /// seeds, then trial 0's other two, which are given its first fit's choices.
    /// </summary>
    [TestMethod]
    public void ConfirmationScores_AreTheFitsMeanOnEachResample()
    {
        var models = new ITransformer[] { new TransformerChain<ITransformer>(), new TransformerChain<ITransformer>(), new TransformerChain<ITransformer>() };
        var scores = new Dictionary<ITransformer, IReadOnlyList<double>> { [models[0]] = [0.5, 0.25, 1.0], [models[1]] = [0.75, 1.0, 0.0], [models[2]] = [0.25, 0.25, 0.5] };
        CollectionAssert.AreEqual(new[] { 0.5, 0.5, 0.5 }, ExperimentConfirmation.MeanScores(models, m => scores[m]).ToArray());
        CollectionAssert.AreEqual(new[] { 0.625, 0.625, 0.5 }, ExperimentConfirmation.MeanScores(models[..2], m => scores[m]).ToArray(), "resample by resample");
        CollectionAssert.AreEqual(new[] { 0.5, 0.25, 1.0 }, ExperimentConfirmation.MeanScores(models[..1], m => scores[m]).ToArray(), "one model");
        scores[models[2]] = [0.5];
        Assert.IsTrue(ExperimentConfirmation.MeanScores(models, m => scores[m]) is [double single] && double.IsNaN(single), "unequal counts");

        // Two batches: trial 0's first fit and the leader's three seeds, then trial 0's other two (after its first).
        var (first, then) = SparseMlpExperiment.ConfirmationJobs(7);
        CollectionAssert.AreEqual(new[] { (0, 0), (7, 0), (7, 1), (7, 2) }, first.Select(job => (job.Trial, job.SeedOffset)).ToArray());
        CollectionAssert.AreEqual(new[] { (0, 1), (0, 2) }, then.Select(job => (job.Trial, job.SeedOffset)).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3 }, first.Select(job => job.Slot).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 1 }, then.Select(job => job.Slot).ToArray());
        Assert.IsTrue(first.Concat(then).All(job => job.Fold == ExperimentJob.ConfirmationFit));
    }

    [TestMethod]
    public void CrossValidated_TrialsScoreOnFolds_AndTheFrontIsTrainedOnEveryRow()
    {
        var (ml, data) = ThreeClasses();
        var options = Small(4);
        options.NumberOfFolds = 3;
        // One budget, so that the leader's options are the trainer's with the point's values (no epochs set from the rows).
        options.EpochMultipliers = [1];
        var result = SparseMlpExperiment.Multiclass(ml, data, options);

        Assert.HasCount(4, result.Trials);
        foreach (var trial in result.Trials)
        {
            // The trials a user may pick: the front, and the best (trial 0 when it falls back to the defaults).
            bool kept = result.ParetoFront.Contains(trial) || trial == result.Best;
            Assert.AreEqual(kept, trial.Model is not null, trial.ToString());
            Assert.AreEqual(kept, trial.PredictionMicroseconds is > 0, trial.ToString());
            if (trial.Model is SparseMlpPredictionTransformer model)
            {
                // Trained on all 500 rows with the trial's options: the same network shape and target.
                CollectionAssert.AreEqual(trial.HiddenLayerSizes.ToArray(), model.Model.TrainedLayerSizes.Skip(1).SkipLast(1).ToArray());
                Assert.AreEqual(trial.TargetSparsity, model.Model.Sparsity, 0.02 * (1 - trial.TargetSparsity) + 0.01);
            }
        }

        Assert.IsNotNull(result.Best.Model);
        foreach (var trial in result.Trials)
        {
            // The slots the trial's network trained with: the 6 inputs, or encoded, more (at most 6 x the bins).
            Assert.IsTrue(trial.PiecewiseLinearBins == 0 ? trial.InputSlots == 6 : trial.InputSlots > 6 && trial.InputSlots <= 6 * trial.PiecewiseLinearBins,
                $"{trial}: {trial.InputSlots} input slots");
            // A trial far below the best on its first two folds stops there.
            Assert.HasCount(trial.StoppedEarly ? 2 : 3, trial.FoldMetrics, trial.ToString());
            Assert.AreEqual(trial.FoldMetrics.Average(), trial.Metric, 1e-12);
        }

        // The search saw the rows a TrainTestSplit with the seed + 1 keeps from the fifth it holds out: trial 0's folds are
        // those rows' folds. The top trial after trial 0, and trial 0, trained on all those rows with the trainer's seed and
        // the next two (trial 0's two with the network and encoding its first fit chose), are scored on 200 bootstrap resamples
        // of the fifth (seeds from the experiment's), each resample's score the three fits' mean. Trained here again
        // independently.
        var search = ml.Data.TrainTestSplit(data, 0.2, seed: options.Seed + 1);
        var foldScores = ml.Data.CrossValidationSplit(search.TrainSet, 3, seed: options.Seed)
            .Select(part => ml.MulticlassClassification.Evaluate(ml.MulticlassClassification.Trainers.SparseMlp().Fit(part.TrainSet).Transform(part.TestSet)).MicroAccuracy).ToArray();
        CollectionAssert.AreEqual(foldScores, result.Trials[0].FoldMetrics.ToArray(), "trial 0's folds: the search's rows");
        var leader = ExpectedLeader(result);
        foreach (var trial in result.Trials)
            Assert.HasCount(trial == leader || trial.Index == 0 ? 200 : 0, trial.ConfirmationMetrics, trial.ToString());
        // Trial 0's other fits are given the choices of its first (the encoding as the bins the defaults choose between).
        var firstFit = ml.MulticlassClassification.Trainers.SparseMlp().Fit(search.TrainSet);
        int[] chosenHidden = firstFit.Model.TrainedLayerSizes.Skip(1).SkipLast(1).ToArray();
        int chosenBins = firstFit.Model.PiecewiseLinearBins > 0 ? 8 : 0;
        var fits = new[] { 124, 125 }.Select(seed => ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options
        {
            Seed = seed,
            HiddenLayerSizes = chosenHidden,
            PiecewiseLinearBins = chosenBins,
        }).Fit(search.TrainSet)).Prepend(firstFit).ToArray();
        var bySeed = fits.Select(fit => ResampledAccuracies(ml, fit.Transform(search.TestSet), options.Seed)).ToArray();
        var resampled = Enumerable.Range(0, 200).Select(b => (bySeed[0][b] + bySeed[1][b] + bySeed[2][b]) / 3).ToArray();
        CollectionAssert.AreEqual(resampled, result.Trials[0].ConfirmationMetrics.ToArray(), "trial 0 on the kept rows' resamples: its three fits' mean");
        Assert.IsTrue(resampled.Distinct().Count() > 10, "the resamples differ");
        Assert.IsFalse(bySeed[1].SequenceEqual(bySeed[0]) && bySeed[2].SequenceEqual(bySeed[0]), "the seeds' fits differ on the kept rows");
        // The leader's three fits: its point's options with the trainer's seed and the next two, on the same rows.
        var leaderBySeed = new[] { 123, 124, 125 }.Select(seed => ResampledAccuracies(ml, ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options
        {
            Seed = seed,
            HiddenLayerSizes = leader.HiddenLayerSizes.ToArray(),
            TargetSparsity = leader.TargetSparsity,
            PiecewiseLinearBins = leader.PiecewiseLinearBins,
            InputsToKeep = leader.InputsToKeep,
            LearningRate = leader.LearningRateMultiplier == 1f ? null : 1e-3f * leader.LearningRateMultiplier,
        }).Fit(search.TrainSet).Transform(search.TestSet), options.Seed)).ToArray();
        var leaderResampled = Enumerable.Range(0, 200).Select(b => (leaderBySeed[0][b] + leaderBySeed[1][b] + leaderBySeed[2][b]) / 3).ToArray();
        CollectionAssert.AreEqual(leaderResampled, leader.ConfirmationMetrics.ToArray(), $"{leader} on the kept rows' resamples: its three fits' mean");

        // The best is the leader only where it scores above the defaults on at least RequiredConfidence of the resamples.
        int wins = leader.ConfirmationMetrics.Zip(result.Trials[0].ConfirmationMetrics).Count(pair => pair.First > pair.Second);
        Assert.AreSame(wins >= 0.97725 * 200 ? leader : result.Trials[0], result.Best, $"the leader wins {wins} of 200");
    }

    /// <summary>
    /// Without rows kept from the search (ConfirmationFraction 0), the folds cover every row and the leader is weighed
    /// against the defaults on them: no trial has confirmation scores.
    /// </summary>
    [TestMethod]
    public void CrossValidated_WithoutKeptRows_WeighsTheLeaderOnTheFolds()
    {
        var (ml, data) = ThreeClasses();
        var options = Small(3);
        options.NumberOfFolds = 3;
        options.ConfirmationFraction = 0;
        var result = SparseMlpExperiment.Multiclass(ml, data, options);

        Assert.IsTrue(result.Trials.All(t => t.ConfirmationMetrics.Count == 0), string.Join("; ", result.Trials));
        var defaultsScores = ml.Data.CrossValidationSplit(data, 3, seed: options.Seed)
            .Select(part => ml.MulticlassClassification.Evaluate(ml.MulticlassClassification.Trainers.SparseMlp().Fit(part.TrainSet).Transform(part.TestSet)).MicroAccuracy).ToArray();
        CollectionAssert.AreEqual(defaultsScores, result.Trials[0].FoldMetrics.ToArray(), "trial 0's folds are every row's");
        var top = result.Trials.Where(t => !t.StoppedEarly).OrderByDescending(t => t.Metric).ThenBy(t => t.NonZeroWeights).ThenBy(t => t.Index).First();
        var differences = top.FoldMetrics.Zip(result.Trials[0].FoldMetrics, (a, b) => a - b).ToArray();
        double mean = differences.Average();
        double standardError = Math.Sqrt(differences.Sum(d => (d - mean) * (d - mean)) / 2 / 3);
        double required = MathNet.Numerics.Distributions.StudentT.InvCDF(0, 1, 2, SparseMlpExperimentResult.RequiredConfidence);
        Assert.AreSame(top.Index == 0 || mean > required * standardError ? top : result.Trials[0], result.Best);
    }

    /// <summary>
    /// A trial whose cross-validated score trails the best trial's on the same folds by more than 0.05 stops after its
    /// second fold: a network left with next to no weight (99.9 %) scores the majority class's share.
    /// </summary>
    [TestMethod]
    public void CrossValidated_AHopelessTrialStopsEarly_AndIsNeitherBestNorOnTheFront()
    {
        var (ml, data) = ThreeClasses();
        var options = new SparseMlpExperimentOptions
        {
            MaxTrials = 2, TrainingTimeInSeconds = 1e6, NumberOfFolds = 5, HiddenLayerWidths = [32], HiddenLayerCounts = [1],
            TargetSparsities = [0.9f, 0.999f], LearningRateMultipliers = [1f], EpochMultipliers = [1],
        };
        var result = SparseMlpExperiment.Multiclass(ml, data, options);

        var (defaults, hopeless) = (result.Trials[0], result.Trials[1]);
        Assert.AreEqual(0.999f, hopeless.TargetSparsity);
        Assert.IsFalse(defaults.StoppedEarly);
        Assert.HasCount(5, defaults.FoldMetrics);
        Assert.IsTrue(hopeless.StoppedEarly, hopeless.ToString());
        Assert.HasCount(2, hopeless.FoldMetrics);
        Assert.IsLessThan(defaults.FoldMetrics.Take(2).Average() - 0.05, hopeless.Metric);
        Assert.AreEqual(hopeless.FoldMetrics.Average(), hopeless.Metric, 1e-12);
        StringAssert.Contains(hopeless.ToString(), "stopped after 2 folds");
        Assert.AreSame(defaults, result.Best);
        CollectionAssert.DoesNotContain(result.ParetoFront.ToArray(), hopeless);
        Assert.IsNull(hopeless.Model);
    }

    [TestMethod]
    public void SameSeedAndTrialCount_GiveTheSameTrials()
    {
        var (ml, data) = ThreeClasses();
        var a = SparseMlpExperiment.Multiclass(ml, data, Small(4));
        var b = SparseMlpExperiment.Multiclass(ml, data, Small(4));
        CollectionAssert.AreEqual(a.Trials.Select(t => t.Metric).ToArray(), b.Trials.Select(t => t.Metric).ToArray());
        CollectionAssert.AreEqual(a.Trials.Select(t => t.NonZeroWeights).ToArray(), b.Trials.Select(t => t.NonZeroWeights).ToArray());
    }

    [TestMethod]
    public void Search_WithLinearModels_VisitsEveryDistinctModelOnce_LinearOnesOncePerOtherValues()
    {
        var options = new SparseMlpExperimentOptions
        {
            HiddenLayerWidths = [8, 16, 32], HiddenLayerCounts = [0, 1, 2], TargetSparsities = [0.5f, 0.9f], LearningRateMultipliers = [1f, 3f], EpochMultipliers = [1],
            PiecewiseLinearBins = [0, 8], InputFractions = [1f],
        };
        var search = new Microsoft.ML.SparseL1.Experiment.ExperimentSearch(options, inputs: 6, defaultHiddenLayers: [16]);
        var models = new List<string>();
        for (int[]? point = search.Start; point is not null; point = search.Next(point))
        {
            search.Tried(point);
            var (hidden, target, step, epochs, bins, _) = search.Values(point);
            models.Add($"{string.Join("x", hidden)}/{target}/{step}/{epochs}/{bins}");
        }

        // (3 widths x 2 depths + one linear model) x 2 targets x 2 steps x 2 encodings, each once; the linear ones among them.
        Assert.HasCount(56, models, string.Join("; ", models));
        Assert.HasCount(56, models.Distinct().ToArray(), string.Join("; ", models));
        Assert.HasCount(8, models.Where(m => m.StartsWith('/')).ToArray(), string.Join("; ", models));
        Assert.AreEqual("16/0.9/1/1/0", models[0], "the search starts at the defaults, inputs as they are");
    }

    /// <summary>
    /// The cost of a point, in closed form: weights (inputs x first width, then width x width, then the last width) times
    /// epochs. Encoded in 8 bins, each of the 6 inputs counts as 8 slots until a trial reports the slots it trained with
    /// (one-hot inputs and inputs of few values take fewer), then those; an encoding of other bins keeps its bound.
    /// </summary>
    [TestMethod]
    public void Cost_CountsTheEncodedSlotsATrialTrainedWith()
    {
        var options = new SparseMlpExperimentOptions
        {
            HiddenLayerWidths = [16], HiddenLayerCounts = [2], TargetSparsities = [0.9f], LearningRateMultipliers = [1f], EpochMultipliers = [2],
            PiecewiseLinearBins = [0, 8, 16], InputFractions = [1f],
        };
        var search = new Microsoft.ML.SparseL1.Experiment.ExperimentSearch(options, inputs: 6, defaultHiddenLayers: [16]);
        int[] plain = [0, 0, 0, 0, 0, 0, 0], eight = [0, 0, 0, 0, 0, 1, 0], sixteen = [0, 0, 0, 0, 0, 2, 0];
        Assert.AreEqual((6 * 16 + 16 * 16 + 16) * 2, search.Cost(plain));
        Assert.AreEqual((48 * 16 + 16 * 16 + 16) * 2, search.Cost(eight));
        search.Encoded(8, 20);
        search.Encoded(0, 99);
        Assert.AreEqual((20 * 16 + 16 * 16 + 16) * 2, search.Cost(eight));
        Assert.AreEqual((96 * 16 + 16 * 16 + 16) * 2, search.Cost(sixteen));
        Assert.AreEqual((6 * 16 + 16 * 16 + 16) * 2, search.Cost(plain));
    }

    /// <summary>
    /// The inputs kept are the fractions of the 6 inputs rounded (0.25: 1.5 → 2; 0.5: 3), fewest first, every input last;
    /// every point is visited once, and input selection only with the inputs as they are (the trainer refuses it with bins).
    /// </summary>
    [TestMethod]
    public void Search_WithInputFractions_VisitsEachKeptCount_NeverWithBins()
    {
        var options = new SparseMlpExperimentOptions
        {
            HiddenLayerWidths = [8, 16], HiddenLayerCounts = [1], TargetSparsities = [0.9f], LearningRateMultipliers = [1f], EpochMultipliers = [1],
            PiecewiseLinearBins = [0, 8], InputFractions = [1f, 0.5f, 0.25f],
        };
        var search = new Microsoft.ML.SparseL1.Experiment.ExperimentSearch(options, inputs: 6, defaultHiddenLayers: [16]);
        var models = new List<string>();
        for (int[]? point = search.Start; point is not null; point = search.Next(point))
        {
            search.Tried(point);
            var (hidden, _, _, _, bins, kept) = search.Values(point);
            models.Add($"{string.Join("x", hidden)}/{bins}/{kept?.ToString() ?? "all"}");
        }

        Assert.AreEqual("16/0/all", models[0], "the search starts at the defaults, every input");
        // 2 widths x (inputs as they are: 2, 3 or all kept; in bins: all), each once.
        var expected = new[] { "8/0/2", "8/0/3", "8/0/all", "8/8/all", "16/0/2", "16/0/3", "16/0/all", "16/8/all" };
        CollectionAssert.AreEquivalent(expected, models, string.Join("; ", models));
        Assert.AreEqual(2, Microsoft.ML.SparseL1.Experiment.ExperimentSearch.KeptInputs(0.25f, 6));
        Assert.IsNull(Microsoft.ML.SparseL1.Experiment.ExperimentSearch.KeptInputs(0.99f, 6), "a fraction that rounds to every input keeps every input");
        Assert.AreEqual(1, Microsoft.ML.SparseL1.Experiment.ExperimentSearch.KeptInputs(0.01f, 6), "at least one input");
        // Selection costs the trainer's two runs: the network on every input, then on the inputs kept.
        int[] twoKept = [1, 0, 0, 0, 0, 0, 0], every = [1, 0, 0, 0, 0, 0, 2];
        Assert.AreEqual(6 * 16 + 16, search.Cost(every));
        Assert.AreEqual(6 * 16 + 16 + 2 * 16 + 16, search.Cost(twoKept));
        // Above 256 inputs the trainer steers a group penalty in one run: selection costs what every input does.
        var wide = new Microsoft.ML.SparseL1.Experiment.ExperimentSearch(options, inputs: 300, defaultHiddenLayers: [16]);
        Assert.AreEqual(300 * 16 + 16, wide.Cost(twoKept));
        Assert.AreEqual(wide.Cost(every), wide.Cost(twoKept));
    }

    /// <summary>
    /// A trial with input selection trains the trainer with <c>InputsToKeep</c>: its model uses at most the inputs kept and
    /// scores as that trainer does on the same rows.
    /// </summary>
    [TestMethod]
    public void Trial_WithAnInputFraction_TrainsWithThatManyInputsKept()
    {
        var (ml, data) = ThreeClasses();
        var options = Small(2);
        options.HiddenLayerWidths = [16];
        options.HiddenLayerCounts = [1];
        options.TargetSparsities = [0.5f];
        options.LearningRateMultipliers = [1f];
        options.EpochMultipliers = [1];
        options.PiecewiseLinearBins = [0];
        options.InputFractions = [0.5f, 1f];
        var result = SparseMlpExperiment.Multiclass(ml, data, options);

        Assert.HasCount(2, result.Trials);
        Assert.IsNull(result.Trials[0].InputsToKeep, "trial 0 is the defaults, every input");
        var selected = result.Trials[1];
        Assert.AreEqual(3, selected.InputsToKeep, selected.ToString());
        StringAssert.Contains(selected.ToString(), "3 inputs kept");
        var network = PipelineModels.Network(selected.Model!);
        Assert.IsTrue(network.UsedInputIndices.Count is >= 1 and <= 3, selected.ToString());
        // The same trainer by hand on the trials' rows (the kept rows cut by the seed + 1, then the holdout by the seed).
        var (keptFraction, holdoutFraction) = SparseMlpExperiment.Fractions(options, folds: 1);
        var split = ml.Data.TrainTestSplit(ml.Data.TrainTestSplit(data, keptFraction, seed: options.Seed + 1).TrainSet, holdoutFraction, seed: options.Seed);
        var byHand = ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options
        {
            HiddenLayerSizes = [16], TargetSparsity = 0.5f, PiecewiseLinearBins = 0, InputsToKeep = 3,
        }).Fit(split.TrainSet);
        Assert.AreEqual(ml.MulticlassClassification.Evaluate(byHand.Transform(split.TestSet)).MicroAccuracy, selected.Metric);
        CollectionAssert.AreEqual(byHand.Model.UsedInputIndices.ToArray(), network.UsedInputIndices.ToArray());
    }

    [TestMethod]
    public void BadOptions_AreRejectedByName()
    {
        var (ml, data) = ThreeClasses();
        var holdout = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SparseMlpExperiment.Multiclass(ml, data, new SparseMlpExperimentOptions { HoldoutFraction = 0.7 }));
        StringAssert.Contains(holdout.Message, "HoldoutFraction must be in (0, 0.5]; got 0.7");
        foreach (double fraction in new[] { -0.1, 0.5, double.NaN, double.PositiveInfinity })
        {
            var kept = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SparseMlpExperiment.Multiclass(ml, data, new SparseMlpExperimentOptions { ConfirmationFraction = fraction }));
            StringAssert.Contains(kept.Message, $"ConfirmationFraction must be in [0, 0.5); got {fraction}");
            Assert.AreEqual(nameof(SparseMlpExperimentOptions.ConfirmationFraction), kept.ParamName);
        }
        var bins = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SparseMlpExperiment.Multiclass(ml, data, new SparseMlpExperimentOptions { PiecewiseLinearBins = [0, 1] }));
        StringAssert.Contains(bins.Message, "PiecewiseLinearBins must hold 0 or bin counts in [2, 256]; got 1");
        var counts = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SparseMlpExperiment.Multiclass(ml, data, new SparseMlpExperimentOptions { HiddenLayerCounts = [0, 9] }));
        StringAssert.Contains(counts.Message, "HiddenLayerCounts must hold layer counts in [0, 8]; got 9");
        var widths = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SparseMlpExperiment.Multiclass(ml, data, new SparseMlpExperimentOptions { HiddenLayerWidths = [16, 0] }));
        StringAssert.Contains(widths.Message, "HiddenLayerWidths must hold widths of at least 1; got 0");
        foreach (float fraction in new[] { 0f, -0.5f, 1.5f, float.NaN })
        {
            var inputs = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SparseMlpExperiment.Multiclass(ml, data, new SparseMlpExperimentOptions { InputFractions = [1f, fraction] }));
            StringAssert.Contains(inputs.Message, $"InputFractions must hold fractions in (0, 1]; got {fraction}");
        }
        var withoutEveryInput = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SparseMlpExperiment.Multiclass(ml, data,
            new SparseMlpExperimentOptions { InputFractions = [0.5f] }));
        StringAssert.Contains(withoutEveryInput.Message, "InputFractions must hold 1");
        Assert.AreEqual(nameof(SparseMlpExperimentOptions.InputFractions), withoutEveryInput.ParamName);
        var time = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SparseMlpExperiment.Multiclass(ml, data, new SparseMlpExperimentOptions { TrainingTimeInSeconds = 0 }));
        StringAssert.Contains(time.Message, "TrainingTimeInSeconds must be above 0");
        var column = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SparseMlpExperiment.Multiclass(ml, data, new SparseMlpExperimentOptions { FeatureColumnName = "Pixels" }));
        StringAssert.Contains(column.Message, "no feature column 'Pixels'");
    }
}
