// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.Linq;
using System.Text;

namespace Microsoft.ML.SparseL1.Trainers;

/// <summary>
/// A 64-bit hash of the options that decide the trained network, compared across the ranks of a data-parallel fit (a
/// rank given another seed or target would silently train another model). FNV-1a over an invariant text: the same on
/// every process, unlike <c>string.GetHashCode</c>.
/// </summary>
internal static class OptionsFingerprint
{
    public static long Of(SparseMlpOptionsBase o)
    {
        var text = new StringBuilder();
        void Add(object? value) => text.Append(CultureInfo.InvariantCulture, $"{value switch
        {
            float[] a => string.Join(",", a.Select(v => v.ToString("R", CultureInfo.InvariantCulture))),
            int[] a => string.Join(",", a),
            null => "-",
            _ => value,
        }};");
        Add(o.HiddenLayerSizes);
        Add(o.TargetSparsity);
        Add(o.LayerTargetSparsities);
        Add(o.Lambda);
        Add(o.LayerLambdas);
        Add(o.Standardize);
        Add(o.Optimizer);
        Add(o.LearningRate);
        Add(o.BatchSize);
        Add(o.NumberOfEpochs);
        Add(o.InputsToKeep);
        Add(o.Seed);
        // The values in the order they had before the paper's options were grouped, so that a fingerprint (and the
        // checkpoint files named by it) stays the same.
        var selection = o.ParameterSelection;
        Add(o.SparsityTolerance);
        Add(selection.MaximumNumberOfIterations);
        Add(selection.MinimumEpochsBeforeStop);
        Add(o.RefitEpochs);
        Add(o.SelectionStrategy);
        Add(selection.LargeProbe);
        Add(selection.SmallProbe);
        Add(selection.SmallProbeEpochs);
        Add(selection.RequiredLayersWithinTolerance);
        Add(selection.UseAccumulatedGradient);
        // Whether a checkpoint folder is set changes the ranks' exchanges (they agree on the runs to replay), not the folder.
        Add(selection.CheckpointDirectory is not null);
        // Added after the others, and only when off, so that the fingerprints of the default options stay what they were.
        if (!o.ClampInputsToTrainingRange)
            Add("no input clamp");
        // The score clamp's range is gathered over the ranks (PreparedInputs.LabelRange): ranks that differ would not agree
        // on the exchanges that follow.
        if (o is SparseMlpRegressionTrainer.Options { ClampScoresToLabelRange: false })
            Add("no score clamp");
        return Combine(unchecked((long)14695981039346656037UL), text.ToString());
    }

    /// <summary>Continues the hash <paramref name="hash"/> over <paramref name="text"/> (FNV-1a).</summary>
    public static long Combine(long hash, string text)
    {
        ulong h = unchecked((ulong)hash);
        foreach (char c in text)
        {
            h ^= c;
            h *= 1099511628211UL;
        }

        return unchecked((long)h);
    }
}
