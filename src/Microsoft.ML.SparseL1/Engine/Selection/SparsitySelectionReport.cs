// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Microsoft.ML.SparseL1;

/// <summary>The λ-update rule of the parameter selection.</summary>
public enum SelectionStrategy
{
    /// <summary>
    /// The paper's rule as its authors ran it: bracket λ between runs that were too sparse and too dense and take
    /// the lower median of the full-training-set gradient magnitudes strictly inside the bracket (midpoint if none).
    /// </summary>
    GradientMedianBracket = 0,

    /// <summary>
    /// The convex-case rule of the predecessor paper (Liu, Wang, Xu, Yan 2023): take the order statistic of the
    /// gradient magnitudes at the target count, safeguarded by the same bracket.
    /// </summary>
    OrderStatistic = 1,

    /// <summary>
    /// The paper's bracket with a different pick inside it, aimed at the stop rule: a run can only stop inside the
    /// tolerance window after <c>MinimumEpochsBeforeStop</c> epochs, so each completed run's count at that mark and
    /// at its end are interpolated (geometric mean, log-log in λ between runs) to the λ whose trajectory crosses the
    /// target midway through the epochs where stopping is allowed (with <c>MinimumEpochsBeforeStop</c> = 0, from the
    /// final counts). With one completed run it assumes count ∝ 1/λ. Falls back to the paper's lower median when the
    /// aimed λ is outside the bracket, when no completed run has a count below its weight count, and when the last two
    /// completed runs missed on the same side without the later one halving the miss (layers pulling each other).
    /// </summary>
    TrajectoryAim = 2,

    /// <summary>
    /// One training run instead of an iteration of runs: λ starts at zero after a short dense phase and is steered after
    /// every step (multiplied by e^(gain·relative count error)) so that the nonzero count follows the cubic schedule of
    /// gradual pruning (Zhu and Gupta 2017) down to the target at 60 % of the run; the l1 term is reweighted by
    /// δ/(|w| + δ) so that large weights are shrunk less. Once every count is within tolerance after the schedule, the
    /// zero pattern is frozen and the surviving weights train without the l1 term for the rest of the run, the step
    /// decaying to zero along a half cosine.
    /// <c>MinimumEpochsBeforeStop</c>, the probes and <c>MaxSelectionIterations</c> do not apply.
    /// </summary>
    SparsityTracking = 3,
}

/// <summary>One training run of the parameter selection.</summary>
/// <param name="Iteration">0 and 1 are the probes; 2.. the updates.</param>
/// <param name="Lambdas">λ_j of each weight layer in this run.</param>
/// <param name="LayerNonZeroCounts">Nonzero weights per layer of the network this run returned.</param>
/// <param name="TrainingLoss">Full training-set data loss of that network.</param>
/// <param name="Epochs">Epochs run (the last one possibly cut short by the stop rule).</param>
/// <param name="StoppedAtTarget">Whether the stop rule fired (the counts entered the tolerance window).</param>
/// <param name="Seconds">Wall time of the run, gradient pass included.</param>
/// <param name="Note">How the next λ was chosen (bracket, median, midpoint, ×10 expansion).</param>
public sealed record SelectionIteration(int Iteration, IReadOnlyList<float> Lambdas, IReadOnlyList<int> LayerNonZeroCounts,
    double TrainingLoss, int Epochs, bool StoppedAtTarget, double Seconds, string Note);

/// <summary>What the target-sparsity selection did: every run, and the result against the targets.</summary>
public sealed class SparsitySelectionReport
{
    internal SparsitySelectionReport(SelectionStrategy strategy, bool layerWise, IReadOnlyList<int> targetNonZeroCounts,
        IReadOnlyList<int> layerWeightCounts, float tolerance, IReadOnlyList<SelectionIteration> iterations, int chosenIteration, bool converged)
    {
        Strategy = strategy;
        LayerWise = layerWise;
        TargetNonZeroCounts = targetNonZeroCounts;
        LayerWeightCounts = layerWeightCounts;
        Tolerance = tolerance;
        Iterations = iterations;
        ChosenIteration = chosenIteration;
        Converged = converged;
    }

    /// <summary>The λ-update rule used.</summary>
    public SelectionStrategy Strategy { get; }

    /// <summary>One target per layer (true) or one total target (false).</summary>
    public bool LayerWise { get; }

    /// <summary>Target nonzero weights: one per layer when <see cref="LayerWise"/>, else one total.</summary>
    public IReadOnlyList<int> TargetNonZeroCounts { get; }

    /// <summary>Weights per layer of the trained network.</summary>
    public IReadOnlyList<int> LayerWeightCounts { get; }

    /// <summary>The relative tolerance of each target.</summary>
    public float Tolerance { get; }

    /// <summary>Every training run, in order.</summary>
    public IReadOnlyList<SelectionIteration> Iterations { get; }

    /// <summary>Index into <see cref="Iterations"/> of the network delivered.</summary>
    public int ChosenIteration { get; }

    /// <summary>True when the delivered network meets every target within tolerance; false means the best iterate is delivered.</summary>
    public bool Converged { get; }

    /// <summary>Total wall time of all runs.</summary>
    public double TotalSeconds => Iterations.Sum(i => i.Seconds);

    /// <summary>Total epochs of all runs.</summary>
    public int TotalEpochs => Iterations.Sum(i => i.Epochs);

    /// <summary>A table of the runs and the outcome, for logs and consoles.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"Sparsity selection ({Strategy}, {(LayerWise ? "layer-wise" : "single λ")}), targets [{string.Join(", ", TargetNonZeroCounts)}] nonzero weights ±{Tolerance:P1}:");
        foreach (var it in Iterations)
        {
            text.AppendLine(c, $"  run {it.Iteration,2}: λ [{string.Join(", ", it.Lambdas.Select(l => l.ToString("G5", c)))}]  NNZ [{string.Join(", ", it.LayerNonZeroCounts)}] = {it.LayerNonZeroCounts.Sum()}  loss {it.TrainingLoss:G5}  epochs {it.Epochs}{(it.StoppedAtTarget ? " (stopped at target)" : string.Empty)}  {it.Seconds:F1}s  {it.Note}");
        }

        var chosen = Iterations[ChosenIteration];
        text.Append(c, $"{(Converged ? "Converged" : "NOT converged: delivering the closest run")}: run {chosen.Iteration}, NNZ [{string.Join(", ", chosen.LayerNonZeroCounts)}], {Iterations.Count} runs, {TotalEpochs} epochs, {TotalSeconds:F1}s.");
        return text.ToString();
    }
}
