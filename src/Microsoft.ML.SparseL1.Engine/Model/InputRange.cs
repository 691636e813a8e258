// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using System.Numerics;
using Microsoft.ML.SparseL1.Kernels;

namespace Microsoft.ML.SparseL1.Model;

/// <summary>
/// The range of each input seen in training, which the predictor clamps finite inputs to before the first layer. A ReLU
/// network extrapolates linearly: one row with a value far outside what training saw (a mistyped measurement, the
/// largest house of a city) can score orders of magnitude off, and in regression one such row dominates the squared
/// error of a whole test set (docs/algorithm.md §6, "Inputs clamped to the training range"). Inside the range the
/// clamp is the identity, so rows like the training rows score exactly as without it. NaN and infinite inputs are left
/// as they are (they keep the dense product's NaN semantics, <see cref="NonFiniteInputs"/>).
/// </summary>
internal sealed class InputRange
{
    /// <summary>Makes a range from per-input bounds.</summary>
    /// <param name="lower">The smallest training value of each input.</param>
    /// <param name="upper">The largest training value of each input.</param>
    public InputRange(float[] lower, float[] upper)
    {
        ArgumentNullException.ThrowIfNull(lower);
        ArgumentNullException.ThrowIfNull(upper);
        if (lower.Length != upper.Length)
            throw new ArgumentException($"{lower.Length} lower bounds but {upper.Length} upper bounds.", nameof(upper));
        for (int i = 0; i < lower.Length; i++)
        {
            if (!float.IsFinite(lower[i]) || !float.IsFinite(upper[i]) || lower[i] > upper[i])
                throw new ArgumentException($"Input {i}: the range [{lower[i]}, {upper[i]}] is not a finite interval.", nameof(lower));
        }

        Lower = lower;
        Upper = upper;
    }

    /// <summary>The smallest training value of each input.</summary>
    public float[] Lower { get; }

    /// <summary>The largest training value of each input.</summary>
    public float[] Upper { get; }

    /// <summary>The number of inputs.</summary>
    public int Count => Lower.Length;

    /// <summary>
    /// The smallest and largest finite value of each column of row-major <paramref name="features"/>: +∞ and −∞ for a
    /// column with none (what <see cref="FromExtremes"/> merges, over the ranks in data-parallel training).
    /// </summary>
    public static (float[] Lower, float[] Upper) Extremes(ReadOnlySpan<float> features, int rows, int columns)
    {
        var lower = Enumerable.Repeat(float.PositiveInfinity, columns).ToArray();
        var upper = Enumerable.Repeat(float.NegativeInfinity, columns).ToArray();
        for (int r = 0; r < rows; r++)
        {
            var row = features.Slice(r * columns, columns);
            for (int c = 0; c < columns; c++)
            {
                float value = row[c];
                if (!float.IsFinite(value))
                    continue;
                lower[c] = Math.Min(lower[c], value);
                upper[c] = Math.Max(upper[c], value);
            }
        }

        return (lower, upper);
    }

    /// <summary>
    /// The range over parts' <see cref="Extremes"/> (one part, or each rank's shard); a column with no finite value in any
    /// part gets [0, 0] (it only ever holds missing values, which the clamp leaves alone).
    /// </summary>
    /// <param name="lowers">Each part's lower extremes, concatenated (parts × inputs).</param>
    /// <param name="uppers">Each part's upper extremes, concatenated.</param>
    /// <param name="inputs">The number of inputs.</param>
    public static InputRange FromExtremes(ReadOnlySpan<float> lowers, ReadOnlySpan<float> uppers, int inputs)
    {
        var lower = Enumerable.Repeat(float.PositiveInfinity, inputs).ToArray();
        var upper = Enumerable.Repeat(float.NegativeInfinity, inputs).ToArray();
        for (int k = 0; k < lowers.Length; k++)
        {
            lower[k % inputs] = Math.Min(lower[k % inputs], lowers[k]);
            upper[k % inputs] = Math.Max(upper[k % inputs], uppers[k]);
        }

        for (int c = 0; c < inputs; c++)
        {
            if (lower[c] > upper[c])
                (lower[c], upper[c]) = (0f, 0f);
        }

        return new InputRange(lower, upper);
    }

    /// <summary>Copies one row into <paramref name="destination"/> with its finite values clamped.</summary>
    public void Clamp(ReadOnlySpan<float> row, Span<float> destination)
    {
        if (row.Length != Count || destination.Length < Count)
            throw new ArgumentException($"The row has {row.Length} values and the destination {destination.Length}; the range has {Count} inputs.", nameof(row));
        int i = 0;
        if (Vectorized)
        {
            // A vector at a time: the clamp runs on every row before the first layer (docs/kernels.md, "Where a row's time went").
            for (; i <= row.Length - Vector<float>.Count; i += Vector<float>.Count)
                ClampFinite(new Vector<float>(row[i..]), new Vector<float>(Lower.AsSpan(i)), new Vector<float>(Upper.AsSpan(i))).CopyTo(destination[i..]);
        }

        for (; i < row.Length; i++)
            destination[i] = ClampFinite(row[i], Lower[i], Upper[i]);
    }

    /// <summary>Clamps, in place, the finite values of a feature-major block (input i's <paramref name="rows"/> values at i · rows).</summary>
    public void ClampFeatureMajor(Span<float> block, int rows)
    {
        for (int i = 0; i < Count; i++)
        {
            var values = block.Slice(i * rows, rows);
            int r = 0;
            if (Vectorized)
            {
                var (lower, upper) = (new Vector<float>(Lower[i]), new Vector<float>(Upper[i]));
                for (; r <= values.Length - Vector<float>.Count; r += Vector<float>.Count)
                    ClampFinite(new Vector<float>(values[r..]), lower, upper).CopyTo(values[r..]);
            }

            for (; r < values.Length; r++)
                values[r] = ClampFinite(values[r], Lower[i], Upper[i]);
        }
    }

    /// <summary>Whether the clamp runs a vector at a time: on every kernel path but the scalar one, where vectors are accelerated.</summary>
    private static bool Vectorized => Vector.IsHardwareAccelerated && KernelDispatch.Current != KernelPath.Scalar;

    /// <summary><see cref="ClampFinite(float, float, float)"/> lane by lane: the same comparisons, so the same values.</summary>
    private static Vector<float> ClampFinite(Vector<float> value, Vector<float> lower, Vector<float> upper)
    {
        var clamped = Vector.ConditionalSelect(Vector.LessThan(value, lower), lower, Vector.ConditionalSelect(Vector.GreaterThan(value, upper), upper, value));
        return Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(value), new Vector<float>(float.PositiveInfinity)), clamped, value);
    }

    /// <summary>A finite value clamped into [lower, upper]; NaN and infinities as they are.</summary>
    private static float ClampFinite(float value, float lower, float upper) => float.IsFinite(value) ? Math.Clamp(value, lower, upper) : value;
}
