// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Training.Optimizer;

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

        _weights = Gather(weights);
        _gradient = new float[count];
        FirstMoment = Gather(firstMoment);
        SecondMoment = Gather(secondMoment);
    }

    /// <summary>
    /// Whether the kept weights live here between steps (<see cref="MakeResident"/>): the first layer on sparse rows is
    /// then multiplied and differentiated from <see cref="Values"/> by rows, its gradient is written into
    /// <see cref="Gradient"/>, and the layer itself is stale until <see cref="WriteBack"/>.
    /// </summary>
    public bool Resident { get; private set; }

    /// <summary>The kept weights' values (current while <see cref="Resident"/>).</summary>
    public float[] Values => _weights;

    /// <summary>The kept weights' gradient (written by the products while <see cref="Resident"/>).</summary>
    public float[] Gradient => _gradient;

    /// <summary>With a transposed layer (inputs x width) made resident: where each input's kept weights start in <see cref="Values"/> (inputs + 1 entries).</summary>
    public int[] RowStarts { get; private set; } = [];

    /// <summary>With a transposed layer made resident: each kept weight's output (its column in the layer's row).</summary>
    public int[] Outputs { get; private set; } = [];

    /// <summary>
    /// Keeps the weights here from now on, indexed by the rows of a transposed layer of <paramref name="width"/> outputs
    /// (positions ascend, so each input's kept weights are contiguous and in output order).
    /// </summary>
    public void MakeResident(int inputs, int width)
    {
        RowStarts = new int[inputs + 1];
        Outputs = new int[_positions.Length];
        for (int k = 0; k < _positions.Length; k++)
        {
            RowStarts[_positions[k] / width + 1]++;
            Outputs[k] = _positions[k] % width;
        }

        for (int c = 0; c < inputs; c++)
            RowStarts[c + 1] += RowStarts[c];
        Resident = true;
    }

    /// <summary>Runs <paramref name="step"/> on the resident weights and their gradient, in place.</summary>
    public void StepResident(Func<Span<float>, ReadOnlySpan<float>, int> step) => step(_weights, _gradient);

    /// <summary>Writes the kept weights into <paramref name="weights"/> (the frozen positions there stay zero).</summary>
    public void WriteBack(float[] weights)
    {
        for (int k = 0; k < _positions.Length; k++)
            weights[_positions[k]] = _weights[k];
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
        WriteBack(weights);
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
