// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Internal;

namespace Microsoft.ML.SparseL1.Model;

/// <summary>
/// Scores the rows of one input row or cursor: reads the feature vector, runs the compact network once
/// per row (cached by position), and serves the task's output columns. All buffers are allocated once,
/// so scoring allocates nothing per row.
/// </summary>
internal sealed class RowScorer
{
    private readonly SparseMlpModelParameters _model;
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
        _input = input;
        _features = input.GetGetter<VBuffer<float>>(featureColumn);
        _dense = new float[model.InputCount];
        _outputs = new float[model.OutputCount];
        _scratch = (new float[model.Network.MaxWidth], new float[model.Network.MaxWidth]);
    }

    /// <summary>A getter for output column <paramref name="name"/> of type <typeparamref name="TValue"/>.</summary>
    public ValueGetter<TValue> GetGetter<TValue>(string name)
    {
        Delegate getter = (_model.Task, name) switch
        {
            (SparseMlpTask.MulticlassClassification, OutputColumnNames.Score) => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
            {
                Score();
                var editor = VBufferEditor.Create(ref value, _outputs.Length);
                _outputs.CopyTo(editor.Values);
                value = editor.Commit();
            }),
            (SparseMlpTask.MulticlassClassification, OutputColumnNames.PredictedLabel) => (ValueGetter<uint>)((ref uint value) =>
            {
                Score();
                value = (uint)ArgMax(_outputs) + 1;
            }),
            (SparseMlpTask.BinaryClassification, OutputColumnNames.Probability) => (ValueGetter<float>)((ref float value) =>
            {
                Score();
                value = Sigmoid(_outputs[0]);
            }),
            (SparseMlpTask.BinaryClassification, OutputColumnNames.PredictedLabel) => (ValueGetter<bool>)((ref bool value) =>
            {
                Score();
                value = _outputs[0] > 0;
            }),
            (_, OutputColumnNames.Score) => (ValueGetter<float>)((ref float value) =>
            {
                Score();
                value = _outputs[0];
            }),
            _ => throw new ArgumentOutOfRangeException(nameof(name), $"'{name}' is not an output column of a {_model.Task} model."),
        };
        return getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Column '{name}' cannot be read as {typeof(TValue).Name}.");
    }

    private void Score()
    {
        if (_scoredPosition == _input.Position)
            return;
        _features(ref _featureBuffer);
        if (_featureBuffer.Length != _dense.Length)
            throw new InvalidOperationException($"The feature vector has {_featureBuffer.Length} values; the model expects {_dense.Length}.");
        _featureBuffer.CopyTo(_dense);
        _model.Network.Predict(_dense, _outputs, _scratch);
        if (_model.Task == SparseMlpTask.MulticlassClassification)
            System.Numerics.Tensors.TensorPrimitives.SoftMax(_outputs, _outputs);
        _scoredPosition = _input.Position;
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
                best = i;
        }

        return best;
    }

    private static float Sigmoid(float z) => 1f / (1f + MathF.Exp(-z));
}
