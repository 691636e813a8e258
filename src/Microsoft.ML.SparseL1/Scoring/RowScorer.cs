// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Model;

namespace Microsoft.ML.SparseL1.Scoring;

/// <summary>
/// Scores the rows of one input row or cursor: reads the feature vector, runs the compact network once
/// per row (cached by position), and serves the task's output columns. All buffers are allocated once,
/// so scoring allocates nothing per row.
/// </summary>
internal sealed class RowScorer
{
    private readonly SparseMlpModelParameters _model;
    private readonly TaskDescriptor _task;
    private readonly DataViewRow _input;
    private readonly ValueGetter<VBuffer<float>> _features;
    private readonly float[] _dense;
    private readonly float[] _outputs;
    private readonly (float[] A, float[] B) _scratch;
    private VBuffer<float> _featureBuffer;
    private long _scoredPosition = -1;

    public RowScorer(SparseMlpModelParameters model, DataViewRow input, DataViewSchema.Column featureColumn)
    {
        _model = model;
        _task = TaskDescriptor.For(model.Task);
        _input = input;
        _features = input.GetGetter<VBuffer<float>>(featureColumn);
        _dense = new float[model.InputCount];
        _outputs = new float[model.OutputCount];
        _scratch = (new float[model.Network.MaxWidth], new float[model.Network.MaxWidth]);
    }

    /// <summary>A getter for output column <paramref name="name"/> of type <typeparamref name="TValue"/>.</summary>
    public ValueGetter<TValue> GetGetter<TValue>(string name) =>
        _task.Getter(name, _outputs, Score) as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Column '{name}' cannot be read as {typeof(TValue).Name}.");

    private void Score()
    {
        if (_scoredPosition == _input.Position)
            return;
        _features(ref _featureBuffer);
        Predict(_model.Network, _featureBuffer, _dense, _outputs, _scratch);
        if (_task.SoftmaxOutputs)
            Softmax.InPlace(_outputs);
        _scoredPosition = _input.Position;
    }

    /// <summary>
    /// Scores one row: a sparse vector through its nonzeros (<see cref="CompactMlp.PredictSparse"/>), a dense one (and any
    /// row of a network that clamps or encodes its inputs, which may move the implicit zeros) through <paramref name="dense"/> (a buffer of the input size).
    /// </summary>
    internal static void Predict(CompactMlp network, in VBuffer<float> features, float[] dense, Span<float> outputs, (float[] A, float[] B) scratch)
    {
        CheckRow(features, dense.Length);
        if (features.IsDense || network.InputRange is not null || network.Encoding is not null)
        {
            features.CopyTo(dense);
            network.Predict(dense, outputs, scratch);
        }
        else
        {
            network.PredictSparse(features.GetIndices(), features.GetValues(), outputs, scratch);
        }
    }

    /// <summary>Densifies one row's feature vector into <paramref name="destination"/>, checking its length.</summary>
    internal static void CopyFeatures(in VBuffer<float> features, Span<float> destination)
    {
        CheckRow(features, destination.Length);
        features.CopyTo(destination);
    }

    private static void CheckRow(in VBuffer<float> features, int expected)
    {
        if (features.Length != expected)
            throw new InvalidOperationException($"The feature vector has {features.Length} values; the model expects {expected}.");
        if (features.IsDense)
            return;
        // VBuffer does not check the indices it is given: a sparse vector built by hand can hold any.
        var indices = features.GetIndices();
        for (int k = 0; k < indices.Length; k++)
        {
            if (indices[k] < 0 || indices[k] >= expected || (k > 0 && indices[k] <= indices[k - 1]))
            {
                throw new InvalidOperationException(
                    $"The sparse feature vector's index {k} is {indices[k]}; a vector of {expected} values needs strictly increasing indices in 0..{expected - 1}.");
            }
        }
    }
}
