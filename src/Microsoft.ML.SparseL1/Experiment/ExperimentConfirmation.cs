// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;

namespace Microsoft.ML.SparseL1.Experiment;

/// <summary>
/// The confirmation of a search's leader on rows the search never saw
/// (<see cref="SparseMlpExperimentOptions.ConfirmationFraction"/>): the search chose its leader on its folds or its
/// holdout, so the leader's score there is biased upward by the choice (on a few hundred rows, by as much as the leaders
/// differ), and another split of the same rows carries the same bias, as every row was a validation row in both. The
/// leader (one, because choosing among several on the kept rows would bias them there) and trial 0, trained on the
/// search's rows, are scored on the same bootstrap resamples of the kept rows, so that their differences are paired row
/// for row. Trained for the confirmation, each is trained with <see cref="Seeds"/> seeds and weighed by its mean score:
/// the model the experiment delivers is trained again on every row, a fit that shares neither its rows nor its path with
/// one confirmation fit, so the lead of one fit over another (a seed's luck) must not count as the leader's.
/// </summary>
internal static class ExperimentConfirmation
{
    /// <summary>
    /// Bootstrap resamples of the kept rows each confirmed model is scored on: at <see cref="SparseMlpExperimentResult.RequiredConfidence"/>
    /// the leader must lead on 196 of them.
    /// </summary>
    public const int Resamples = 200;

    /// <summary>
    /// Fits of each confirmed trial on the search's rows, with the trainer's seed and the next ones (trial 0's with the
    /// choices its first fit made: <see cref="SparseMlpExperiment.ChoicesOf"/>), whose scores on each resample are
    /// averaged. One fit's score on a few hundred rows moves with its seed by about as much as the leaders
    /// lead, and one such fit's luck let leaders through that trailed the defaults on the test rows (docs/algorithm.md §9,
    /// "Fifteenth session").
    /// </summary>
    public const int Seeds = 3;

    /// <summary>
    /// Scores the best trial after trial 0 (by the search's scores), and trial 0, on the kept rows
    /// (<see cref="SparseMlpTrial.ConfirmationMetrics"/>): <paramref name="fit"/> gives the models of the trials of the
    /// numbers it is given (for each trial its fits on the search's rows, or the one model a holdout scored),
    /// <paramref name="resampledScores"/> scores a model on the resamples, and a trial's score on a resample is its models'
    /// mean there. Nothing when every trial after trial 0 stopped early.
    /// </summary>
    public static void Confirm(List<SparseMlpTrial> trials, Func<int[], IReadOnlyList<ITransformer>[]> fit, Func<ITransformer, IReadOnlyList<double>> resampledScores)
    {
        var leader = SparseMlpExperimentResult.SearchLeader(trials);
        if (leader is null)
            return;
        var models = fit([0, leader.Index]);
        trials[0] = trials[0] with { ConfirmationMetrics = MeanScores(models[0], resampledScores) };
        trials[leader.Index] = leader with { ConfirmationMetrics = MeanScores(models[1], resampledScores) };
    }

    /// <summary>
    /// The models' mean score on each resample (in the models' order, so the same bits on every rank); where the models
    /// were not scored on as many resamples (one could not be scored on some: <see cref="ResampledScores"/>), one NaN,
    /// which cannot weigh a lead.
    /// </summary>
    internal static IReadOnlyList<double> MeanScores(IReadOnlyList<ITransformer> models, Func<ITransformer, IReadOnlyList<double>> resampledScores)
    {
        var scores = models.Select(resampledScores).ToArray();
        int count = scores[0].Count;
        if (scores.Any(s => s.Count != count))
            return [double.NaN];
        return Enumerable.Range(0, count).Select(b => scores.Sum(s => s[b]) / scores.Length).ToArray();
    }

    /// <summary>
    /// The model's score on each of <see cref="Resamples"/> bootstrap resamples of <paramref name="rows"/> (ML.NET's
    /// <c>BootstrapSample</c>, seeds <paramref name="seed"/>, <paramref name="seed"/> + 1, ...: the same resamples for every
    /// model). Where a resample cannot be scored (a metric that is not finite on it, or an evaluator that refuses it:
    /// ML.NET's binary evaluator computes the AUC, which a resample without a positive row does not have), the rows' score
    /// alone, which cannot weigh a lead (NaN where the rows as a whole cannot be scored either: no positive row at all).
    /// Every rank scores the same resamples of the same models, so the ranks agree.
    /// </summary>
    public static IReadOnlyList<double> ResampledScores(MLContext context, ITransformer model, IDataView rows, Func<IDataView, double> score, int seed)
    {
        // Cached: each resample reads the scored rows again.
        var scored = context.Data.Cache(model.Transform(rows));
        var scores = new double[Resamples];
        for (int b = 0; b < scores.Length; b++)
        {
            scores[b] = Scored(() => score(context.Data.BootstrapSample(scored, seed: unchecked(seed + b))));
            if (!double.IsFinite(scores[b]))
                return [Scored(() => score(scored))];
        }

        return scores;
    }

    /// <summary>The score, or NaN where the evaluator refuses the rows (a binary evaluator without a positive row: no AUC).</summary>
    private static double Scored(Func<double> score)
    {
        try
        {
            return score();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return double.NaN;
        }
    }
}
