// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Loop;
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
    /// <summary>λ when the schedule starts; the feedback law moves it by up to a factor e^gain per step from there.</summary>
    private const float InitialLambda = 1e-6f;

    public static (MlpParameters Parameters, float[] Lambdas, SparsitySelectionReport Report) Run(TrainingData data, int[] layerSizes, int seed,
        TrainingSettings training, SelectionSettings selection, TrackingSettings tracking, Action<int, float[], EpochSummary>? epochCompleted,
        TrainingCancellation cancellation)
    {
        var watch = Stopwatch.StartNew();
        int layers = layerSizes.Length - 1;
        int[] layerWeights = MlpParameters.LayerWeightCounts(layerSizes);
        int groups = selection.LayerWise ? layers : 1;
        long[] groupWeights = selection.LayerWise ? layerWeights.Select(w => (long)w).ToArray() : [layerWeights.Sum(w => (long)w)];
        // Steps are of the whole training set (all shards together in data-parallel training).
        int batch = training.EffectiveBatchSize(data.GlobalRows);
        long stepsPerEpoch = TrainingSettings.StepsPerEpoch(batch, data.GlobalRows);
        long totalSteps = stepsPerEpoch * training.Epochs;
        long start = (long)Math.Round(tracking.ScheduleStart * totalSteps);
        long end = Math.Max(start + 1, (long)Math.Round(tracking.ScheduleEnd * totalSteps));
        // A short schedule needs a faster law: λ must be able to cross ten decades (e^23) within a quarter of it.
        double gain = Math.Max(tracking.Gain, 23.0 / (0.25 * (end - start)));

        var parameters = MlpParameters.Initialize(layerSizes, seed);
        // Inputs chosen before the run start at zero weight (their columns are zero too, so they stay there).
        if (tracking.KeptInputs is int[] kept)
            InputGroups.Keep(parameters.Weights[0], layerSizes[0], layerSizes[1], transposed: false, ImportanceSelection.MaskOf(layerSizes[0], kept));
        var settings = training with { Lambdas = new float[layers] };
        float[] lambdas = new float[groups];
        long frozenAt = 0;
        float[]? frozenLambdas = null;
        var counts = new long[groups];
        bool started = false;
        // Input selection (TrackingSettings.InputsToKeep): a group-lasso λ on the first layer's inputs, steered like λ.
        int inputs = layerSizes[0];
        int? inputTarget = tracking.InputsToKeep;
        // Inputs chosen before the run bound the first layer's weights as a kept count does; no penalty steers them.
        int? reachableInputs = inputTarget ?? tracking.KeptInputs?.Length;
        float inputLambda = 0f;
        int usedInputs = tracking.KeptInputs?.Length ?? inputs;
        float[]? keptInputs = null;
        var outcome = ProximalTrainingLoop.Train(data, parameters, settings, stopRule: null,
            summary => epochCompleted?.Invoke(0, Expand(lambdas, layers), summary with
            {
                ScheduledNonZeroCount = (long)Math.Round(Enumerable.Range(0, groups).Sum(g => Scheduled(g, summary.Epoch * stepsPerEpoch))),
                PatternFrozen = frozenAt > 0,
            }), cancellation,
            (step, optimizer) =>
            {
                if (frozenAt > 0)
                {
                    // The refit's step decays to zero along a half cosine over the steps left, so the kept weights settle.
                    if (tracking.DecayRefit)
                        optimizer.LearningRate = (float)(training.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * (step.Step - frozenAt) / Math.Max(1, totalSteps - frozenAt))));
                    return;
                }

                if (step.Step < start)
                    return;
                if (inputTarget is int keep && started)
                {
                    // At the schedule's end the strongest inputs are kept and the others stay out (an element-wise step
                    // could otherwise revive them); before, the group penalty follows the schedule without going below it.
                    bool transposed = optimizer.FirstLayerTransposed;
                    if (keptInputs is null && step.Step >= end)
                        keptInputs = InputGroups.Strongest(parameters.Weights[0], inputs, layerSizes[1], transposed, keep);
                    double wantedInputs = keep + (inputs - keep) * Math.Pow(1.0 - Math.Clamp((double)(step.Step - start) / (end - start), 0.0, 1.0), 3);
                    (usedInputs, step.LayerNonZeroCounts[0]) = keptInputs is not null
                        ? InputGroups.Keep(parameters.Weights[0], inputs, layerSizes[1], transposed, keptInputs)
                        : InputGroups.Shrink(parameters.Weights[0], inputs, layerSizes[1], transposed, optimizer.LearningRate * inputLambda, wantedInputs);
                    inputLambda *= (float)Math.Exp(gain * Math.Clamp((usedInputs - wantedInputs) / Math.Max(wantedInputs, 1.0), -1.0, 1.0));
                }

                for (int g = 0; g < groups; g++)
                    counts[g] = selection.GroupCount(step.LayerNonZeroCounts, g);

                if (!started)
                {
                    started = true;
                    // The dense phase ends: λ starts from a small value, and the reweighting offset is set from the
                    // weights' magnitude now, so that it means the same for any feature or label scale.
                    Array.Fill(lambdas, InitialLambda);
                    inputLambda = InitialLambda;
                    optimizer.ReweightOffset = tracking.ReweightFactor * MeanAbsoluteWeight(parameters);
                }
                else if (step.Step >= end && (reachableInputs is null ? AllWithin() : usedInputs <= reachableInputs && AllWithinOrBelow()))
                {
                    frozenAt = step.Step;
                    frozenLambdas = Expand(lambdas, layers);
                    optimizer.FreezeZeroPattern(parameters);
                    Array.Clear(optimizer.Lambdas);
                    optimizer.ReweightOffset = 0f;
                    return;
                }
                else
                {
                    for (int g = 0; g < groups; g++)
                    {
                        double wanted = Scheduled(g, step.Step);
                        double error = Math.Clamp((counts[g] - wanted) / Math.Max(wanted, 1.0), -1.0, 1.0);
                        lambdas[g] = (float)(lambdas[g] * Math.Exp(gain * error));
                    }
                }

                for (int j = 0; j < layers; j++)
                    optimizer.Lambdas[j] = lambdas[selection.LayerWise ? j : 0];
            });
        var (_, loss) = FullGradient.Compute(parameters, data, training.Loss, Math.Max(batch, 1024), training.Threads);
        watch.Stop();

        int[] finalCounts = outcome.LayerNonZeroCounts;
        bool converged = frozenAt > 0;
        var used = frozenLambdas ?? Expand(lambdas, layers);
        string inputsNote = reachableInputs is int asked
            ? string.Create(CultureInfo.InvariantCulture, $"; {InputGroups.Norms(parameters.Weights[0], inputs, layerSizes[1], false).Count(n => n > 0)} of {inputs} inputs used (asked {asked})")
                + (tracking.KeptInputsNote is string chosen ? "; " + chosen : "")
            : "";
        string note = converged
            ? string.Create(CultureInfo.InvariantCulture,
                $"tracking: cubic schedule over steps {start}-{end} of {totalSteps}; pattern frozen at step {frozenAt} (epoch {(double)frozenAt / stepsPerEpoch:F1}), then {totalSteps - frozenAt} steps without l1{inputsNote}")
            : string.Create(CultureInfo.InvariantCulture,
                $"tracking: cubic schedule over steps {start}-{end} of {totalSteps}; the counts never settled within tolerance after the schedule{inputsNote}");
        var iteration = new SelectionIteration(0, used, finalCounts, loss, outcome.EpochsStarted, converged, watch.Elapsed.TotalSeconds, note);
        var report = new SparsitySelectionReport(SelectionStrategy.SparsityTracking, selection.LayerWise, selection.Targets, layerWeights,
            selection.Tolerance, [iteration], 0, converged);
        return (parameters, used, report);

        // The cubic schedule: all weights until the start, the target from the end on, (1-u)^3 of the difference between.
        double Scheduled(int g, long step)
        {
            double u = Math.Clamp((double)(step - start) / (end - start), 0.0, 1.0);
            double remaining = 1.0 - u;
            return selection.Targets[g] + (groupWeights[g] - selection.Targets[g]) * remaining * remaining * remaining;
        }

        // With input selection, k inputs may hold fewer first-layer weights than the target allows (10 of 200 inputs
        // x 100 neurons is 1,000 weights): the target is then an upper bound, met by any count at or below it.
        bool AllWithinOrBelow()
        {
            for (int g = 0; g < groups; g++)
            {
                // The most weights the group can hold once only the kept inputs feed the first layer.
                long reachable = (g == 0 ? (long)reachableInputs!.Value * layerSizes[1] : layerWeights[g])
                    + (selection.LayerWise ? 0 : layerWeights.Skip(1).Sum(w => (long)w));
                bool unreachable = selection.Targets[g] > reachable;
                if (!selection.IsWithin(counts[g], g) && !(unreachable && counts[g] <= selection.Targets[g]))
                    return false;
            }

            return true;
        }

        bool AllWithin()
        {
            for (int g = 0; g < groups; g++)
            {
                if (!selection.IsWithin(counts[g], g))
                    return false;
            }

            return true;
        }
    }

    private static float[] Expand(float[] lambdas, int layers) =>
        lambdas.Length == layers ? (float[])lambdas.Clone() : Enumerable.Repeat(lambdas[0], layers).ToArray();

    private static float MeanAbsoluteWeight(MlpParameters parameters)
    {
        double sum = 0;
        long count = 0;
        foreach (var w in parameters.Weights)
        {
            foreach (float v in w)
                sum += Math.Abs(v);
            count += w.Length;
        }

        return (float)(sum / count);
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
}
