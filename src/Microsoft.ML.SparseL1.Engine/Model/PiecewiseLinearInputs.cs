// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;

namespace Microsoft.ML.SparseL1.Model;

/// <summary>
/// The piecewise-linear encoding of numeric inputs (Gorishniy, Rubachev and Babenko, "On Embeddings for Numerical
/// Features in Tabular Deep Learning", NeurIPS 2022): an input cut at the edges e_0 &lt; … &lt; e_T becomes T slots, slot t
/// being clamp((x − e_{t−1}) / (e_t − e_{t−1}), 0, 1), so the first layer can give each stretch of the input's range its
/// own weight, as a tree's splits do. An input with no edges (two distinct training values or fewer, such as a one-hot
/// slot) is one slot that passes the value on. The edges are quantiles of the training rows.
/// </summary>
/// <remarks>
/// Each slot is <c>Min(Max((x − Left) / Width, Lower), Upper)</c>: [0, 1] for a bin, and (−∞, ∞) with Left 0 and Width 1
/// for a passed input, which leaves it bit for bit. NaN stays NaN; an infinite value fills or empties a bin (and passes
/// on where the input is passed). The ONNX export computes the same operations.
/// </remarks>
internal sealed class PiecewiseLinearInputs
{
    /// <summary>The fewest bins an encoded input may be cut into.</summary>
    public const int MinimumBins = 2;

    /// <summary>The most bins an encoded input may be cut into.</summary>
    public const int MaximumBins = 256;

    /// <param name="edges">Per input, its edges (strictly increasing, finite, at least two), or none for an input passed on.</param>
    public PiecewiseLinearInputs(IReadOnlyList<float[]> edges)
    {
        ArgumentNullException.ThrowIfNull(edges);
        Edges = edges.Select((e, i) => Checked(e, i)).ToArray();
        InputCount = Edges.Length;
        var source = new List<int>();
        var left = new List<float>();
        var width = new List<float>();
        var lower = new List<float>();
        var upper = new List<float>();
        for (int i = 0; i < InputCount; i++)
        {
            float[] e = Edges[i];
            if (e.Length == 0)
            {
                source.Add(i);
                left.Add(0f);
                width.Add(1f);
                lower.Add(float.NegativeInfinity);
                upper.Add(float.PositiveInfinity);
                continue;
            }

            for (int t = 1; t < e.Length; t++)
            {
                source.Add(i);
                left.Add(e[t - 1]);
                width.Add(e[t] - e[t - 1]);
                lower.Add(0f);
                upper.Add(1f);
            }
        }

        SlotSources = [.. source];
        SlotLefts = [.. left];
        SlotWidths = [.. width];
        SlotLowers = [.. lower];
        SlotUppers = [.. upper];
    }

    /// <summary>Per input, its edges; empty for an input passed on as one slot.</summary>
    public float[][] Edges { get; }

    /// <summary>The inputs of a row before encoding.</summary>
    public int InputCount { get; }

    /// <summary>The slots of an encoded row (the first layer's inputs).</summary>
    public int Width => SlotSources.Length;

    /// <summary>Per slot, the input it encodes.</summary>
    public int[] SlotSources { get; }

    /// <summary>Per slot, the value subtracted (its bin's left edge, or 0).</summary>
    public float[] SlotLefts { get; }

    /// <summary>Per slot, the divisor (its bin's width, or 1).</summary>
    public float[] SlotWidths { get; }

    /// <summary>Per slot, the lower clamp (0, or −∞).</summary>
    public float[] SlotLowers { get; }

    /// <summary>Per slot, the upper clamp (1, or ∞).</summary>
    public float[] SlotUppers { get; }

    /// <summary>
    /// The encoding of the <paramref name="rows"/> x <paramref name="columns"/> row-major training rows: each input with more
    /// than two distinct finite values is cut at up to <paramref name="bins"/> + 1 quantile edges (the distinct values among
    /// the order statistics at q·(n − 1)/bins, q = 0 … bins), so an input with few values gets fewer bins; the others are passed on.
    /// </summary>
    public static PiecewiseLinearInputs Measure(ReadOnlySpan<float> features, int rows, int columns, int bins)
    {
        if (bins < MinimumBins || bins > MaximumBins)
            throw new ArgumentOutOfRangeException(nameof(bins), $"Bins is {bins}; expected {MinimumBins} to {MaximumBins}.");
        if (features.Length != (long)rows * columns)
            throw new ArgumentException($"Expected {rows} x {columns} features, got {features.Length}.", nameof(features));
        var edges = new float[columns][];
        var column = new float[rows];
        for (int c = 0; c < columns; c++)
        {
            int finite = 0;
            for (int r = 0; r < rows; r++)
            {
                float x = features[r * columns + c];
                if (float.IsFinite(x))
                    column[finite++] = x;
            }

            var sorted = column.AsSpan(0, finite);
            sorted.Sort();
            edges[c] = DistinctValues(sorted) <= 2 ? [] : QuantileEdges(sorted, bins);
        }

        return new PiecewiseLinearInputs(edges);
    }

    /// <summary>Encodes one row of <see cref="InputCount"/> inputs into <see cref="Width"/> slots.</summary>
    public void Encode(ReadOnlySpan<float> row, Span<float> encoded)
    {
        if (row.Length < InputCount || encoded.Length < Width)
            throw new ArgumentException($"Expected a row of {InputCount} inputs and room for {Width} slots.", nameof(row));
        for (int s = 0; s < SlotSources.Length; s++)
            encoded[s] = Slot(row[SlotSources[s]], s);
    }

    /// <summary>
    /// Encodes a block of <paramref name="block"/> rows stored feature-major (<see cref="InputCount"/> x block) into
    /// <paramref name="encoded"/>, slot-major (<see cref="Width"/> x block).
    /// </summary>
    public void EncodeFeatureMajor(ReadOnlySpan<float> inputs, int block, Span<float> encoded)
    {
        if (inputs.Length < InputCount * block || encoded.Length < Width * block)
            throw new ArgumentException($"Expected {InputCount} x {block} inputs and room for {Width} x {block} slots.", nameof(inputs));
        for (int s = 0; s < SlotSources.Length; s++)
        {
            var source = inputs.Slice(SlotSources[s] * block, block);
            var target = encoded.Slice(s * block, block);
            for (int r = 0; r < block; r++)
                target[r] = Slot(source[r], s);
        }
    }

    /// <summary>The encoding of <paramref name="features"/> (rows x <see cref="InputCount"/>, row-major), rows x <see cref="Width"/>.</summary>
    public float[] EncodeRows(ReadOnlySpan<float> features, int rows)
    {
        var encoded = new float[checked(rows * Width)];
        for (int r = 0; r < rows; r++)
            Encode(features.Slice(r * InputCount, InputCount), encoded.AsSpan(r * Width, Width));
        return encoded;
    }

    private float Slot(float x, int slot) => MathF.Min(MathF.Max((x - SlotLefts[slot]) / SlotWidths[slot], SlotLowers[slot]), SlotUppers[slot]);

    private static int DistinctValues(ReadOnlySpan<float> sorted)
    {
        int distinct = 0;
        for (int k = 0; k < sorted.Length && distinct <= 2; k++)
        {
            if (k == 0 || sorted[k] != sorted[k - 1])
                distinct++;
        }

        return distinct;
    }

    private static float[] QuantileEdges(ReadOnlySpan<float> sorted, int bins)
    {
        var edges = new List<float>(bins + 1);
        for (int q = 0; q <= bins; q++)
        {
            float edge = sorted[(int)Math.Round((double)q * (sorted.Length - 1) / bins, MidpointRounding.AwayFromZero)];
            if (edges.Count == 0 || edge > edges[^1])
                edges.Add(edge);
        }

        // A heavy value can take every quantile but the first: such an input still gets one bin between its extremes.
        return edges.Count >= 2 ? [.. edges] : [];
    }

    private static float[] Checked(float[] edges, int input)
    {
        ArgumentNullException.ThrowIfNull(edges);
        if (edges.Length == 1 || edges.Length > MaximumBins + 1)
            throw new ArgumentException($"Input {input} has {edges.Length} edges; expected none, or 2 to {MaximumBins + 1}.", nameof(edges));
        int bad = FirstBadEdge(edges);
        if (bad >= 0)
            throw new ArgumentException($"Input {input}'s edge {bad} is {edges[bad]}; edges must be finite and strictly increasing, with finite gaps.", nameof(edges));
        return (float[])edges.Clone();
    }

    /// <summary>The first edge that is not finite, or not above the one before by a finite gap; −1 when every edge is fine.</summary>
    internal static int FirstBadEdge(ReadOnlySpan<float> edges)
    {
        for (int t = 0; t < edges.Length; t++)
        {
            if (!float.IsFinite(edges[t]) || (t > 0 && (!(edges[t] > edges[t - 1]) || !float.IsFinite(edges[t] - edges[t - 1]))))
                return t;
        }

        return -1;
    }
}
