// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Optimizer;
using Microsoft.ML.SparseL1.Training.Passes;

namespace Microsoft.ML.SparseL1.Selection;

/// <summary>
/// <see cref="SelectionStrategy.SparsityTracking"/>: the target reached in one training run. λ (one, or one per layer)
/// starts at zero and is adjusted after every proximal step by a multiplicative feedback law so that the nonzero count
/// follows the cubic schedule of gradual pruning (Zhu and Gupta 2017) from all weights down to the target; once the
/// schedule has ended and every count is within tolerance, the zero pattern is frozen and the surviving weights train
/// without the l1 term for the rest of the run, with the step decaying to zero along a half cosine, which removes the
/// l1 shrinkage of the kept weights.
/// </summary>
/// <remarks>
/// Why this shape: a run that trains under its final λ from the first step kills weights before features form, and
/// the paper's iteration pays several full runs to find that λ. Here the network is dense for the first epochs and
/// is thinned gradually, so the surviving weights are the ones that mattered to a trained network; the feedback law
/// is the paper's parameter choice made online (λ rises while there are too many nonzeros and falls while there are too
/// few), and a fixed point of the proximal step still satisfies the l1 optimality conditions at the chosen λ.
/// </remarks>
internal static class SparsityTracking
{
    public static (MlpParameters Parameters, float[] Lambdas, SparsitySelectionReport Report) Run(TrainingData data, int[] layerSizes, int seed,
        TrainingSettings training, SelectionSettings selection, TrackingSettings tracking, Action<int, float[], EpochSummary>? epochCompleted,
        TrainingCancellation cancellation)
    {
        var watch = Stopwatch.StartNew();
        var schedule = new TrackingSchedule(data, layerSizes, training, selection, tracking);
        var parameters = InitialParameters(layerSizes, seed, tracking);
        var controller = new SparsityController(parameters, training, selection, tracking, schedule);
        var outcome = ProximalTrainingLoop.Train(data, parameters, training with { Lambdas = new float[schedule.Layers] }, stopRule: null,
            summary => epochCompleted?.Invoke(0, controller.Lambdas, controller.Annotate(summary)), cancellation, controller.Next);
        double loss = FullGradient.Loss(parameters, data, training.Loss, Math.Max(schedule.Batch, 1024), training.Threads);
        watch.Stop();

        var used = controller.FrozenLambdas ?? controller.Lambdas;
        bool converged = controller.FrozenAt > 0 || controller.EndedBelowUnreachableTarget;
        var iteration = new SelectionIteration(0, used, outcome.LayerNonZeroCounts, loss, outcome.EpochsStarted, converged,
            watch.Elapsed.TotalSeconds, Note(schedule, controller, parameters, tracking));
        var report = new SparsitySelectionReport(SelectionStrategy.SparsityTracking, selection.LayerWise, selection.Targets, schedule.LayerWeights,
            selection.Tolerance, [iteration], 0, converged);
        return (parameters, used, report);
    }

    /// <summary>The seeded network; inputs chosen before the run start at zero weight (their columns are zero too, so they stay there).</summary>
    private static MlpParameters InitialParameters(int[] layerSizes, int seed, TrackingSettings tracking)
    {
        var parameters = MlpParameters.Initialize(layerSizes, seed);
        if (tracking.KeptInputs is int[] kept)
            InputGroups.Keep(parameters.Weights[0], layerSizes[0], layerSizes[1], transposed: false, ImportanceSelection.MaskOf(layerSizes[0], kept));
        return parameters;
    }

    /// <summary>The run's line in the report: the schedule, where the pattern froze (or that it never settled), the inputs used.</summary>
    private static string Note(TrackingSchedule schedule, SparsityController controller, MlpParameters parameters, TrackingSettings tracking)
    {
        int inputs = parameters.InputSize;
        string inputsNote = controller.ReachableInputs is int asked
            ? string.Create(CultureInfo.InvariantCulture, $"; {InputGroups.Norms(parameters.Weights[0], inputs, parameters.LayerSizes[1], false).Count(n => n > 0)} of {inputs} inputs used (asked {asked})")
                + (tracking.KeptInputsNote is string chosen ? "; " + chosen : "")
            : "";
        long frozenAt = controller.FrozenAt;
        if (controller.EndedBelowUnreachableTarget)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"tracking: cubic schedule over steps {schedule.Start}-{schedule.End} of {schedule.TotalSteps}; l1 kept to the end, the counts below a target the kept inputs cannot reach{inputsNote}");
        }

        return frozenAt > 0
            ? string.Create(CultureInfo.InvariantCulture,
                $"tracking: cubic schedule over steps {schedule.Start}-{schedule.End} of {schedule.TotalSteps}; pattern frozen at step {frozenAt} (epoch {(double)frozenAt / schedule.StepsPerEpoch:F1}), then {schedule.TotalSteps - frozenAt} steps without l1{inputsNote}")
            : string.Create(CultureInfo.InvariantCulture,
                $"tracking: cubic schedule over steps {schedule.Start}-{schedule.End} of {schedule.TotalSteps}; the counts never settled within tolerance after the schedule{inputsNote}");
    }
}

/// <summary>The knobs of <see cref="SparsityTracking"/>.</summary>
internal sealed record TrackingSettings
{
    /// <summary>Fraction of the run's steps trained dense before the schedule starts (gradual pruning: 1 epoch of 20).</summary>
    public double ScheduleStart { get; init; } = 0.05;

    /// <summary>Fraction of the run's steps at which the schedule reaches the target (gradual pruning: 12 epochs of 20).</summary>
    public double ScheduleEnd { get; init; } = 0.6;

    /// <summary>Per step, λ is multiplied by exp(gain · relative count error), the error clamped to [-1, 1].</summary>
    public double Gain { get; init; } = 0.05;

    /// <summary>δ of the reweighted penalty as a multiple of the mean |weight| when the schedule starts; 0 is plain l1.</summary>
    public float ReweightFactor { get; init; } = 0.5f;

    /// <summary>
    /// Decay the step to zero along a half cosine over the refit after the pattern is frozen: on Fashion-MNIST at 90 % it
    /// gave the same or better test accuracy than a constant step on each seed tried (docs/algorithm.md §5).
    /// </summary>
    public bool DecayRefit { get; init; } = true;

    /// <summary>
    /// Inputs the first layer may use, or null for no input selection: a group-lasso penalty on each input's weights
    /// (block soft-thresholding after each step) steered along the same cubic schedule from all inputs down to this
    /// many; at the schedule's end the strongest inputs are kept if more remain.
    /// </summary>
    public int? InputsToKeep { get; init; }

    /// <summary>Inputs chosen before the run (<see cref="ImportanceSelection"/>): the others start and stay at zero weight.</summary>
    public int[]? KeptInputs { get; init; }

    /// <summary>How the kept inputs were chosen, for the run's note in the report.</summary>
    public string? KeptInputsNote { get; init; }

    /// <summary>
    /// With <see cref="KeptInputs"/> and a target the kept inputs cannot reach, whether counts below it settle the run
    /// (the pattern is frozen at the schedule's end and refit without l1), or the run goes on as one on masked columns
    /// would: never settled, λ falling towards zero along the feedback law and weights free to leave zero to the end.
    /// </summary>
    public bool SettleBelowUnreachableTarget { get; init; } = true;
}
