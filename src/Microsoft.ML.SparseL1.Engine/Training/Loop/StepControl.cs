// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Training.Optimizer;

namespace Microsoft.ML.SparseL1.Training.Loop;

/// <summary>
/// What the steps after a proximal step use, as a step controller decides it from that step (its nonzero counts, the
/// inputs still used): the training loop applies it (<see cref="ControlledSteps"/>). A controller reads the step and,
/// where it needs them, the parameters; it writes nothing.
/// </summary>
internal sealed record StepControl
{
    /// <summary>Nothing changes.</summary>
    public static StepControl Unchanged { get; } = new();

    /// <summary>Freeze the zero pattern now: every weight that is zero stays zero (applied before the values below).</summary>
    public bool FreezeZeroPattern { get; init; }

    /// <summary>λ_j of each layer from the next step on; null keeps them.</summary>
    public float[]? Lambdas { get; init; }

    /// <summary>Step size η from the next step on; null keeps it.</summary>
    public float? LearningRate { get; init; }

    /// <summary>δ of the reweighted l1 penalty from the next step on; null keeps it.</summary>
    public float? ReweightOffset { get; init; }

    /// <summary>The input-group step that follows the next proximal step; null for none.</summary>
    public InputGroupStep? NextInputStep { get; init; }
}

/// <summary>
/// The group-lasso step on the first layer's inputs that follows a proximal step (<see cref="InputGroups"/>): block
/// soft-thresholding at η·<see cref="Lambda"/> while more than <see cref="AtMost"/> inputs are used, or, with
/// <see cref="KeepStrongest"/> set, the hard cut to that many inputs.
/// </summary>
/// <param name="Lambda">The input penalty's λ (the threshold is the step size times it).</param>
/// <param name="AtMost">Shrink only while more than this many inputs are used.</param>
internal sealed record InputGroupStep(float Lambda, double AtMost)
{
    /// <summary>
    /// Keep only this many inputs, the strongest at the first such step (the same set at every later one), instead of
    /// shrinking; null shrinks.
    /// </summary>
    public int? KeepStrongest { get; init; }
}

/// <summary>
/// The training loop's side of a step controller: after each proximal step it applies the input-group step the
/// controller asked for, asks the controller what the next steps use, and applies that to the optimizer.
/// </summary>
/// <param name="controller">Decides what the next steps use.</param>
/// <param name="observe">Sees each step and the optimizer as the step left it, before the controller (tests read its state).</param>
internal sealed class ControlledSteps(Func<TrainingStep, StepControl> controller, Action<TrainingStep, ProximalOptimizer>? observe = null)
{
    private InputGroupStep? _inputStep;

    /// <summary>The inputs kept by the first <see cref="InputGroupStep.KeepStrongest"/> step (1 kept, 0 dropped).</summary>
    private float[]? _keptInputs;

    /// <summary>Runs after the proximal step <paramref name="step"/>; its counts (the loop's array) are updated by the input step.</summary>
    public void AfterStep(TrainingStep step, ProximalOptimizer optimizer, MlpParameters parameters)
    {
        int? usedInputs = _inputStep is { } inputStep ? ApplyInputStep(inputStep, step.LayerNonZeroCounts, optimizer, parameters) : null;
        observe?.Invoke(step, optimizer);
        var control = controller(step with { UsedInputs = usedInputs });
        if (control.FreezeZeroPattern)
            optimizer.FreezeZeroPattern(parameters);
        control.Lambdas?.CopyTo(optimizer.Lambdas, 0);
        if (control.LearningRate is float rate)
            optimizer.LearningRate = rate;
        if (control.ReweightOffset is float offset)
            optimizer.ReweightOffset = offset;
        _inputStep = control.NextInputStep;
    }

    /// <summary>Applies an input-group step to the first layer; returns the inputs still used and writes the layer's count.</summary>
    private int ApplyInputStep(InputGroupStep inputStep, int[] nonZeroCounts, ProximalOptimizer optimizer, MlpParameters parameters)
    {
        int inputs = parameters.InputSize, outputs = parameters.LayerSizes[1];
        bool transposed = optimizer.FirstLayerTransposed;
        if (inputStep.KeepStrongest is int keep)
            _keptInputs ??= InputGroups.Strongest(parameters.Weights[0], inputs, outputs, transposed, keep);
        (int used, nonZeroCounts[0]) = inputStep.KeepStrongest is not null
            ? InputGroups.Keep(parameters.Weights[0], inputs, outputs, transposed, _keptInputs!)
            : InputGroups.Shrink(parameters.Weights[0], inputs, outputs, transposed, optimizer.LearningRate * inputStep.Lambda, inputStep.AtMost);
        return used;
    }
}
