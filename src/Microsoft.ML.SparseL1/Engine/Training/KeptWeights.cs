// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Training;

/// <summary>
/// The step state of a layer whose zero pattern is frozen: the positions of its kept (nonzero) weights, and their
/// weights, gradients and Adam moments gathered contiguous, so that a step costs the kept weights, not the layer (after
/// the freeze at 90 % sparsity, a tenth). The step kernels are element-wise, so the kept weights come out as a whole-layer
/// step followed by the mask would leave them.
/// </summary>
internal sealed class KeptWeights
{
    private readonly int[] _positions;
    private readonly float[] _weights;
    private readonly float[] _gradient;

    /// <param name="weights">The layer's weights at the freeze: the nonzero ones are kept.</param>
    /// <param name="firstMoment">Adam's first moment of the layer, or null for SGD.</param>
    /// <param name="secondMoment">Adam's second moment of the layer, or null for SGD.</param>
    public KeptWeights(float[] weights, float[]? firstMoment, float[]? secondMoment)
    {
        int count = 0;
        foreach (float w in weights)
            count += w != 0f ? 1 : 0;
        _positions = new int[count];
        for (int i = 0, k = 0; i < weights.Length; i++)
        {
            if (weights[i] != 0f)
                _positions[k++] = i;
        }

        _weights = new float[count];
        _gradient = new float[count];
        FirstMoment = Gather(firstMoment);
        SecondMoment = Gather(secondMoment);
    }

    /// <summary>The kept weights' positions in the layer, ascending.</summary>
    public int[] Positions => _positions;

    /// <summary>Adam's first moment of the kept weights (empty for SGD).</summary>
    public float[] FirstMoment { get; }

    /// <summary>Adam's second moment of the kept weights (empty for SGD).</summary>
    public float[] SecondMoment { get; }

    /// <summary>Gathers the kept weights and their gradient, runs <paramref name="step"/> on them, and writes the weights back.</summary>
    public void Step(float[] weights, float[] gradient, Func<Span<float>, ReadOnlySpan<float>, int> step)
    {
        for (int k = 0; k < _positions.Length; k++)
        {
            _weights[k] = weights[_positions[k]];
            _gradient[k] = gradient[_positions[k]];
        }

        step(_weights, _gradient);
        for (int k = 0; k < _positions.Length; k++)
            weights[_positions[k]] = _weights[k];
    }

    /// <summary>Writes the kept weights' moments back into the layer's (before the pattern is frozen anew).</summary>
    public void ReturnMoments(float[]? firstMoment, float[]? secondMoment)
    {
        for (int k = 0; k < _positions.Length; k++)
        {
            if (firstMoment is not null)
                firstMoment[_positions[k]] = FirstMoment[k];
            if (secondMoment is not null)
                secondMoment[_positions[k]] = SecondMoment[k];
        }
    }

    private float[] Gather(float[]? layer)
    {
        if (layer is null)
            return [];
        var kept = new float[_positions.Length];
        for (int k = 0; k < kept.Length; k++)
            kept[k] = layer[_positions[k]];
        return kept;
    }
}
