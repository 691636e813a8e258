// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.Generic;

namespace Microsoft.ML.SparseL1;

/// <summary>One trial of a <see cref="SparseMlpExperiment"/>: the options it tried, its holdout score and its network.</summary>
/// <param name="Index">
/// The trial's position in the experiment, from 0. Trial 0 trains the trainer's defaults as they are, whatever the lists
/// hold (its other values are those of the closest point of the lists, where the search starts).
/// </param>
/// <param name="HiddenLayerSizes">The hidden layers trained (trial 0: those of its last fit, or of its model trained on every row).</param>
/// <param name="TargetSparsity">The target sparsity asked for.</param>
/// <param name="LearningRateMultiplier">The step as a multiple of the trainer's default (1: the trainer's own choice).</param>
/// <param name="EpochMultiplier">The training budget as a multiple of the trainer's default epochs for the data.</param>
/// <param name="Metric">The score (larger is better): on the holdout, or the mean over the cross-validation folds.</param>
/// <param name="NonZeroWeights">Nonzero weights of the trained network (the mean over the folds when cross-validated).</param>
/// <param name="Sparsity">The sparsity reached, zero weights over all weights (the mean over the folds when cross-validated).</param>
/// <param name="Seconds">Seconds of the trial's fits.</param>
/// <param name="Model">
/// The model. Cross-validated: trained on every row for the trials on the Pareto front and the best, null for the others.
/// Held out: trained on the rows not held out, but for trial 0 when it is the best, trained on every row (the defaults
/// as the trainer alone gives them; its <see cref="NonZeroWeights"/> and <see cref="Sparsity"/> stay those of the model
/// the holdout scored, as a cross-validated trial's stay the means over its folds).
/// </param>
public sealed record SparseMlpTrial(int Index, IReadOnlyList<int> HiddenLayerSizes, float TargetSparsity, float LearningRateMultiplier, int EpochMultiplier,
    double Metric, long NonZeroWeights, double Sparsity, double Seconds, ITransformer? Model)
{
    /// <summary>
    /// The score on each cross-validation fold; held out, on each of five disjoint random parts of the holdout
    /// (<see cref="Metric"/> is then the whole holdout's score; without rows kept from the search, their spread is what
    /// <see cref="SparseMlpExperimentResult.Best"/> weighs a lead against), or the holdout's score alone where a part
    /// cannot be scored (a binary part without a positive row has no AUC, which ML.NET's evaluator computes).
    /// </summary>
    public IReadOnlyList<double> FoldMetrics { get; init; } = [];

    /// <summary>
    /// Whether the trial stopped before its last fold, its score so far too far below the best trial's on the same folds
    /// to compete (<see cref="FoldMetrics"/> then holds the folds it ran, and <see cref="Metric"/> their mean). Such a
    /// trial is neither the best nor on the Pareto front.
    /// </summary>
    public bool StoppedEarly { get; init; }

    /// <summary>The bins of the trial's piecewise-linear input encoding (<see cref="SparseMlpOptionsBase.PiecewiseLinearBins"/>); 0 where the inputs were fed as they are.</summary>
    public int PiecewiseLinearBins { get; init; }

    /// <summary>
    /// The most inputs the trial's input selection let its network use (<see cref="SparseMlpOptionsBase.InputsToKeep"/>,
    /// from <see cref="SparseMlpExperimentOptions.InputFractions"/>; the model may use fewer); null where it trained on
    /// every input.
    /// </summary>
    public int? InputsToKeep { get; init; }

    /// <summary>
    /// With rows kept from the search (<see cref="SparseMlpExperimentOptions.ConfirmationFraction"/>), for trial 0 and the
    /// best trial after it: the score on each of 200 bootstrap resamples of the kept rows, the same resamples for both (the
    /// choice of the best, <see cref="SparseMlpExperimentResult.Best"/>, counts those the leader wins): cross-validated, the
    /// mean score of the trial's three fits on the search's rows (the trainer's seed and the next two; trial 0's last two
    /// with the network and encoding its first fit chose); held out, the score
    /// of the model the holdout scored. The kept rows' score alone where a resample cannot be scored (NaN where they cannot
    /// be scored at all, or where the fits could not be scored alike). Empty for the other trials.
    /// </summary>
    public IReadOnlyList<double> ConfirmationMetrics { get; init; } = [];

    /// <summary>The input slots the trial's network trained with (encoded, the bins' slots); 0 where unknown.</summary>
    internal int InputSlots { get; init; }

    /// <summary>Seconds a fold's (or the holdout's) rows took to score with the trial's model, the mean over its folds; 0 where unknown.</summary>
    internal double ScoreSeconds { get; init; }

    /// <summary>
    /// Microseconds a row takes to score through <see cref="Model"/>'s <c>Transform</c> (a cursor over the first 1,000 rows
    /// of the experiment's data, on the machine that ran the experiment), for the trials on the Pareto front and the best;
    /// null for the others.
    /// </summary>
    public double? PredictionMicroseconds { get; init; }

    /// <summary>One line: the options tried, the score, the nonzeros and the time.</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"trial {Index}: hidden [{string.Join(", ", HiddenLayerSizes)}], target {TargetSparsity:P0}, step x{LearningRateMultiplier}, epochs x{EpochMultiplier}{(PiecewiseLinearBins > 0 ? $", inputs in {PiecewiseLinearBins} bins" : "")}{(InputsToKeep is int kept ? $", {kept} inputs kept" : "")}: metric {Metric:F4}{(StoppedEarly ? $" (stopped after {FoldMetrics.Count} folds)" : "")}, {NonZeroWeights:N0} nonzero ({Sparsity:P1} sparse), {Seconds:F1} s{(PredictionMicroseconds is double micros ? $", {micros:F1} µs a row" : "")}");
}
