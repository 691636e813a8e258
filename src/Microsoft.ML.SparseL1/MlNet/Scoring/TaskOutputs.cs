// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Data;

namespace Microsoft.ML.SparseL1.Model;

/// <summary>
/// What a task puts on the scored rows, in one place: the columns ML.NET's evaluators expect (their names, types and
/// score annotations), both as the estimator's <see cref="SchemaShape"/> before training and as the transformer's
/// schema after it, and how each is computed from the network's outputs.
/// </summary>
internal abstract class TaskOutputs
{
    /// <summary>The descriptor of <paramref name="task"/>.</summary>
    public static TaskOutputs For(SparseMlpTask task) => task switch
    {
        SparseMlpTask.MulticlassClassification => Multiclass.Instance,
        SparseMlpTask.BinaryClassification => Binary.Instance,
        _ => Regression.Instance,
    };

    /// <summary>The value of ML.NET's <c>ScoreColumnKind</c> annotation.</summary>
    protected abstract string Kind { get; }

    /// <summary>Whether the network's outputs are turned into class probabilities (softmax) before the getters read them.</summary>
    public virtual bool SoftmaxOutputs => false;

    /// <summary>The output columns as the estimator announces them, before training.</summary>
    public abstract IEnumerable<SchemaShape.Column> Shape(SchemaShape.Column label);

    /// <summary>Adds the output columns of <paramref name="model"/> to a row schema.</summary>
    public abstract void AddColumns(DataViewSchema.Builder builder, SparseMlpModelParameters model);

    /// <summary>A getter for column <paramref name="name"/> over <paramref name="outputs"/>, refreshed by <paramref name="score"/> before each read.</summary>
    public abstract Delegate Getter(string name, float[] outputs, Action score);

    protected SchemaShape ScoreAnnotationShape() => new([
        new SchemaShape.Column(AnnotationUtils.Kinds.ScoreColumnKind, SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, false),
        new SchemaShape.Column(AnnotationUtils.Kinds.ScoreValueKind, SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, false),
    ]);

    protected DataViewSchema.Annotations.Builder ScoreAnnotations(string valueKind)
    {
        var annotations = new DataViewSchema.Annotations.Builder();
        annotations.Add(AnnotationUtils.Kinds.ScoreColumnKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = Kind.AsMemory());
        annotations.Add(AnnotationUtils.Kinds.ScoreValueKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = valueKind.AsMemory());
        return annotations;
    }

    protected Exception NotAnOutput(string name) => new ArgumentOutOfRangeException(nameof(name), $"'{name}' is not an output column of a {Kind} model.");

    private static ValueGetter<float> ScalarScore(float[] outputs, Action score) => (ref float value) =>
    {
        score();
        value = outputs[0];
    };

    /// <summary>Score: the class probabilities; PredictedLabel: the most probable class as a key carrying the label's values.</summary>
    private sealed class Multiclass : TaskOutputs
    {
        public static readonly Multiclass Instance = new();

        protected override string Kind => "MulticlassClassification";

        public override bool SoftmaxOutputs => true;

        public override IEnumerable<SchemaShape.Column> Shape(SchemaShape.Column label) =>
        [
            new(OutputColumnNames.Score, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, ScoreAnnotationShape()),
            new(OutputColumnNames.PredictedLabel, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true, label.Annotations),
        ];

        public override void AddColumns(DataViewSchema.Builder builder, SparseMlpModelParameters model)
        {
            int classes = model.OutputCount;
            var names = model.ClassNames.Select(n => n.AsMemory()).ToArray();
            var score = ScoreAnnotations("Score");
            var label = ScoreAnnotations("PredictedLabel");
            if (names.Length == classes)
            {
                var namesType = new VectorDataViewType(TextDataViewType.Instance, classes);
                score.Add(AnnotationUtils.Kinds.SlotNames, namesType, (ref VBuffer<ReadOnlyMemory<char>> v) => v = new VBuffer<ReadOnlyMemory<char>>(classes, names));
                label.Add(AnnotationUtils.Kinds.KeyValues, namesType, (ref VBuffer<ReadOnlyMemory<char>> v) => v = new VBuffer<ReadOnlyMemory<char>>(classes, names));
            }

            builder.AddColumn(OutputColumnNames.Score, new VectorDataViewType(NumberDataViewType.Single, classes), score.ToAnnotations());
            builder.AddColumn(OutputColumnNames.PredictedLabel, new KeyDataViewType(typeof(uint), classes), label.ToAnnotations());
        }

        public override Delegate Getter(string name, float[] outputs, Action score) => name switch
        {
            OutputColumnNames.Score => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
            {
                score();
                var editor = VBufferEditor.Create(ref value, outputs.Length);
                outputs.CopyTo(editor.Values);
                value = editor.Commit();
            }),
            OutputColumnNames.PredictedLabel => (ValueGetter<uint>)((ref uint value) =>
            {
                score();
                value = (uint)ArgMax(outputs) + 1;
            }),
            _ => throw NotAnOutput(name),
        };

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
    }

    /// <summary>Score: the logit; Probability: its sigmoid; PredictedLabel: Score &gt; 0.</summary>
    private sealed class Binary : TaskOutputs
    {
        public static readonly Binary Instance = new();

        protected override string Kind => "BinaryClassification";

        public override IEnumerable<SchemaShape.Column> Shape(SchemaShape.Column label) =>
        [
            new(OutputColumnNames.Score, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false, ScoreAnnotationShape()),
            new(OutputColumnNames.Probability, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false, ScoreAnnotationShape()),
            new(OutputColumnNames.PredictedLabel, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false, ScoreAnnotationShape()),
        ];

        public override void AddColumns(DataViewSchema.Builder builder, SparseMlpModelParameters model)
        {
            builder.AddColumn(OutputColumnNames.Score, NumberDataViewType.Single, ScoreAnnotations("Score").ToAnnotations());
            builder.AddColumn(OutputColumnNames.Probability, NumberDataViewType.Single, ScoreAnnotations("Probability").ToAnnotations());
            builder.AddColumn(OutputColumnNames.PredictedLabel, BooleanDataViewType.Instance, ScoreAnnotations("PredictedLabel").ToAnnotations());
        }

        public override Delegate Getter(string name, float[] outputs, Action score) => name switch
        {
            OutputColumnNames.Score => ScalarScore(outputs, score),
            OutputColumnNames.Probability => (ValueGetter<float>)((ref float value) =>
            {
                score();
                value = 1f / (1f + MathF.Exp(-outputs[0]));
            }),
            OutputColumnNames.PredictedLabel => (ValueGetter<bool>)((ref bool value) =>
            {
                score();
                value = outputs[0] > 0;
            }),
            _ => throw NotAnOutput(name),
        };
    }

    /// <summary>Score: the prediction on the label's scale.</summary>
    private sealed class Regression : TaskOutputs
    {
        public static readonly Regression Instance = new();

        protected override string Kind => "Regression";

        public override IEnumerable<SchemaShape.Column> Shape(SchemaShape.Column label) =>
        [
            new(OutputColumnNames.Score, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false, ScoreAnnotationShape()),
        ];

        public override void AddColumns(DataViewSchema.Builder builder, SparseMlpModelParameters model) =>
            builder.AddColumn(OutputColumnNames.Score, NumberDataViewType.Single, ScoreAnnotations("Score").ToAnnotations());

        public override Delegate Getter(string name, float[] outputs, Action score) =>
            name == OutputColumnNames.Score ? ScalarScore(outputs, score) : throw NotAnOutput(name);
    }
}

/// <summary>The ML.NET output column names the evaluators expect.</summary>
internal static class OutputColumnNames
{
    public const string Score = "Score";
    public const string Probability = "Probability";
    public const string PredictedLabel = "PredictedLabel";
}
