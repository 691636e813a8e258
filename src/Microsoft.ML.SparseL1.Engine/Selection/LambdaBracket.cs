// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Microsoft.ML.SparseL1.Selection;

/// <summary>
/// The λ history of one target (one layer, or all layers pooled) and the next λ it implies: bracket λ between the
/// smallest λ that was too sparse and the largest that was too dense, then pick a gradient magnitude inside.
/// Pure logic, no training: tested on scripted NNZ(λ) sequences.
/// </summary>
/// <param name="target">Target nonzero count.</param>
/// <param name="weightCount">Weights the count is taken over: a run with all of them nonzero says nothing about where λ
/// starts to bite, so <see cref="SelectionStrategy.TrajectoryAim"/> does not aim from it.</param>
internal sealed class LambdaBracket(int target, long weightCount = long.MaxValue)
{
    private readonly List<(float Lambda, long NonZero, long? AtStopMark)> _history = [];

    public int Target => target;

    /// <summary>Records a run: its λ, its final count and, for a run trained to its end, its count when stopping became allowed.</summary>
    public void Add(float lambda, long nonZero, long? countAtStopMark = null) => _history.Add((lambda, nonZero, countAtStopMark));

    /// <summary>
    /// The next λ from the gradient magnitudes <paramref name="gradientMagnitudes"/> of this target's weights
    /// at the last trained network, and a note saying how it was chosen.
    /// </summary>
    public (float Lambda, string Note) Next(SelectionStrategy strategy, ReadOnlySpan<float> gradientMagnitudes)
    {
        if (_history.Count == 0)
            throw new InvalidOperationException("The bracket needs at least one run.");
        var c = CultureInfo.InvariantCulture;
        var tooSparse = _history.Where(h => h.NonZero <= target).ToList();
        var tooDense = _history.Where(h => h.NonZero >= target).ToList();

        // Degenerate brackets: no run on one side yet, so move λ past the extreme run by a factor of 10.
        if (tooSparse.Count == 0)
        {
            float largest = _history.Max(h => h.Lambda);
            return (largest * 10, string.Format(c, "no run sparse enough yet: λ = 10 × {0:G5}", largest));
        }

        if (tooDense.Count == 0)
        {
            float smallest = _history.Min(h => h.Lambda);
            return (smallest / 10, string.Format(c, "no run dense enough yet: λ = {0:G5} / 10", smallest));
        }

        // The bracket is defined by λ, as specified: the smallest λ that was too sparse and the largest that was too
        // dense. (The authors' code picks the runs with the NNZ closest to the target instead; with coupled layers NNZ at
        // a given λ_j moves with the other layers' λ, and that bracket can stay pinned to stale runs forever. This one
        // tightens whenever a run lands inside it, and is the same whenever NNZ(λ) is monotone.)
        float upper = tooSparse.Min(h => h.Lambda);
        float lower = tooDense.Max(h => h.Lambda);
        float midpoint = (lower + upper) / 2;
        if (lower >= upper)
            return (midpoint, string.Format(c, "inverted bracket ({0:G5} ≥ {1:G5}: NNZ(λ) not monotone): midpoint", lower, upper));

        if (strategy == SelectionStrategy.OrderStatistic && target >= 1 && target <= gradientMagnitudes.Length)
        {
            float orderStatistic = KthLargest(gradientMagnitudes, target);
            if (orderStatistic > lower && orderStatistic < upper)
                return (orderStatistic, string.Format(c, "bracket ({0:G5}, {1:G5}): {2}-th largest |gradient|", lower, upper, target));
        }

        if (strategy == SelectionStrategy.TrajectoryAim && AimedLambda() is float aimed && aimed > lower && aimed < upper)
            return (aimed, string.Format(c, "bracket ({0:G5}, {1:G5}): aimed at the trajectory", lower, upper));

        var inside = new List<float>();
        foreach (float g in gradientMagnitudes)
        {
            if (g > lower && g < upper)
                inside.Add(g);
        }

        if (inside.Count == 0)
            return (midpoint, string.Format(c, "bracket ({0:G5}, {1:G5}): no gradient inside, midpoint", lower, upper));
        inside.Sort();
        return (inside[(inside.Count - 1) / 2], string.Format(c, "bracket ({0:G5}, {1:G5}): lower median of {2} gradients", lower, upper, inside.Count));
    }

    /// <summary>
    /// The λ whose run should cross the target midway between the stop mark and the end, from the completed runs: each
    /// run's aim is the geometric mean of its counts at the mark and at the end. Two runs whose aims straddle the
    /// target are interpolated in log λ - log count; otherwise the latest completed run is moved along count ∝ 1/λ.
    /// Null (the paper's pick instead) when no unsaturated run was trained to its end, or when the last two such runs
    /// missed on the same side without the later one at least halving the miss (in log count, as a safeguarded secant
    /// falls back to bisection): the model of count against λ is then not to be trusted (a layer pulled by the others),
    /// and the median bisects the bracket by gradient ranks instead.
    /// </summary>
    private float? AimedLambda()
    {
        var completed = _history.Where(h => h.AtStopMark is > 0 && h.NonZero > 0 && h.NonZero < weightCount)
            .Select(h => (h.Lambda, h.NonZero, Aim: Math.Sqrt((double)h.AtStopMark!.Value * h.NonZero))).ToList();
        if (completed.Count == 0)
            return null;
        if (completed.Count >= 2 && Math.Sign(completed[^1].NonZero - target) == Math.Sign(completed[^2].NonZero - target)
            && Math.Abs(Math.Log(completed[^1].Aim / target)) > Math.Abs(Math.Log(completed[^2].Aim / target)) / 2)
            return null;
        var denseSide = completed.Where(r => r.Aim > target).OrderByDescending(r => r.Lambda).FirstOrDefault();
        var sparseSide = completed.Where(r => r.Aim < target).OrderBy(r => r.Lambda).FirstOrDefault();
        if (denseSide.Lambda > 0 && sparseSide.Lambda > denseSide.Lambda)
        {
            double fraction = Math.Log(target / denseSide.Aim) / Math.Log(sparseSide.Aim / denseSide.Aim);
            return (float)(denseSide.Lambda * Math.Pow(sparseSide.Lambda / denseSide.Lambda, fraction));
        }

        var latest = completed[^1];
        return (float)(latest.Lambda * latest.Aim / target);
    }

    private static float KthLargest(ReadOnlySpan<float> values, int k)
    {
        var copy = values.ToArray();
        Array.Sort(copy);
        return copy[copy.Length - k];
    }
}
