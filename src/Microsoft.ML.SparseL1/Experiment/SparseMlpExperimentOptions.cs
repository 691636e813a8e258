// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace Microsoft.ML.SparseL1;

/// <summary>
/// Options of <see cref="SparseMlpExperiment"/>: the time budget, the validation split and the search space (each
/// dimension a list of values, searched from the trainer's defaults outward, cheapest first).
/// </summary>
public sealed class SparseMlpExperimentOptions
{
    /// <summary>
    /// Seconds the experiment may spend, above 0. The first trial, the trainer's defaults, always runs; no other starts
    /// that is expected to end after the search's share of the budget (its cost, weights times epochs, at the seconds per
    /// cost of the costliest trial after the first that ran every fold; an estimate, so the last trial may end after it).
    /// The search stops early enough for what follows it (the leader and the defaults scored on the resamples of the rows
    /// kept from it, cross-validated after training them on the search's rows; cross-validated, the front and the best
    /// trained again on every row; held out, the defaults trained again on every row when they are the best), estimated
    /// from the trials' own times. Default 60.
    /// </summary>
    public double TrainingTimeInSeconds { get; set; } = 60;

    /// <summary>
    /// The most trials, at least 1, or null for as many as the time allows. With a trial count the experiment is
    /// deterministic for a seed (set <see cref="TrainingTimeInSeconds"/> high enough); with time alone, how far it gets
    /// depends on the machine. Default null.
    /// </summary>
    public int? MaxTrials { get; set; }

    /// <summary>
    /// How the trials are scored: with at least 2, by k-fold cross-validation (ML.NET's <c>CrossValidate</c>), the trials
    /// on the Pareto front and the best then trained again on every row; with 1, on <see cref="HoldoutFraction"/> of the
    /// rows held out (half of it, with rows kept to confirm the leader: <see cref="ConfirmationFraction"/>), the trials
    /// keeping the models scored, but trial 0 (the defaults) trained again on every row when it is the best.
    /// Null: 5 folds below 10,000 rows (one holdout of a few hundred rows, searched over many trials, rewards the trial
    /// that fits its noise), else the holdout. Default null.
    /// </summary>
    public int? NumberOfFolds { get; set; }

    /// <summary>
    /// Fraction of the rows held out from the trials' training when they are not cross-validated, in (0, 0.5]: half of it
    /// scores the trials and half confirms the leader (<see cref="ConfirmationFraction"/>; all of it scores the trials when
    /// that is 0). Default 0.2.
    /// </summary>
    public double HoldoutFraction { get; set; } = 0.2;

    /// <summary>
    /// The fraction of the rows kept from the search, in [0, 0.5): the best trial after trial 0 and trial 0 (the defaults)
    /// are scored there, and the best is the leader only where its lead holds there
    /// (<see cref="SparseMlpExperimentResult.Best"/>); the rows the search chose on carry the choice's bias (another split
    /// of them too, as every row was a validation row in both). Cross-validated, the two are trained on the other rows for
    /// it, each with three seeds (the trainer's and the next two; trial 0's last two with the network and encoding its
    /// first fit chose), and weighed by the three fits' mean score. Held out (<see cref="NumberOfFolds"/> 1), half of the holdout is kept whatever the fraction above 0 (the trials
    /// train on as many rows), and the two models the other half scored are scored there. 0: the leader is weighed on the
    /// search's folds (held out, on parts of the holdout). Default 0.2.
    /// </summary>
    public double ConfirmationFraction { get; set; } = 0.2;

    /// <summary>
    /// Seed of the folds (or the holdout), of the holdout's parts and of the resamples of the rows kept from the search
    /// (<see cref="ConfirmationFraction"/>; those rows are cut by this seed + 1). The trials train with the trainer's own seed, so that trial 0 is the trainer's
    /// defaults exactly. Default 1.
    /// </summary>
    public int Seed { get; set; } = 1;

    /// <summary>Hidden layer widths to try (every hidden layer of a trial has the same width), each at least 1. Default 50, 100, 200, 400.</summary>
    public IReadOnlyList<int> HiddenLayerWidths { get; set; } = [50, 100, 200, 400];

    /// <summary>
    /// Numbers of hidden layers to try, each in [0, 8]; 0 is a linear model (l1-regularized linear or logistic regression,
    /// whatever the width). Default 0, 1, 2.
    /// </summary>
    public IReadOnlyList<int> HiddenLayerCounts { get; set; } = [0, 1, 2];

    /// <summary>Target sparsities to try, each in [0, 1). Default 0.5, 0.8, 0.9, 0.95, 0.98.</summary>
    public IReadOnlyList<float> TargetSparsities { get; set; } = [0.5f, 0.8f, 0.9f, 0.95f, 0.98f];

    /// <summary>
    /// Step sizes to try as multiples of the trainer's default (Adam 1e-3), each finite and above 0; 1 keeps the trainer's
    /// own choice (on small regression sets, by cross-validation). Default 0.3, 1, 3.
    /// </summary>
    public IReadOnlyList<float> LearningRateMultipliers { get; set; } = [0.3f, 1f, 3f];

    /// <summary>Training budgets to try as multiples of the trainer's default epochs for the data, each at least 1. Default 1, 2, 4.</summary>
    public IReadOnlyList<int> EpochMultipliers { get; set; } = [1, 2, 4];

    /// <summary>
    /// Input encodings to try: 0 feeds the inputs as they are, N encodes each numeric input piecewise-linearly in up to N
    /// quantile bins (<see cref="SparseMlpOptionsBase.PiecewiseLinearBins"/>); each 0 or in [2, 256]. Where trees lead
    /// (counts, thresholds) the bins gain most; on smooth inputs they can lose, so the search measures both. A feature
    /// vector of more than 1,024 values (text, hashed slots) is searched with 0 alone. Default 0, 8.
    /// </summary>
    public IReadOnlyList<int> PiecewiseLinearBins { get; set; } = [0, 8];

    /// <summary>
    /// Fractions of the inputs to keep, each in (0, 1], 1 among them (every input, where the search starts): below 1 a
    /// trial trains with input selection (<see cref="SparseMlpOptionsBase.InputsToKeep"/> = the fraction of the feature
    /// vector's values, rounded, at least 1; <see cref="SparseMlpTrial.InputsToKeep"/>). Up to 256 dense inputs such a
    /// trial costs the trainer's two runs (a network on every input ranks them, a second trains on those kept), above it
    /// one run with a group penalty; it finds models with fewer inputs for the Pareto front. The trainer does not combine
    /// input selection with the piecewise-linear encoding, so a fraction below 1 is searched with the inputs as they are
    /// only. Default 0.5, 1.
    /// </summary>
    public IReadOnlyList<float> InputFractions { get; set; } = [0.5f, 1f];

    /// <summary>Label column. Default <c>"Label"</c>.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Feature column (a known-size vector of Single). Default <c>"Features"</c>.</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>Example weight column, or null. Default null.</summary>
    public string? ExampleWeightColumnName { get; set; }

    /// <summary>Called after each trial.</summary>
    public IProgress<SparseMlpTrial>? Progress { get; set; }

    /// <summary>
    /// Stops the experiment, inside a trial's training too; the trials done so far are lost (the call throws). Over ranks
    /// (<see cref="Communicator"/>), a rank's cancellation stops every rank after the fits under way.
    /// </summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// Spreads the experiment's fits over the ranks of a group (Open MPI: <c>MpiCommunicator</c> in the package
    /// SparseL1.MLNet.Mpi): every rank calls the experiment with the same data and options and returns the same result,
    /// but for the measured times. Cross-validated, each trial's folds are dealt over the ranks, so the trials are the ones
    /// one process runs, bit for bit, in less time. Held out, each round trains one trial a rank side by side (the next
    /// points from the best so far), so the search differs from one process's, and is the same for the same ranks, seed
    /// and <see cref="MaxTrials"/>. The time budget is read on rank 0's clock; a fit that fails, a model that cannot be
    /// loaded, a cancellation or a progress callback that throws on one rank stops every rank. The ranks must score alike
    /// (the same kernel path): each scores every fold. The trials themselves train in one process each. Default null (one process).
    /// </summary>
    public SparseL1Communicator? Communicator { get; set; }

    internal void Validate()
    {
        if (!(TrainingTimeInSeconds > 0) || double.IsInfinity(TrainingTimeInSeconds) && MaxTrials is null)
            throw new ArgumentOutOfRangeException(nameof(TrainingTimeInSeconds), $"Option TrainingTimeInSeconds must be above 0 (finite unless MaxTrials is set); got {TrainingTimeInSeconds}.");
        if (MaxTrials is < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxTrials), $"Option MaxTrials must be null or at least 1; got {MaxTrials}.");
        if (NumberOfFolds is < 1 or > 20)
            throw new ArgumentOutOfRangeException(nameof(NumberOfFolds), $"Option NumberOfFolds must be null or in [1, 20]; got {NumberOfFolds}.");
        if (!(HoldoutFraction > 0 && HoldoutFraction <= 0.5))
            throw new ArgumentOutOfRangeException(nameof(HoldoutFraction), $"Option HoldoutFraction must be in (0, 0.5]; got {HoldoutFraction}.");
        if (!(ConfirmationFraction >= 0 && ConfirmationFraction < 0.5))
            throw new ArgumentOutOfRangeException(nameof(ConfirmationFraction), $"Option ConfirmationFraction must be in [0, 0.5); got {ConfirmationFraction}.");
        Check(HiddenLayerWidths, nameof(HiddenLayerWidths), w => w >= 1, "widths of at least 1");
        Check(HiddenLayerCounts, nameof(HiddenLayerCounts), c => c is >= 0 and <= 8, "layer counts in [0, 8]");
        Check(TargetSparsities, nameof(TargetSparsities), t => t >= 0 && t < 1, "sparsities in [0, 1)");
        Check(LearningRateMultipliers, nameof(LearningRateMultipliers), m => float.IsFinite(m) && m > 0, "finite multipliers above 0");
        Check(EpochMultipliers, nameof(EpochMultipliers), m => m >= 1, "multipliers of at least 1");
        Check(PiecewiseLinearBins, nameof(PiecewiseLinearBins), b => b == 0 || b is >= Model.PiecewiseLinearInputs.MinimumBins and <= Model.PiecewiseLinearInputs.MaximumBins,
            $"0 or bin counts in [{Model.PiecewiseLinearInputs.MinimumBins}, {Model.PiecewiseLinearInputs.MaximumBins}]");
        Check(InputFractions, nameof(InputFractions), s => s > 0 && s <= 1, "fractions in (0, 1]");
        if (!InputFractions.Contains(1f))
            throw new ArgumentOutOfRangeException(nameof(InputFractions), $"Option InputFractions must hold 1 (every input: the search starts at the defaults, which train on every input); got {string.Join(", ", InputFractions)}.");
        ArgumentException.ThrowIfNullOrWhiteSpace(LabelColumnName, nameof(LabelColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(FeatureColumnName, nameof(FeatureColumnName));
    }

    private static void Check<T>(IReadOnlyList<T>? values, string name, Func<T, bool> valid, string expected)
    {
        if (values is null || values.Count == 0)
            throw new ArgumentOutOfRangeException(name, $"Option {name} must hold at least one value.");
        foreach (var value in values)
        {
            if (!valid(value))
                throw new ArgumentOutOfRangeException(name, $"Option {name} must hold {expected}; got {value}.");
        }
    }
}
