// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.SparseL1.Experiment;

namespace Microsoft.ML.SparseL1;

/// <summary>What a <see cref="SparseMlpExperiment"/> found: every trial, the best, and the front of score against nonzeros.</summary>
public sealed class SparseMlpExperimentResult
{
    internal SparseMlpExperimentResult(string metricName, IReadOnlyList<SparseMlpTrial> trials, double seconds)
    {
        MetricName = metricName;
        Trials = trials;
        Seconds = seconds;
        Leader = trials.Skip(1).FirstOrDefault(t => t.ConfirmationMetrics.Count > 0);
        LeaderWins = Leader is null ? null : Wins(Leader.ConfirmationMetrics, trials[0].ConfirmationMetrics);
        Best = ChooseBest(trials, Leader, LeaderWins);
        // Sorted by nonzeros, a trial is on the front when it scores above every sparser one.
        var front = new List<SparseMlpTrial>();
        foreach (var trial in trials.Where(t => !t.StoppedEarly).OrderBy(t => t.NonZeroWeights).ThenByDescending(t => t.Metric).ThenBy(t => t.Index))
        {
            if (front.Count == 0 || trial.Metric > front[^1].Metric)
                front.Add(trial);
        }

        ParetoFront = front;
    }

    /// <summary>The metric the trials were scored by.</summary>
    public string MetricName { get; }

    /// <summary>Every trial, in the order they ran.</summary>
    public IReadOnlyList<SparseMlpTrial> Trials { get; }

    /// <summary>
    /// The search's top trial (by score; ties: the fewer nonzeros) where its lead over trial 0, the trainer's defaults, is
    /// significant at <see cref="RequiredConfidence"/>, else trial 0 (the best of many trials is partly the one that fits
    /// the validation rows' noise; a default measured on other data is the safer bet). With rows kept from the search
    /// (<see cref="SparseMlpExperimentOptions.ConfirmationFraction"/>), the top trial after trial 0 by the search's scores
    /// is taken only where it scores above trial 0 on at least that share of the same bootstrap resamples of the kept rows
    /// (<see cref="SparseMlpTrial.ConfirmationMetrics"/>; trial 0 where they cannot be scored). Without kept rows, the top
    /// trial must lead in a one-sided paired t-test on the differences fold by fold (held out, part by part of the
    /// holdout: <see cref="SparseMlpTrial.FoldMetrics"/>).
    /// </summary>
    public SparseMlpTrial Best { get; }

    /// <summary>
    /// The trials no other beats on both score and nonzeros, sparsest first (each scores above every sparser one); trials
    /// that stopped early (<see cref="SparseMlpTrial.StoppedEarly"/>) are not on it.
    /// </summary>
    public IReadOnlyList<SparseMlpTrial> ParetoFront { get; }

    /// <summary>Seconds the experiment took.</summary>
    public double Seconds { get; }

    /// <summary>
    /// The search's leader as weighed against trial 0 on the rows kept from the search
    /// (<see cref="SparseMlpExperimentOptions.ConfirmationFraction"/>): the top trial after trial 0, with its
    /// <see cref="SparseMlpTrial.ConfirmationMetrics"/>. Null without kept rows, or where no trial after trial 0 ran every
    /// fold (only trial 0 ran, or every other stopped early).
    /// </summary>
    public SparseMlpTrial? Leader { get; }

    /// <summary>
    /// On how many of the kept rows' resamples <see cref="Leader"/> scored above trial 0; it is <see cref="Best"/> from
    /// <see cref="RequiredConfidence"/> of them (196 of 200). Null without a leader, or where the resamples could not be
    /// scored (a binary resample without a positive row has no AUC): trial 0 is then the best.
    /// </summary>
    public int? LeaderWins { get; }

    /// <summary>
    /// The search's leader: the best trial after trial 0 by its score, among those that ran every fold; null where none did.
    /// </summary>
    internal static SparseMlpTrial? SearchLeader(IEnumerable<SparseMlpTrial> trials) => Ranked(trials.Skip(1).Where(t => !t.StoppedEarly), t => t.Metric).FirstOrDefault();

    /// <summary>Trials from the best <paramref name="score"/> down; ties: the fewer nonzeros, then the earlier trial.</summary>
    internal static IEnumerable<SparseMlpTrial> Ranked(IEnumerable<SparseMlpTrial> trials, Func<SparseMlpTrial, double> score) =>
        trials.OrderByDescending(score).ThenBy(t => t.NonZeroWeights).ThenBy(t => t.Index);

    private static SparseMlpTrial ChooseBest(IReadOnlyList<SparseMlpTrial> trials, SparseMlpTrial? leader, int? leaderWins)
    {
        var defaults = trials[0];
        if (leader is not null)
            return leaderWins >= RequiredConfidence * defaults.ConfirmationMetrics.Count ? leader : defaults;
        var top = Ranked(trials.Where(t => !t.StoppedEarly), t => t.Metric).First();
        return top == defaults || defaults.FoldMetrics.Count < 2 || top.FoldMetrics.Count != defaults.FoldMetrics.Count
            || Significant(top.FoldMetrics, defaults.FoldMetrics) ? top : defaults;
    }

    /// <summary>
    /// On how many of their paired resamples <paramref name="leader"/> scores above <paramref name="defaults"/> (a one-sided
    /// paired bootstrap test counts them); null with fewer than two resamples or a different count.
    /// </summary>
    private static int? Wins(IReadOnlyList<double> leader, IReadOnlyList<double> defaults)
    {
        int count = defaults.Count;
        return count >= 2 && leader.Count == count ? Enumerable.Range(0, count).Count(b => leader[b] > defaults[b]) : null;
    }

    /// <summary>
    /// Whether <paramref name="top"/> leads <paramref name="defaults"/> at <see cref="RequiredConfidence"/> in a one-sided
    /// paired t-test on their part-by-part differences (at least two parts each, as many for both: the caller checks).
    /// </summary>
    private static bool Significant(IReadOnlyList<double> top, IReadOnlyList<double> defaults)
    {
        int count = defaults.Count;
        var differences = Enumerable.Range(0, count).Select(f => top[f] - defaults[f]).ToArray();
        double mean = differences.Average();
        double standardError = Math.Sqrt(differences.Sum(d => (d - mean) * (d - mean)) / (count - 1) / count);
        return mean > RequiredStandardErrors(count) * standardError;
    }

    /// <summary>
    /// One-sided confidence at which the top trial must lead the defaults to be <see cref="Best"/>: the level of two
    /// standard errors under a normal law. On the kept rows' resamples, the share of them the leader must win. On folds or
    /// parts, read from Student's t with one degree of freedom fewer than the folds, as five folds' standard error is
    /// itself a rough estimate (2.87 standard errors on five folds, 2.32 on ten, 4.53 on three,
    /// about 14 on two, where the defaults are kept unless the lead is nearly the same on both). Two standard
    /// errors on five folds, about 94 %, let leaders through that scored below the defaults on test rows (docs/algorithm.md §8).
    /// </summary>
    public const double RequiredConfidence = 0.97725;

    /// <summary>How many standard errors of <paramref name="folds"/> fold-by-fold differences (at least 2) a lead must exceed: the t quantile at <see cref="RequiredConfidence"/>.</summary>
    internal static double RequiredStandardErrors(int folds) => StudentT.Quantile(folds - 1, RequiredConfidence);

    /// <summary>The trial with the fewest nonzeros whose score is within <paramref name="tolerance"/> (at least 0) of the best.</summary>
    public SparseMlpTrial SparsestWithin(double tolerance)
    {
        if (!(tolerance >= 0))
            throw new ArgumentOutOfRangeException(nameof(tolerance), $"The tolerance must be at least 0; got {tolerance}.");
        return ParetoFront.First(t => t.Metric >= Best.Metric - tolerance);
    }
}
