// Licensed under the MIT License. See LICENSE in the repository root.

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
    /// tolerance window after <c>ParameterSelection.MinimumEpochsBeforeStop</c> epochs, so each completed run's count at that mark and
    /// at its end are interpolated (geometric mean, log-log in λ between runs) to the λ whose trajectory crosses the
    /// target midway through the epochs where stopping is allowed (with <c>ParameterSelection.MinimumEpochsBeforeStop</c> = 0, from the
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
    /// The options of <c>ParameterSelection</c> (the probes, the run budget, the stop rule) do not apply.
    /// </summary>
    SparsityTracking = 3,
}
