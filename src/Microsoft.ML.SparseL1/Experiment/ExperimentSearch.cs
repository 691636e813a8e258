// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.SparseL1.Trainers;

namespace Microsoft.ML.SparseL1.Experiment;

/// <summary>
/// The search of a <see cref="SparseMlpExperiment"/>, in the spirit of FLAML's CFO (the tuner behind ML.NET's AutoML):
/// it starts at the trainer's defaults and moves one dimension at a time, trying next the cheapest point not yet tried
/// next to the best so far (one step along one dimension, then two), so that cheap changes (sparsity, step) are tried
/// before capacity and budget grow, and capacity grows only where it paid. A point is the index of a value in each
/// dimension: width, hidden layers, target sparsity, step multiplier, epoch multiplier, input encoding, inputs kept.
/// </summary>
internal sealed class ExperimentSearch
{
    private readonly SparseMlpExperimentOptions _options;
    private readonly int[] _sizes;
    private readonly HashSet<string> _tried = [];

    public ExperimentSearch(SparseMlpExperimentOptions options, int inputs, int[] defaultHiddenLayers)
    {
        _options = options;
        Inputs = inputs;
        // Bins are for tabular inputs: a wide feature vector (text, hashed slots) is searched with its inputs as they are.
        _bins = inputs <= MaximumEncodedInputs || !options.PiecewiseLinearBins.Any(b => b > 0) ? options.PiecewiseLinearBins
            : options.PiecewiseLinearBins.Where(b => b == 0).DefaultIfEmpty(0).Distinct().ToArray();
        // The inputs kept, fewest first, null (every input) last; fractions that round to every input are every input.
        _kept = options.InputFractions.Select(f => KeptInputs(f, inputs)).Distinct().OrderBy(k => k ?? int.MaxValue).ToArray();
        _sizes = [options.HiddenLayerWidths.Count, options.HiddenLayerCounts.Count, options.TargetSparsities.Count,
            options.LearningRateMultipliers.Count, options.EpochMultipliers.Count, _bins.Count, _kept.Length];
        Start =
        [
            Closest(options.HiddenLayerWidths.Select(w => (double)w), defaultHiddenLayers.DefaultIfEmpty(0).Max()),
            Closest(options.HiddenLayerCounts.Select(c => (double)c), defaultHiddenLayers.Length),
            Closest(options.TargetSparsities.Select(t => (double)t), SparseMlpOptionsBase.Defaults.TargetSparsity),
            Closest(options.LearningRateMultipliers.Select(m => Math.Log(m)), 0),
            Closest(options.EpochMultipliers.Select(m => (double)m), 1),
            Closest(_bins.Select(b => (double)b), 0),
            Closest(_kept.Select(k => (double)(k ?? inputs)), inputs),
        ];
    }

    /// <summary>
    /// <see cref="SparseMlpOptionsBase.InputsToKeep"/> for a fraction of <paramref name="inputs"/>: rounded, at least 1;
    /// null where that is every input.
    /// </summary>
    internal static int? KeptInputs(float fraction, int inputs)
    {
        int kept = Math.Max(1, (int)Math.Round(fraction * (double)inputs, MidpointRounding.AwayFromZero));
        return kept >= inputs ? null : kept;
    }

    /// <summary>The inputs kept of each index of the last dimension, fewest first: null keeps every input.</summary>
    private readonly int?[] _kept;

    /// <summary>The dimension of a point that indexes the inputs kept.</summary>
    private const int KeptDimension = 6;

    /// <summary>
    /// Above this many inputs the search keeps only 0 of <see cref="SparseMlpExperimentOptions.PiecewiseLinearBins"/>:
    /// the encoding is for tabular inputs, and a wide vector's slots times the bins would make a huge first layer.
    /// </summary>
    public const int MaximumEncodedInputs = 1024;

    /// <summary>The input encodings searched (the options' bins, or 0 alone for a wide feature vector).</summary>
    private readonly IReadOnlyList<int> _bins;

    /// <summary>The number of inputs.</summary>
    public int Inputs { get; }

    /// <summary>The input slots of each encoding a trial has trained with, by its bins.</summary>
    private readonly Dictionary<int, int> _encodedInputs = [];

    /// <summary>
    /// Records the input slots a trial encoded in <paramref name="bins"/> bins trained with, which <see cref="Cost"/> counts
    /// from then on for that encoding instead of its bound (one-hot inputs and inputs of few values take fewer slots than bins).
    /// </summary>
    public void Encoded(int bins, int inputSlots)
    {
        if (bins > 0 && inputSlots > 0)
            _encodedInputs[bins] = inputSlots;
    }

    /// <summary>The trainer's defaults for this data (or the values closest to them in each dimension).</summary>
    public int[] Start { get; }

    /// <summary>Marks a point tried (a linear one, for every width: they are the same model).</summary>
    public void Tried(int[] point) => _tried.Add(Key(point));

    /// <summary>Marks a point not tried after all (trial 0's closest point, where its defaults trained another).</summary>
    public void NotTried(int[] point) => _tried.Remove(Key(point));

    /// <summary>
    /// <paramref name="point"/> with the input encoding <paramref name="bins"/> (the one the defaults of trial 0 chose), or
    /// null when the search's encodings do not hold it. Trial 0's point keeps every input (the options must hold the fraction 1),
    /// so the point moved is one the trainer takes.
    /// </summary>
    public int[]? WithBins(int[] point, int bins)
    {
        int index = _bins.ToList().IndexOf(bins);
        if (index < 0)
            return null;
        int[] moved = (int[])point.Clone();
        moved[BinsDimension] = index;
        return moved;
    }

    /// <summary>The dimension of a point that indexes the input encodings.</summary>
    private const int BinsDimension = 5;

    /// <summary>Whether a point, or the same model under another width (a linear one), was tried.</summary>
    private bool WasTried(int[] point) => _tried.Contains(Key(point));

    /// <summary>The next point to try from the best so far, or null when every point has been tried.</summary>
    public int[]? Next(int[] best)
    {
        for (int distance = 1; distance <= 2; distance++)
        {
            var candidates = new List<int[]>();
            for (int d = 0; d < _sizes.Length; d++)
            {
                foreach (int step in new[] { -distance, distance })
                {
                    int value = best[d] + step;
                    if (value < 0 || value >= _sizes[d])
                        continue;
                    int[] point = (int[])best.Clone();
                    point[d] = value;
                    if (Valid(point) && !WasTried(point))
                        candidates.Add(point);
                }
            }

            if (candidates.Count > 0)
                return Cheapest(candidates, best);
        }

        // The neighbourhood is exhausted: the cheapest point not tried anywhere.
        return Cheapest(AllPoints().Where(p => Valid(p) && !WasTried(p)).ToList(), best);
    }

    /// <summary>Whether the trainer takes a point: input selection is not combined with the piecewise-linear encoding.</summary>
    private bool Valid(int[] point) => _kept[point[KeptDimension]] is null || _bins[point[BinsDimension]] == 0;

    /// <summary>
    /// The options of a point: hidden sizes, target, step multiplier, epoch multiplier, bins (0: inputs as they are), the
    /// inputs kept (null: every input).
    /// </summary>
    public (int[] Hidden, float Target, float StepMultiplier, int EpochMultiplier, int Bins, int? InputsToKeep) Values(int[] point) =>
        (Enumerable.Repeat(_options.HiddenLayerWidths[point[0]], _options.HiddenLayerCounts[point[1]]).ToArray(), _options.TargetSparsities[point[2]],
            _options.LearningRateMultipliers[point[3]], _options.EpochMultipliers[point[4]], _bins[point[5]], _kept[point[KeptDimension]]);

    /// <summary>
    /// The relative cost of training a point: its weights times its epochs (a step choice by cross-validation, kept by the
    /// multiplier 1 on small regression sets, is not counted: it is the same for every width); encoded, the input slots a
    /// trial of that encoding trained with (<see cref="Encoded"/>), or before any, each input counted as its bins (at most:
    /// one-hot slots stay one). With input selection up to <see cref="DataDefaults.ImportanceInputLimit"/> inputs, the
    /// trainer's two runs: the network on every input, then on the inputs kept (above it one run, its group penalty
    /// steered). Ties go to the dimension listed first (sparsity and step before capacity).
    /// </summary>
    public double Cost(int[] point)
    {
        var (hidden, _, _, epochs, bins, kept) = Values(point);
        double inputs = bins == 0 ? Inputs : _encodedInputs.TryGetValue(bins, out int slots) ? slots : (double)Inputs * bins;
        double Weights(double first) => hidden.Length == 0 ? first : first * hidden[0] + hidden.Skip(1).Sum(w => (double)w * w) + hidden[^1];
        double selectedRun = kept is int selected && Inputs <= DataDefaults.ImportanceInputLimit ? Weights(selected) : 0;
        return (Weights(inputs) + selectedRun) * epochs;
    }

    private int[]? Cheapest(List<int[]> candidates, int[] best) =>
        candidates.Count == 0 ? null : candidates.OrderBy(Cost).ThenBy(p => Array.IndexOf(s_dimensionOrder, ChangedDimension(p, best))).First();

    /// <summary>Among points of equal cost: target sparsity, step, width, layers, epochs, encoding, inputs kept.</summary>
    private static readonly int[] s_dimensionOrder = [2, 3, 0, 1, 4, 5, KeptDimension];

    private static int ChangedDimension(int[] point, int[] best)
    {
        for (int d = 0; d < point.Length; d++)
        {
            if (point[d] != best[d])
                return d;
        }

        return 0;
    }

    private IEnumerable<int[]> AllPoints()
    {
        var point = new int[_sizes.Length];
        while (true)
        {
            yield return (int[])point.Clone();
            int d = 0;
            while (d < point.Length && ++point[d] == _sizes[d])
                point[d++] = 0;
            if (d == point.Length)
                yield break;
        }
    }

    private static int Closest(IEnumerable<double> values, double target) =>
        values.Select((v, i) => (Distance: Math.Abs(v - target), Index: i)).OrderBy(x => x.Distance).ThenBy(x => x.Index).First().Index;

    /// <summary>A point's key; a linear point's width is left out, so that its widths count as one model.</summary>
    private string Key(int[] point) =>
        _options.HiddenLayerCounts[point[1]] == 0 ? string.Join(",", point.Skip(1).Prepend(-1)) : string.Join(",", point);
}
