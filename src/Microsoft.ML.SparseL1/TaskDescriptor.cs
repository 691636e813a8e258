// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Data;
using Microsoft.ML.SparseL1.Onnx;

namespace Microsoft.ML.SparseL1;

/// <summary>
/// Everything that differs between the three tasks in the ML.NET adapter, in one place: which label type is accepted and
/// how a label is read into the engine's float, the number of network outputs, and what is put on the scored rows (the
/// columns ML.NET's evaluators expect, as the estimator's <see cref="SchemaShape"/> before training and as the
/// transformer's schema after it, and how each is computed from the network's outputs). The loss is the engine's
/// (<c>SparseMlpTask.Loss()</c>).
/// </summary>
internal abstract class TaskDescriptor
{
    /// <summary>The descriptor of <paramref name="task"/>.</summary>
    public static TaskDescriptor For(SparseMlpTask task) => task switch
    {
        SparseMlpTask.MulticlassClassification => Multiclass.Instance,
        SparseMlpTask.BinaryClassification => Binary.Instance,
        _ => Regression.Instance,
    };

    /// <summary>The value of ML.NET's <c>ScoreColumnKind</c> annotation.</summary>
    protected abstract string Kind { get; }

    /// <summary>Whether the network's outputs are turned into class probabilities (softmax) before the getters read them.</summary>
    public virtual bool SoftmaxOutputs => false;

    /// <summary>Whether standardization applies to the label too (a regression target).</summary>
    public virtual bool StandardizesLabel => false;

    /// <summary>The label type accepted, as the error message names it.</summary>
    protected abstract string ExpectedLabel { get; }

    /// <summary>Whether a label column of this type can be trained on.</summary>
    /// <param name="scalar">The column is not a vector.</param>
    /// <param name="itemType">Its item type (a key's raw type for keys).</param>
    /// <param name="isKey">It is a key.</param>
    /// <param name="expected">The accepted type, for the error message.</param>
    public bool AcceptsLabel(bool scalar, DataViewType itemType, bool isKey, out string expected)
    {
        expected = ExpectedLabel;
        return scalar && Accepts(itemType, isKey);
    }

    protected abstract bool Accepts(DataViewType itemType, bool isKey);

    /// <summary>The network's output count for a label of <paramref name="label"/>'s type (checked).</summary>
    public virtual int OutputCount(DataViewSchema.Column label) => 1;

    /// <summary>A reader of the label of the cursor's current row as the engine's float (class index, 0/1 or target).</summary>
    public abstract Func<float> LabelReader(DataViewRowCursor cursor, DataViewSchema.Column column, int outputs);

    /// <summary>The class names the model keeps (a multiclass label's key values), else none.</summary>
    public virtual string[] ClassNames(DataViewSchema.Column label) => [];

    /// <summary>Checks a label value read from row <paramref name="row"/>; regression rejects non-finite and out-of-range targets.</summary>
    public virtual void CheckLabelValue(float label, string column, long row, bool standardized)
    {
    }

    /// <summary>The output columns as the estimator announces them, before training.</summary>
    public abstract IEnumerable<SchemaShape.Column> Shape(SchemaShape.Column label);

    /// <summary>Adds the output columns of <paramref name="model"/> to a row schema.</summary>
    public abstract void AddColumns(DataViewSchema.Builder builder, SparseMlpModelParameters model);

    /// <summary>A getter for column <paramref name="name"/> over <paramref name="outputs"/>, refreshed by <paramref name="score"/> before each read.</summary>
    public abstract Delegate Getter(string name, float[] outputs, Action score);

    /// <summary>
    /// Writes the output columns into an ONNX graph from <paramref name="networkOutput"/> (the last layer's [N, outputs]),
    /// computing what the getters compute.
    /// </summary>
    public abstract void WriteOnnxOutputs(OnnxGraph graph, string networkOutput);

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
    private sealed class Multiclass : TaskDescriptor
    {
        public static readonly Multiclass Instance = new();

        protected override string Kind => "MulticlassClassification";

        public override bool SoftmaxOutputs => true;

        protected override string ExpectedLabel => "a key of UInt32 (insert mlContext.Transforms.Conversion.MapValueToKey before the trainer)";

        protected override bool Accepts(DataViewType itemType, bool isKey) => isKey && itemType == NumberDataViewType.UInt32;

        public override int OutputCount(DataViewSchema.Column label)
        {
            var key = (KeyDataViewType)label.Type;
            if (key.Count < 2 || key.Count > int.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(label), $"The label column '{label.Name}' has {key.Count} classes; multiclass training needs at least 2.");
            return (int)key.Count;
        }

        public override string[] ClassNames(DataViewSchema.Column label)
        {
            if (label.Annotations.Schema.GetColumnOrNull(AnnotationUtils.Kinds.KeyValues) is not { } column
                || column.Type is not VectorDataViewType { ItemType: TextDataViewType })
                return [];
            VBuffer<ReadOnlyMemory<char>> values = default;
            label.Annotations.GetValue(AnnotationUtils.Kinds.KeyValues, ref values);
            return values.DenseValues().Select(v => v.ToString()).ToArray();
        }

        public override Func<float> LabelReader(DataViewRowCursor cursor, DataViewSchema.Column column, int outputs)
        {
            var getter = cursor.GetGetter<uint>(column);
            uint key = 0;
            return () =>
            {
                getter(ref key);
                if (key == 0 || key > outputs)
                    throw new InvalidOperationException($"Label column '{column.Name}' has key {key} at row {cursor.Position}; expected a class key in 1..{outputs} (0 means a missing label).");
                return key - 1;
            };
        }

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
                value = (uint)Model.PredictedClass.Of(outputs) + 1;
            }),
            _ => throw NotAnOutput(name),
        };

        public override void WriteOnnxOutputs(OnnxGraph graph, string networkOutput)
        {
            string score = graph.Column(OutputColumnNames.Score);
            graph.Node("Softmax", score, networkOutput).AddAttribute("axis", 1L);
            // Keys are uint32, 1-based (0 is missing): ArgMax (first maximum, as the getter) + 1, cast.
            string index = graph.Temporary("ArgMax");
            var argMax = graph.Node("ArgMax", index, score);
            argMax.AddAttribute("axis", 1L);
            argMax.AddAttribute("keepdims", 1L);
            string key = graph.Temporary("Key");
            graph.Node("Add", key, index, graph.Initializer("One", 1L));
            graph.Node("Cast", graph.Column(OutputColumnNames.PredictedLabel), key).AddAttribute("to", typeof(uint));
        }
    }

    /// <summary>Score: the logit; Probability: its sigmoid; PredictedLabel: Score &gt; 0.</summary>
    private sealed class Binary : TaskDescriptor
    {
        public static readonly Binary Instance = new();

        protected override string Kind => "BinaryClassification";

        protected override string ExpectedLabel => "Boolean";

        protected override bool Accepts(DataViewType itemType, bool isKey) => itemType == BooleanDataViewType.Instance;

        public override Func<float> LabelReader(DataViewRowCursor cursor, DataViewSchema.Column column, int outputs)
        {
            var getter = cursor.GetGetter<bool>(column);
            bool value = false;
            return () =>
            {
                getter(ref value);
                return value ? 1f : 0f;
            };
        }

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

        public override void WriteOnnxOutputs(OnnxGraph graph, string networkOutput)
        {
            string score = graph.Column(OutputColumnNames.Score);
            graph.Node("Identity", score, networkOutput);
            graph.Node("Sigmoid", graph.Column(OutputColumnNames.Probability), score);
            graph.Node("Greater", graph.Column(OutputColumnNames.PredictedLabel), score, graph.Initializer("Zero", 0f));
        }
    }

    /// <summary>Score: the prediction on the label's scale.</summary>
    private sealed class Regression : TaskDescriptor
    {
        public static readonly Regression Instance = new();

        protected override string Kind => "Regression";

        public override bool StandardizesLabel => true;

        protected override string ExpectedLabel => "Single";

        protected override bool Accepts(DataViewType itemType, bool isKey) => !isKey && itemType == NumberDataViewType.Single;

        public override Func<float> LabelReader(DataViewRowCursor cursor, DataViewSchema.Column column, int outputs)
        {
            var getter = cursor.GetGetter<float>(column);
            float value = 0;
            return () =>
            {
                getter(ref value);
                return value;
            };
        }

        public override void CheckLabelValue(float label, string column, long row, bool standardized)
        {
            if (!float.IsFinite(label))
                throw new InvalidOperationException($"Label column '{column}' has a non-finite value ({label}) at row {row}; regression needs finite labels.");
            // The features' bound: a target whose square exceeds float's range overflows the squared error.
            if (!standardized && Math.Abs(label) > DataViewReader.MaxUnstandardizedMagnitude)
                throw new InvalidOperationException(string.Format(CultureInfo.InvariantCulture,
                    "Label column '{0}' has {1} at row {2}: beyond ±{3:G2}, the squared error overflows float training. Keep Standardize on (the default) or rescale the label.",
                    column, label, row, DataViewReader.MaxUnstandardizedMagnitude));
        }

        public override IEnumerable<SchemaShape.Column> Shape(SchemaShape.Column label) =>
        [
            new(OutputColumnNames.Score, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false, ScoreAnnotationShape()),
        ];

        public override void AddColumns(DataViewSchema.Builder builder, SparseMlpModelParameters model) =>
            builder.AddColumn(OutputColumnNames.Score, NumberDataViewType.Single, ScoreAnnotations("Score").ToAnnotations());

        public override Delegate Getter(string name, float[] outputs, Action score) =>
            name == OutputColumnNames.Score ? ScalarScore(outputs, score) : throw NotAnOutput(name);

        public override void WriteOnnxOutputs(OnnxGraph graph, string networkOutput) =>
            graph.Node("Identity", graph.Column(OutputColumnNames.Score), networkOutput);
    }
}

/// <summary>The ML.NET output column names the evaluators expect.</summary>
internal static class OutputColumnNames
{
    public const string Score = "Score";
    public const string Probability = "Probability";
    public const string PredictedLabel = "PredictedLabel";
}
