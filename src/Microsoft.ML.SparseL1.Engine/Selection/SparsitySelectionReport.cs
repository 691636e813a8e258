// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Microsoft.ML.SparseL1;

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

    /// <summary>This report with <see cref="Converged"/> false: the delivered network failed a check the runs could not make.</summary>
    internal SparsitySelectionReport NotConverged() =>
        new(Strategy, LayerWise, TargetNonZeroCounts, LayerWeightCounts, Tolerance, Iterations, ChosenIteration, converged: false);

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
