// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Microsoft.ML.SparseL1.Sweep;
using Microsoft.ML.SparseL1.Trainers;

namespace Microsoft.ML.SparseL1.Experiment;

/// <summary>A point of the search with its trial number and the trainer of its options.</summary>
internal readonly record struct TrialPlan(int Index, int[] Point, IEstimator<SparseMlpPredictionTransformer> Trainer);

/// <summary>
/// Trains and scores trials: each on every part's training rows, scored on the part's test rows (the means over the
/// parts). The fits go out in rounds (<see cref="ExperimentRanks"/>): in one process one fold at a time; over ranks, as
/// many folds a round as there are ranks (one trial's folds side by side, or one fold of each of several trials). From
/// the second fold on, a trial whose mean so far is more than <see cref="HopelessMargin"/> below the best trial's mean on
/// the same folds stops there (<see cref="SparseMlpTrial.StoppedEarly"/>): it cannot be the best, nor within a usual
/// tolerance of it, and its remaining folds would only spend the budget. The rule reads the folds in order, so a trial
/// scores the same however many ranks ran it (over ranks, a round may train folds after the one it stopped at). Held out
/// (one part), a trial is also scored on each of <paramref name="holdoutChunks"/>, disjoint parts of the holdout, so that
/// without rows kept from the search the choice of the best can weigh a lead against its spread
/// (<see cref="SparseMlpExperimentResult.Best"/>).
/// </summary>
internal sealed class ExperimentTrials(ExperimentRanks ranks, ExperimentSearch search, Func<IDataView, double> score,
    IReadOnlyList<IDataView>? holdoutChunks = null)
{
    /// <summary>How far below the best trial's mean on the same folds a trial's mean may fall before it stops.</summary>
    public const double HopelessMargin = 0.05;

    /// <summary>Runs <paramref name="plans"/> on <paramref name="parts"/>; <paramref name="best"/> is the best trial's fold scores so far, if any.</summary>
    public SparseMlpTrial[] Run(IReadOnlyList<TrialPlan> plans, IReadOnlyList<DataOperationsCatalog.TrainTestData> parts, bool keepModel,
        IReadOnlyList<double>? best)
    {
        var runs = plans.Select(_ => new TrialRun()).ToArray();
        int foldsPerRound = Math.Max(1, ranks.Size / plans.Count);
        for (int first = 0; first < parts.Count; first += foldsPerRound)
        {
            var jobs = new List<ExperimentJob>();
            for (int t = 0; t < plans.Count; t++)
            {
                for (int f = first; f < Math.Min(first + foldsPerRound, parts.Count) && !runs[t].Stopped; f++)
                    jobs.Add(new ExperimentJob(t, plans[t].Index, f));
            }

            if (jobs.Count == 0)
                break;
            var fitted = ranks.Fit(jobs, job => plans[job.Slot].Trainer.Fit(parts[job.Fold].TrainSet));
            for (int i = 0; i < jobs.Count; i++)
            {
                var (t, fold) = (jobs[i].Slot, jobs[i].Fold);
                var run = runs[t];
                if (run.Stopped)
                    continue;
                var watch = Stopwatch.StartNew();
                double foldScore = score(fitted[i].Model.Transform(parts[fold].TestSet));
                run.Add(fitted[i].Model, foldScore, fitted[i].Seconds, watch.Elapsed.TotalSeconds);
                if (holdoutChunks is not null)
                    run.ChunkScores = ChunkScores(fitted[i].Model, holdoutChunks);
                run.Stopped = fold >= 1 && fold < parts.Count - 1 && best?.Count == parts.Count
                    && run.Scores.Average() < best.Take(fold + 1).Average() - HopelessMargin;
            }
        }

        return plans.Select((plan, t) => runs[t].Trial(plan, search, keepModel)).ToArray();
    }

    /// <summary>
    /// The model's score on each part of the holdout, or null where a part cannot be scored: a metric that is not
    /// finite on it, or an evaluator that refuses it (ML.NET's binary evaluator computes the AUC, which a part without a
    /// positive row does not have). The holdout's score is then kept alone. Every rank
    /// scores the same parts of the same models, so the ranks agree.
    /// </summary>
    private IReadOnlyList<double>? ChunkScores(ITransformer model, IReadOnlyList<IDataView> chunks)
    {
        var scores = new double[chunks.Count];
        for (int c = 0; c < chunks.Count; c++)
        {
            try
            {
                scores[c] = score(model.Transform(chunks[c]));
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                return null;
            }

            if (!double.IsFinite(scores[c]))
                return null;
        }

        return scores;
    }

    /// <summary>The hidden layer sizes of the pipeline's network, as trained.</summary>
    public static int[] HiddenLayers(ITransformer model)
    {
        var sizes = PipelineModels.Network(model).TrainedLayerSizes;
        return sizes.Skip(1).Take(sizes.Count - 2).ToArray();
    }

    /// <summary>
    /// The encoding the defaults trained <paramref name="model"/> with: the bins they choose between
    /// (<see cref="DataDefaults.ChosenEncodingBins"/>) when it encodes its inputs (an input with fewer distinct values gets
    /// fewer bins), else 0.
    /// </summary>
    public static int DefaultsBins(ITransformer model) => PipelineModels.Network(model).PiecewiseLinearBins > 0 ? DataDefaults.ChosenEncodingBins : 0;

    /// <summary>One trial's folds so far.</summary>
    private sealed class TrialRun
    {
        private double _nonZero, _sparsity, _seconds, _scoreSeconds;
        private ITransformer? _model;

        public List<double> Scores { get; } = [];

        public bool Stopped { get; set; }

        /// <summary>Held out, the scores on the holdout's parts where they can be scored; else null.</summary>
        public IReadOnlyList<double>? ChunkScores { get; set; }

        public void Add(ITransformer model, double foldScore, double seconds, double scoreSeconds)
        {
            var network = PipelineModels.Network(model);
            Scores.Add(foldScore);
            _nonZero += network.NonZeroWeightCount;
            _sparsity += network.Sparsity;
            _seconds += seconds;
            _scoreSeconds += scoreSeconds;
            _model = model;
        }

        public SparseMlpTrial Trial(TrialPlan plan, ExperimentSearch search, bool keepModel)
        {
            // Trial 0 trains the defaults as they resolve: its network is the one its last fit trained.
            var (hidden, target, stepMultiplier, epochMultiplier, bins, kept) = search.Values(plan.Point);
            if (plan.Index == 0 && _model is not null)
                hidden = HiddenLayers(_model);
            return new SparseMlpTrial(plan.Index, hidden, target, stepMultiplier, epochMultiplier, Scores.Average(), (long)Math.Round(_nonZero / Scores.Count),
                _sparsity / Scores.Count, _seconds, keepModel ? _model : null)
            {
                FoldMetrics = ChunkScores ?? Scores, StoppedEarly = Stopped, PiecewiseLinearBins = plan.Index != 0 ? bins : _model is null ? 0 : DefaultsBins(_model),
                InputsToKeep = plan.Index != 0 ? kept : null,
                InputSlots = _model is null ? 0 : PipelineModels.Network(_model).TrainedLayerSizes[0],
                ScoreSeconds = _scoreSeconds / Scores.Count,
            };
        }
    }
}
