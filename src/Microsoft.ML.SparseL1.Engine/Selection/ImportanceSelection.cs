// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Optimizer;
using Microsoft.ML.SparseL1.Training.Passes;

namespace Microsoft.ML.SparseL1.Selection;

/// <summary>
/// Input selection by the inputs' effect on the loss (a candidate for <c>InputsToKeep</c>, measured against the group
/// penalty): a network trained on every input ranks them by permutation importance (how much the training loss rises
/// when the input's column is shuffled), and the k that raise it most are kept: the others' columns and first-layer
/// weights are set to zero, so a second run trains on the kept inputs alone and delivers a network that uses at most k.
/// An input that acts only through a product with another raises the loss when shuffled as much as one that acts alone,
/// where the weight norms a group penalty ranks by follow the first-order effect.
/// </summary>
internal static class ImportanceSelection
{
    /// <summary>Rows the permutation importance is measured on (evenly spaced through the set).</summary>
    private const int MeasuredRows = 4096;

    /// <summary>
    /// The <paramref name="keep"/> inputs whose shuffled column raises the network's loss most, ascending, with that rise
    /// (in the training loss's units, on the measured rows).
    /// </summary>
    public static (int[] Kept, double[] Rise) Strongest(MlpParameters parameters, TrainingData data, LossKind loss, int keep, int seed, int threads)
    {
        if (data.Sparse is not null)
            throw new NotSupportedException("Input selection by importance measures dense features only.");
        int columns = data.Columns, rows = Math.Min(data.Rows, MeasuredRows);
        // Evenly spaced rows, copied (their columns are shuffled in place below).
        var measured = data.Select(Enumerable.Range(0, rows).Select(r => (int)((long)r * data.Rows / rows)).ToArray());
        float[] sample = measured.Features;
        double baseline = FullGradient.Loss(parameters, measured, loss, 1024, threads);
        int[] order = Enumerable.Range(0, rows).ToArray();
        DeterministicRandom.ForStream(seed, ShuffleStream).Shuffle(order);
        var original = new float[rows];
        var rise = new double[columns];
        for (int c = 0; c < columns; c++)
        {
            for (int r = 0; r < rows; r++)
                original[r] = sample[(long)r * columns + c];
            for (int r = 0; r < rows; r++)
                sample[(long)r * columns + c] = original[order[r]];
            rise[c] = FullGradient.Loss(parameters, measured, loss, 1024, threads) - baseline;
            for (int r = 0; r < rows; r++)
                sample[(long)r * columns + c] = original[r];
        }

        int[] kept = Enumerable.Range(0, columns).OrderByDescending(c => rise[c]).ThenBy(c => c).Take(keep).Order().ToArray();
        return (kept, kept.Select(c => rise[c]).ToArray());
    }

    /// <summary>Per input, 1 for the <paramref name="kept"/> ones, else 0 (the mask <see cref="InputGroups.Keep"/> takes).</summary>
    public static float[] MaskOf(int inputs, int[] kept)
    {
        var mask = new float[inputs];
        foreach (int c in kept)
            mask[c] = 1f;
        return mask;
    }

    /// <summary>
    /// The rows the first network trains on and the rows its importance is measured on: a fifth of the rows (at least
    /// one), drawn from the seed, held out so that the rise is a validation loss's, not the fitted rows'. Both keep the
    /// rows' order.
    /// </summary>
    public static (TrainingData Fit, TrainingData HeldOut) HoldOut(TrainingData data, int seed)
    {
        int[] order = Enumerable.Range(0, data.Rows).ToArray();
        DeterministicRandom.ForStream(seed, HoldOutStream).Shuffle(order);
        int heldOut = Math.Max(1, data.Rows / HeldOutShare);
        return (data.Select(order[heldOut..].Order().ToArray()), data.Select(order[..heldOut].Order().ToArray()));
    }

    /// <summary>One row in this many is held out from the first network (<see cref="HoldOut"/>).</summary>
    private const int HeldOutShare = 5;

    /// <summary>The random stream of the held-out rows.</summary>
    private const long HoldOutStream = -4;

    /// <summary>A copy of <paramref name="data"/> whose columns not in <paramref name="kept"/> are zero.</summary>
    public static TrainingData Mask(TrainingData data, int[] kept)
    {
        float[] mask = MaskOf(data.Columns, kept);
        var features = (float[])data.Features.Clone();
        for (long r = 0; r < data.Rows; r++)
        {
            for (int c = 0; c < data.Columns; c++)
            {
                if (mask[c] == 0f)
                    features[r * data.Columns + c] = 0f;
            }
        }

        return new TrainingData(features, data.Labels, data.Rows, data.Columns, data.ExampleWeights) { Shard = data.Shard };
    }

    /// <summary>The random stream of the importance shuffles (the fold assignment of the step choice uses -2).</summary>
    private const long ShuffleStream = -3;
}
