// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Data;
using Microsoft.ML.SparseL1.Experiment;
using Microsoft.ML.SparseL1.Sweep;
using Microsoft.ML.SparseL1.Trainers;

namespace Microsoft.ML.SparseL1;

/// <summary>
/// AutoML-style experiments with a time budget: from the trainer's defaults, a cost-aware search over the network's
/// width and depth, the target sparsity, the step, the training budget, the input encoding and the inputs kept
/// (<see cref="SparseMlpExperimentOptions"/>),
/// each trial trained on the rows not held out and scored on the others; the result holds every trial, the best, the
/// Pareto front of score against nonzeros and the sparsest model within a tolerance of the best.
/// </summary>
/// <remarks>
/// The data must already hold the feature vector and the label (featurize first, as for the trainer). In one process the
/// trials run one after another, each on the trainer's threads; with <see cref="SparseMlpExperimentOptions.Communicator"/>
/// their fits are spread over the ranks of a group.
/// </remarks>
public static class SparseMlpExperiment
{
    /// <summary>A multiclass experiment; the score is MicroAccuracy unless <paramref name="metric"/> is given (larger is better).</summary>
    /// <param name="context">The ML.NET context.</param>
    /// <param name="data">Training data with the feature and label columns.</param>
    /// <param name="options">Experiment options.</param>
    /// <param name="metric">Optional score of a trial's holdout metrics (larger is better).</param>
    /// <returns>The trials and what they found.</returns>
    public static SparseMlpExperimentResult Multiclass(MLContext context, IDataView data, SparseMlpExperimentOptions options,
        Func<MulticlassClassificationMetrics, double>? metric = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        return Run(context, data, options, SparseMlpTask.MulticlassClassification, metric is null ? "MicroAccuracy" : "metric",
            () => new SparseMlpMulticlassTrainer.Options(), o => context.MulticlassClassification.Trainers.SparseMlp((SparseMlpMulticlassTrainer.Options)o),
            scored => (metric ?? (m => m.MicroAccuracy))(context.MulticlassClassification.Evaluate(scored, options.LabelColumnName)));
    }

    /// <summary>A binary experiment; the score is Accuracy unless <paramref name="metric"/> is given (larger is better).</summary>
    /// <param name="context">The ML.NET context.</param>
    /// <param name="data">Training data with the feature and label columns.</param>
    /// <param name="options">Experiment options.</param>
    /// <param name="metric">Optional score of a trial's holdout metrics (larger is better).</param>
    /// <returns>The trials and what they found.</returns>
    public static SparseMlpExperimentResult Binary(MLContext context, IDataView data, SparseMlpExperimentOptions options,
        Func<CalibratedBinaryClassificationMetrics, double>? metric = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        return Run(context, data, options, SparseMlpTask.BinaryClassification, metric is null ? "Accuracy" : "metric",
            () => new SparseMlpBinaryTrainer.Options(), o => context.BinaryClassification.Trainers.SparseMlp((SparseMlpBinaryTrainer.Options)o),
            scored => (metric ?? (m => m.Accuracy))(context.BinaryClassification.Evaluate(scored, options.LabelColumnName)));
    }

    /// <summary>A regression experiment; the score is RSquared unless <paramref name="metric"/> is given (larger is better).</summary>
    /// <param name="context">The ML.NET context.</param>
    /// <param name="data">Training data with the feature and label columns.</param>
    /// <param name="options">Experiment options.</param>
    /// <param name="metric">Optional score of a trial's holdout metrics (larger is better).</param>
    /// <returns>The trials and what they found.</returns>
    public static SparseMlpExperimentResult Regression(MLContext context, IDataView data, SparseMlpExperimentOptions options,
        Func<RegressionMetrics, double>? metric = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        return Run(context, data, options, SparseMlpTask.Regression, metric is null ? "RSquared" : "metric",
            () => new SparseMlpRegressionTrainer.Options(), o => context.Regression.Trainers.SparseMlp((SparseMlpRegressionTrainer.Options)o),
            scored => (metric ?? (m => m.RSquared))(context.Regression.Evaluate(scored, options.LabelColumnName)));
    }

    private static SparseMlpExperimentResult Run(MLContext context, IDataView data, SparseMlpExperimentOptions options, SparseMlpTask task, string metricName,
        Func<SparseMlpOptionsBase> newOptions, Func<SparseMlpOptionsBase, IEstimator<SparseMlpPredictionTransformer>> trainer, Func<IDataView, double> score)
    {
        ArgumentNullException.ThrowIfNull(data);
        options.Validate();
        // Spread over ranks, a cancellation is agreed after the fits (ExperimentRanks): a rank must not stop alone before them.
        if (options.Communicator is not { Size: > 1 })
            options.CancellationToken.ThrowIfCancellationRequested();
        var features = data.Schema.GetColumnOrNull(options.FeatureColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(options), $"The data has no feature column '{options.FeatureColumnName}' (option FeatureColumnName).");
        if (features.Type is not VectorDataViewType { IsKnownSize: true } vector)
            throw new ArgumentOutOfRangeException(nameof(options), $"The feature column '{options.FeatureColumnName}' must be a known-size vector of Single; it is {features.Type}.");

        var communicator = options.Communicator ?? SparseL1Communicator.SingleProcess;
        communicator.CheckRankAndSize(nameof(options.Communicator));
        using var exclusive = communicator.Size > 1 ? communicator.BeginExclusiveUse("experiment") : null;
        var clock = Stopwatch.StartNew();
        int rows = CountRows(data, options);
        int folds = options.NumberOfFolds ?? (rows < AutomaticFoldsBelowRows ? AutomaticFolds : 1);
        // A part of the rows is kept from the search to confirm its leader against the defaults (below). Its own seed: keys
        // drawn by the folds' seed would keep from the search the rows whose fold keys are high, a choice correlated with the
        // folds.
        var (keptFraction, holdoutFraction) = Fractions(options, folds);
        DataOperationsCatalog.TrainTestData? confirmation = keptFraction > 0
            ? context.Data.TrainTestSplit(data, keptFraction, seed: unchecked(options.Seed + 1))
            : null;
        var searchData = confirmation?.TrainSet ?? data;
        int searchRows = confirmation is null ? rows : CountRows(searchData, options);
        var parts = folds >= 2
            ? context.Data.CrossValidationSplit(searchData, folds, seed: options.Seed)
            : [context.Data.TrainTestSplit(searchData, holdoutFraction, seed: options.Seed)];
        int trainRows = folds >= 2 ? (int)((long)searchRows * (folds - 1) / folds) : CountRows(parts[0].TrainSet, options);
        // The rows kept against the rows a trial's model scores (a fold's, or the holdout's): the confirmation's scoring
        // costs that many times a trial's, per resample and model.
        double keptRowsPerScoredRow = confirmation is null ? 0 : (double)(rows - searchRows) / Math.Max(1, searchRows - trainRows);
        int outputs = task == SparseMlpTask.MulticlassClassification && data.Schema.GetColumnOrNull(options.LabelColumnName)?.Type is KeyDataViewType key ? (int)key.Count : 1;
        var search = new ExperimentSearch(options, vector.Size, DataDefaults.HiddenLayerSizes(newOptions(), task, trainRows, vector.Size, outputs));
        var ranks = new ExperimentRanks(context, communicator, data.Schema, options.CancellationToken);
        var runner = new ExperimentTrials(ranks, search, score, folds >= 2 ? null : HoldoutChunks(context, parts[0].TestSet, options.Seed, options));
        // Trial 0 trains the trainer's defaults as they are (which may resolve another network than the closest point of
        // the lists, e.g. choose its depth by validation): when the experiment falls back to it, it returns the defaults.
        // A confirmation fit of trial 0 with another seed is given the choices its fit with the trainer's seed made (ChoicesOf).
        TrialPlan Plan(int index, int[] point, int trainingRows, int seedOffset = 0, ITransformer? choicesOf = null)
        {
            var trialOptions = index == 0 ? Columns(newOptions(), options) : OptionsFor(point, search, options, task, trainingRows, newOptions);
            if (choicesOf is not null)
                ChoicesOf(trialOptions, choicesOf);
            trialOptions.Seed = unchecked(trialOptions.Seed + seedOffset);
            return new(index, point, trainer(trialOptions));
        }

        // Cross-validated, a round is one trial, its folds dealt over the ranks: the same trials as in one process. Held
        // out, a round is one trial a rank, the next points from the best so far, tried side by side.
        int trialsPerRound = folds >= 2 ? 1 : communicator.Size;
        var trials = new List<SparseMlpTrial>();
        var points = new List<int[]>();
        int[]? point = search.Start;
        SparseMlpTrial? best = null;
        int[] bestPoint = point;
        int maxTrials = options.MaxTrials ?? int.MaxValue;
        while (point is not null)
        {
            var round = new List<TrialPlan>();
            for (; point is not null; point = search.Next(bestPoint))
            {
                search.Tried(point);
                round.Add(Plan(trials.Count + round.Count, point, trainRows));
                if (round.Count == trialsPerRound || trials.Count + round.Count == maxTrials)
                    break;
            }

            Exception? progressFailure = null;
            foreach (var (trial, plan) in runner.Run(round, parts, keepModel: folds < 2, best?.FoldMetrics).Zip(round))
            {
                // Trial 0's defaults may choose the input encoding: it trained the point with the bins they chose, which is
                // then tried (not trained again as a search point; the closest point, with the other encoding, is left to
                // try) and the search goes on from it.
                int[] trained = plan.Index == 0 && search.WithBins(plan.Point, trial.PiecewiseLinearBins) is { } resolved ? resolved : plan.Point;
                if (!trained.AsSpan().SequenceEqual(plan.Point))
                {
                    search.NotTried(plan.Point);
                    search.Tried(trained);
                }

                trials.Add(trial);
                points.Add(trained);
                search.Encoded(trial.PiecewiseLinearBins, trial.InputSlots);
                progressFailure ??= ranks.Report(options.Progress, trial);
                if (best is null || (!trial.StoppedEarly && trial.Metric > best.Metric))
                    (best, bestPoint) = (trial, trained);
            }

            // The search stops in time for what follows it (the confirmation: cross-validated its fits, and the resamples'
            // scoring; the refits), and does not start a trial expected to end after that. Trial 0's fits with its choices
            // given cost about what its point's network does (the lists' closest network to trial 0's), estimated as the
            // next trial's are.
            double searchSeconds = options.TrainingTimeInSeconds - SecondsAfterSearch(trials, folds, (double)rows / trainRows,
                confirmation is null || folds < 2 ? 0 : (double)searchRows / trainRows, keptRowsPerScoredRow, communicator.Size, metricName,
                NextTrialSeconds(trials, points, search.Cost, points[0], 1, 1) / Math.Max(1, folds));
            var next = search.Next(bestPoint);
            double nextSeconds = next is null ? 0 : NextTrialSeconds(trials, points, search.Cost, next, folds, communicator.Size);
            if (ranks.EndOfRound(clock, searchSeconds - nextSeconds, progressFailure) || trials.Count >= maxTrials)
                break;
            point = next;
        }

        // The leader and the defaults are scored on the rows kept from the search: cross-validated, trained on the search's
        // rows with ExperimentConfirmation.Seeds seeds each (trial 0's other seeds after its first fit, with its choices);
        // held out, the models the holdout scored.
        if (confirmation is { } kept)
        {
            ITransformer[] FitAll(ExperimentJob[] jobs, ITransformer? choicesOf) =>
                ranks.Fit(jobs, job => Plan(job.Trial, points[job.Trial], searchRows, job.SeedOffset, job.Trial == 0 ? choicesOf : null).Trainer.Fit(kept.TrainSet))
                    .Select(fitted => fitted.Model).ToArray();
            IReadOnlyList<ITransformer>[] Fits(int leader)
            {
                var (first, then) = ConfirmationJobs(leader);
                var firstModels = FitAll(first, null);
                return [[firstModels[0], .. FitAll(then, firstModels[0])], firstModels[1..]];
            }

            ExperimentConfirmation.Confirm(trials,
                numbers => folds < 2
                    ? numbers.Select(t => (IReadOnlyList<ITransformer>)[trials[t].Model ?? throw new InvalidOperationException($"Held out, trial {t} keeps its model.")]).ToArray()
                    : Fits(numbers[1]),
                model => ExperimentConfirmation.ResampledScores(context, model, kept.TestSet, score, options.Seed));
        }

        // The trials a user may pick, the front and the best: cross-validated, trained again on every row. Held out, they
        // keep the models the holdout scored, but for trial 0 when it is the best: the defaults then train on every row,
        // as the trainer alone would (not the model that saw the rows not held out only). Each picked model is timed.
        var found = new SparseMlpExperimentResult(metricName, trials, 0);
        int[] picked = found.ParetoFront.Append(found.Best).Select(t => t.Index).Distinct().ToArray();
        int[] refit = folds >= 2 ? picked : found.Best.Index == 0 ? [0] : [];
        var refits = ranks.Fit(refit.Select((t, i) => new ExperimentJob(i, t, ExperimentJob.Refit)).ToArray(), job => Plan(job.Trial, points[job.Trial], rows).Trainer.Fit(data));
        for (int i = 0; i < refit.Length; i++)
            trials[refit[i]] = trials[refit[i]] with { Model = refits[i].Model, HiddenLayerSizes = ExperimentTrials.HiddenLayers(refits[i].Model) };

        foreach (int t in picked)
        {
            if (trials[t].Model is { } model)
                trials[t] = trials[t] with { PredictionMicroseconds = PipelineModels.LatencyMicroseconds(model, data, LatencyRows) };
        }

        return new SparseMlpExperimentResult(metricName, trials, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// The fractions of all rows kept from the search (<see cref="SparseMlpExperimentOptions.ConfirmationFraction"/>) and of
    /// the search's rows held out to score the trials (0 cross-validated). Held out, the kept rows are half of the holdout
    /// (<see cref="HeldOutKeptShare"/>), so that the trials train on as many rows as without them: of 20 % held out, 10 %
    /// of the rows are kept and 10 % score the trials, which is 1/9 of the 90 % left.
    /// </summary>
    internal static (double Kept, double Holdout) Fractions(SparseMlpExperimentOptions options, int folds)
    {
        if (folds >= 2 || options.ConfirmationFraction == 0)
            return (folds >= 2 ? options.ConfirmationFraction : 0, folds >= 2 ? 0 : options.HoldoutFraction);
        double kept = options.HoldoutFraction * HeldOutKeptShare;
        return (kept, (options.HoldoutFraction - kept) / (1 - kept));
    }

    /// <summary>
    /// The confirmation's fits of trial 0 and trial <paramref name="leader"/>, in two batches: first trial 0 with the
    /// trainer's seed and the leader with each of the <see cref="ExperimentConfirmation.Seeds"/> seeds, then trial 0 with
    /// the other seeds, given the choices its first fit made (<see cref="ChoicesOf"/>).
    /// </summary>
    internal static (ExperimentJob[] First, ExperimentJob[] Then) ConfirmationJobs(int leader)
    {
        ExperimentJob[] first = [new(0, 0, ExperimentJob.ConfirmationFit, 0),
            .. Enumerable.Range(0, ExperimentConfirmation.Seeds).Select(seed => new ExperimentJob(1 + seed, leader, ExperimentJob.ConfirmationFit, seed))];
        var then = Enumerable.Range(1, ExperimentConfirmation.Seeds - 1).Select(seed => new ExperimentJob(seed - 1, 0, ExperimentJob.ConfirmationFit, seed)).ToArray();
        return (first, then);
    }

    /// <summary>
    /// The defaults' options with the choices the defaults made in <paramref name="model"/> (trial 0's confirmation fit with
    /// the trainer's seed, on the same rows): its network (the depth it chose by validation, the width the rows gave) and
    /// its input encoding, for trial 0's confirmation fits with the other seeds. Chosen again, each would cost more than
    /// the fit (six fold runs for the encoding, six for the depth); the step of a small regression set is still chosen,
    /// as it sets the run's length.
    /// </summary>
    internal static SparseMlpOptionsBase ChoicesOf(SparseMlpOptionsBase options, ITransformer model)
    {
        options.HiddenLayerSizes = ExperimentTrials.HiddenLayers(model);
        options.PiecewiseLinearBins = ExperimentTrials.DefaultsBins(model);
        return options;
    }

    /// <summary>
    /// Held out, the share of the holdout kept to confirm the leader. A fifth (4 % of the rows) left leads of 0.025 on
    /// diamonds_clarity unconfirmed (186 of 200 resamples of 640 rows); the choice among the trials needs fewer rows than
    /// the confirmation of one lead (docs/algorithm.md §9, "Thirteenth session").
    /// </summary>
    private const double HeldOutKeptShare = 0.5;

    /// <summary>
    /// The holdout in <see cref="HoldoutChunkCount"/> disjoint random parts (by the experiment's seed), each cached: a
    /// trial's scores on them give the spread of its lead over the defaults (the metric is not a mean over rows for every
    /// metric, so each part is scored as a whole). Cached, because every trial
    /// scores every part and an uncached part would read the whole data again to filter its rows; the cache holds the
    /// rows held out (a quarter of what each trial's fit holds of the training rows). Null where a part holds fewer than
    /// <see cref="MinimumChunkRows"/> rows.
    /// </summary>
    private static IDataView[]? HoldoutChunks(MLContext context, IDataView holdout, int seed, SparseMlpExperimentOptions options)
    {
        var chunks = context.Data.CrossValidationSplit(holdout, HoldoutChunkCount, seed: seed).Select(part => context.Data.Cache(part.TestSet)).ToArray();
        return chunks.All(chunk => CountRows(chunk, options) >= MinimumChunkRows) ? chunks : null;
    }

    /// <summary>
    /// Rows each part must hold to be scored apart: ML.NET scores an empty part 0 (not a failure), and one row's R² is not
    /// defined. With fewer, the parts are not used (<see cref="SparseMlpTrial.FoldMetrics"/>).
    /// </summary>
    private const int MinimumChunkRows = 2;

    /// <summary>Parts of the holdout scored apart (<see cref="SparseMlpTrial.FoldMetrics"/>): as many as the default folds.</summary>
    private const int HoldoutChunkCount = AutomaticFolds;

    /// <summary>Rows scored to measure a model's prediction time (<see cref="SparseMlpTrial.PredictionMicroseconds"/>).</summary>
    private const int LatencyRows = 1000;

    /// <summary>
    /// What the experiment still spends after its search, estimated from the trials so far, each fit (a fold's, or the
    /// holdout trial's) times <paramref name="rowsPerTrialRow"/> (every row against a fit's rows) where it is trained again
    /// on every row. Cross-validated: trial 0 and the leader trained on the search's rows with
    /// <see cref="ExperimentConfirmation.Seeds"/> seeds each (a fit's seconds times <paramref name="searchRowsPerTrialRow"/>,
    /// 0 without a confirmation; trial 0's fits with another seed, given its choices (<see cref="ChoicesOf"/>),
    /// <paramref name="defaultsChosenFitSeconds"/> each; in two batches, each over ranks the share of the rank dealt the
    /// most), and the trials it would pick (the
    /// Pareto front and the best) trained again, spread over the ranks that share the folds. Held out: trial 0 trained
    /// again, which it is when it is the best. With rows kept and a leader: the two trials' models (cross-validated, their
    /// seeds' fits) scored on each resample of the kept rows, each resample as costly as trial 0's scoring of a fold (or
    /// the holdout) times <paramref name="keptRowsPerScoredRow"/> (an upper bound: the resamples read the kept rows scored
    /// once).
    /// </summary>
    internal static double SecondsAfterSearch(List<SparseMlpTrial> trials, int folds, double rowsPerTrialRow, double searchRowsPerTrialRow,
        double keptRowsPerScoredRow, int ranks, string metricName, double defaultsChosenFitSeconds)
    {
        if (trials.Count == 0)
            return 0;
        var leader = SparseMlpExperimentResult.SearchLeader(trials);
        double scoring = leader is null ? 0 : 2 * ExperimentConfirmation.Resamples * trials[0].ScoreSeconds * keptRowsPerScoredRow;
        if (folds < 2)
            return trials[0].Seconds * rowsPerTrialRow + scoring;
        static double Fit(SparseMlpTrial trial) => trial.Seconds / Math.Max(1, trial.FoldMetrics.Count);
        var sofar = new SparseMlpExperimentResult(metricName, trials, 0);
        double refits = sofar.ParetoFront.Append(sofar.Best).Distinct().Sum(t => Fit(t) * rowsPerTrialRow);
        if (leader is null)
            return refits / Math.Min(ranks, folds);
        // The confirmation's two batches are dealt as every batch of fits is, fit j to rank j mod ranks: each batch takes its
        // slowest rank's share.
        double Seconds(ExperimentJob job) => (job.Trial == 0 && job.SeedOffset > 0 ? defaultsChosenFitSeconds : Fit(trials[job.Trial])) * searchRowsPerTrialRow;
        double SlowestRank(ExperimentJob[] jobs) => Enumerable.Range(0, Math.Min(ranks, jobs.Length)).Max(rank => jobs.Where((_, j) => j % ranks == rank).Sum(Seconds));
        var (first, then) = ConfirmationJobs(leader.Index);
        return SlowestRank(first) + SlowestRank(then) + ExperimentConfirmation.Seeds * scoring + refits / Math.Min(ranks, folds);
    }

    /// <summary>
    /// Seconds the trial of point <paramref name="next"/> is expected to take: its cost (<see cref="ExperimentSearch.Cost"/>)
    /// at the seconds per unit of cost of the costliest trial after trial 0 that ran every fold and costs at least
    /// <see cref="ScaleMinimumCostShare"/> of trial 0 (a small trial's seconds are mostly fixed overhead, so that a linear
    /// model's would make every network look too slow to start), or of trial 0 while none has (its seconds include the
    /// defaults' own choices by cross-validation, six fold fits for the input encoding, which made networks look costlier
    /// than they train and stopped searches early: docs/algorithm.md §9, "Thirteenth session"); 0 before any trial.
    /// A trial's seconds add up its folds' fits: cross-validated over ranks, its folds run side by side, so the estimate is
    /// divided by the ranks that share them. Held out over ranks, a round trains one point a rank side by side and only the
    /// first is estimated.
    /// </summary>
    internal static double NextTrialSeconds(IReadOnlyList<SparseMlpTrial> trials, IReadOnlyList<int[]> points, Func<int[], double> cost, int[] next,
        int folds, int ranks)
    {
        int costliest = trials.Count > 0 ? 0 : -1;
        double leastCost = trials.Count > 0 ? ScaleMinimumCostShare * cost(points[0]) : 0;
        for (int i = 1; i < trials.Count; i++)
        {
            double trialCost = cost(points[i]);
            if (!trials[i].StoppedEarly && trialCost >= leastCost && (costliest == 0 || trialCost > cost(points[costliest])))
                costliest = i;
        }

        double seconds = costliest < 0 ? 0 : trials[costliest].Seconds / cost(points[costliest]) * cost(next);
        return folds >= 2 ? seconds / Math.Min(ranks, folds) : seconds;
    }

    /// <summary>
    /// The least cost, as a share of trial 0's, of a trial whose seconds per cost scale the next trial's estimate
    /// (<see cref="NextTrialSeconds"/>): a network of half the default width qualifies, a linear model does not.
    /// </summary>
    private const double ScaleMinimumCostShare = 0.25;

    private static int CountRows(IDataView data, SparseMlpExperimentOptions options) =>
        (int)Math.Min(DataViewReader.RowCount(data, options.Communicator is { Size: > 1 } ? () => { } : options.CancellationToken.ThrowIfCancellationRequested),
            int.MaxValue);

    /// <summary>Below this many rows the trials are cross-validated by default (<see cref="SparseMlpExperimentOptions.NumberOfFolds"/>).</summary>
    private const int AutomaticFoldsBelowRows = 10_000;

    /// <summary>Folds of the default cross-validation.</summary>
    private const int AutomaticFolds = 5;

    /// <summary>The experiment's columns and cancellation on trainer options.</summary>
    private static SparseMlpOptionsBase Columns(SparseMlpOptionsBase options, SparseMlpExperimentOptions experiment)
    {
        options.LabelColumnName = experiment.LabelColumnName;
        options.FeatureColumnName = experiment.FeatureColumnName;
        options.ExampleWeightColumnName = experiment.ExampleWeightColumnName;
        options.CancellationToken = experiment.CancellationToken;
        return options;
    }

    /// <summary>The trainer options of a point, for training on <paramref name="rows"/> rows.</summary>
    private static SparseMlpOptionsBase OptionsFor(int[] point, ExperimentSearch search, SparseMlpExperimentOptions experiment, SparseMlpTask task, int rows,
        Func<SparseMlpOptionsBase> newOptions)
    {
        var (hidden, target, stepMultiplier, epochMultiplier, bins, kept) = search.Values(point);
        var options = Columns(newOptions(), experiment);
        options.HiddenLayerSizes = hidden;
        options.TargetSparsity = target;
        options.PiecewiseLinearBins = bins;
        options.InputsToKeep = kept;
        // Multiplier 1 keeps the trainer's own choice (the step chosen by cross-validation on small regression sets).
        if (stepMultiplier != 1f)
            options.LearningRate = SparseMlpOptionsBase.Defaults.AdamLearningRate * stepMultiplier;
        if (epochMultiplier != 1)
        {
            long stepsPerEpoch = SparseMlpFit.StepsPerEpoch(task, options, rows);
            options.NumberOfEpochs = epochMultiplier * SparseMlpFit.EpochsFor(options, task, search.Inputs, stepsPerEpoch,
                SparseMlpFit.ChoosesStepSize(task, options, rows, search.Inputs, stepsPerEpoch));
        }

        return options;
    }
}
