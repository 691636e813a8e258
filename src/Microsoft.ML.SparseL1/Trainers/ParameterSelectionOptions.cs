// Licensed under the MIT License. See LICENSE in the repository root.

namespace Microsoft.ML.SparseL1;

/// <summary>
/// Options of the paper's parameter-selection iteration (<see cref="SparseMlpOptionsBase.SelectionStrategy"/> other than
/// <see cref="SelectionStrategy.SparsityTracking"/>): two probe runs, then full training runs whose λ is updated until the
/// counts meet the targets (docs/algorithm.md §3). The default one-run <see cref="SelectionStrategy.SparsityTracking"/>
/// reads none of them. Set through <see cref="SparseMlpOptionsBase.ParameterSelection"/>.
/// </summary>
public sealed class ParameterSelectionOptions
{
    /// <summary>Default values of the iteration's options.</summary>
    public static class Defaults
    {
        /// <summary>Default <see cref="MaximumNumberOfIterations"/>.</summary>
        public const int MaximumNumberOfIterations = 30;

        /// <summary>Default <see cref="LargeProbe"/> (the authors' MNIST value; 1e-3 in their regression).</summary>
        public const float LargeProbe = 1e-2f;

        /// <summary>Default <see cref="SmallProbe"/> (the authors' value).</summary>
        public const float SmallProbe = 1e-7f;
    }

    /// <summary>
    /// Maximum outer iterations (training runs after the two probes), at least 1. Default
    /// <see cref="Defaults.MaximumNumberOfIterations"/>.
    /// </summary>
    public int MaximumNumberOfIterations { get; set; } = Defaults.MaximumNumberOfIterations;

    /// <summary>
    /// Epochs each run must complete before reaching the target may end it, in [0, NumberOfEpochs); null means half of
    /// <see cref="SparseMlpOptionsBase.NumberOfEpochs"/>. 0 is the authors' behaviour (stop at the first step within
    /// tolerance), which often returns a network whose surviving weights are not fitted yet (docs/algorithm.md, A.2).
    /// Default null.
    /// </summary>
    public int? MinimumEpochsBeforeStop { get; set; }

    /// <summary>First probe λ, expected to give too few nonzeros; finite, &gt; 0. Default <see cref="Defaults.LargeProbe"/>.</summary>
    public float LargeProbe { get; set; } = Defaults.LargeProbe;

    /// <summary>Second probe λ, expected to give too many nonzeros; finite, in (0, LargeProbe). Default <see cref="Defaults.SmallProbe"/>.</summary>
    public float SmallProbe { get; set; } = Defaults.SmallProbe;

    /// <summary>
    /// Epochs of the small-probe run, in [1, NumberOfEpochs]; null means max(1, NumberOfEpochs / 5). That probe only
    /// gives the bracket its too-dense side and the first update its gradient candidates, and a shorter one, whose
    /// gradients are larger, picked λs as good in fewer epochs on Fashion-MNIST at the same test accuracy
    /// (docs/results.md, "Selection results with the paper's iteration"). NumberOfEpochs is the authors' behaviour.
    /// Default null.
    /// </summary>
    public int? SmallProbeEpochs { get; set; }

    /// <summary>
    /// Layer-wise selection only: how many layers must be within tolerance for a run to count as reaching the targets,
    /// in [1, layers]; null means every layer (the authors once used 3 of 4). Default null.
    /// </summary>
    public int? RequiredLayersWithinTolerance { get; set; }

    /// <summary>
    /// Update λ from the authors' accumulated gradient (last step's gradient plus the full-data gradient, a PyTorch quirk)
    /// instead of the clean full-data gradient; changes only the λ path. Not supported in data-parallel training
    /// (<see cref="SparseMlpOptionsBase.Communicator"/>). Default false.
    /// </summary>
    public bool UseAccumulatedGradient { get; set; }

    /// <summary>
    /// A folder where every completed run is saved (its report line, the next λ and its weights, one file each, named by
    /// a hash of the options and the data); a later Fit with the same options and data that finds them resumes after the
    /// last completed run instead of training those runs again, and delivers the same network (the runs are
    /// deterministic). Selections with other options or data keep apart in the same folder. In data-parallel training
    /// rank 0 writes and every rank reads. Default null (no checkpoint).
    /// </summary>
    public string? CheckpointDirectory { get; set; }
}
