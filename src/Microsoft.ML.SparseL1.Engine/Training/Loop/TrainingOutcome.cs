// Licensed under the MIT License. See LICENSE in the repository root.

namespace Microsoft.ML.SparseL1.Training.Loop;

/// <summary>Why a training run ended.</summary>
internal enum TrainingExit
{
    /// <summary>All epochs ran.</summary>
    Completed,

    /// <summary>The caller's stop rule fired after a proximal step.</summary>
    StopRule,
}

/// <summary>The result of one training run; the parameters themselves were trained in place.</summary>
/// <param name="Exit">Why it ended.</param>
/// <param name="EpochsStarted">The epoch in which training ended (1-based).</param>
/// <param name="Steps">Proximal steps taken.</param>
/// <param name="LayerNonZeroCounts">Nonzero weights per layer at the end.</param>
/// <param name="LastEpochLoss">Mean data loss over the batches of the last epoch (before each step).</param>
/// <param name="SparseLayerProducts">Forward layer products that took the sparse path (diagnostics).</param>
/// <param name="FrozenLayerProducts">Forward layer products of frozen layers on their resident kept weights (diagnostics).</param>
internal sealed record TrainingOutcome(TrainingExit Exit, int EpochsStarted, long Steps, int[] LayerNonZeroCounts, double LastEpochLoss, long SparseLayerProducts,
    long FrozenLayerProducts);

/// <summary>What the trainer tells its observer after each proximal step.</summary>
/// <param name="Epoch">Current epoch (1-based).</param>
/// <param name="Step">Steps taken so far.</param>
/// <param name="LayerNonZeroCounts">Nonzero weights per layer now; the array is reused, copy it to keep it.</param>
internal readonly record struct TrainingStep(int Epoch, long Step, int[] LayerNonZeroCounts)
{
    /// <summary>
    /// For a step controller: the inputs the first layer still uses after this step's input-group step
    /// (<see cref="StepControl.NextInputStep"/>), or null when the step had none.
    /// </summary>
    public int? UsedInputs { get; init; }
}

/// <summary>What the trainer tells its observer after each epoch.</summary>
/// <param name="Epoch">The epoch that ended (1-based).</param>
/// <param name="Epochs">Maximum epochs of the run.</param>
/// <param name="MeanLoss">Mean data loss over the epoch's batches.</param>
/// <param name="LayerNonZeroCounts">Nonzero weights per layer; copy to keep.</param>
internal readonly record struct EpochSummary(int Epoch, int Epochs, double MeanLoss, int[] LayerNonZeroCounts)
{
    /// <summary>Where the target-tracking schedule had the nonzero weights (all layers) at the epoch's end; null without a schedule.</summary>
    public long? ScheduledNonZeroCount { get; init; }

    /// <summary>Whether the zero pattern was frozen (the l1 term off, the kept weights refitting) by the epoch's end.</summary>
    public bool PatternFrozen { get; init; }
}
