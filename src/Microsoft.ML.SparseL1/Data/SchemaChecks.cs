// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.Data;

namespace Microsoft.ML.SparseL1.Data;

/// <summary>
/// The input-column checks shared by <c>GetOutputSchema</c> and <c>Fit</c>, and the output columns. This and
/// the persistence and catalog files are the only places that use ML.NET internals (here: the
/// <see cref="SchemaShape.Column"/> constructor, which has no public equivalent).
/// </summary>
internal static class SchemaChecks
{
    /// <summary>What the training columns look like once checked.</summary>
    /// <param name="FeatureCount">Length of the feature vector.</param>
    /// <param name="OutputCount">Network outputs (multiclass: the label key count; binary and regression 1).</param>
    internal readonly record struct ColumnInfo(int FeatureCount, int OutputCount);

    /// <summary>Checks a schema shape (before training).</summary>
    public static SchemaShape CheckAndBuildOutputShape(SchemaShape input, SparseMlpTask task, SparseMlpOptionsBase options)
    {
        ArgumentNullException.ThrowIfNull(input);
        var feature = Find(input, options.FeatureColumnName, "feature");
        if (feature.Kind != SchemaShape.Column.VectorKind.Vector || feature.ItemType != NumberDataViewType.Single)
            throw Mismatch("feature", options.FeatureColumnName, "a known-size vector of Single", Describe(feature));
        var label = Find(input, options.LabelColumnName, "label");
        CheckLabel(task, options.LabelColumnName, label.Kind == SchemaShape.Column.VectorKind.Scalar, label.ItemType, label.IsKey);
        if (options.ExampleWeightColumnName is string weightName)
        {
            var weight = Find(input, weightName, "example weight");
            if (weight.Kind != SchemaShape.Column.VectorKind.Scalar || weight.ItemType != NumberDataViewType.Single)
                throw Mismatch("example weight", weightName, "Single", Describe(weight));
        }

        var columns = input.ToDictionary(c => c.Name);
        foreach (var column in TaskDescriptor.For(task).Shape(label))
            columns[column.Name] = column;
        return new SchemaShape(columns.Values);
    }

    /// <summary>Checks a concrete schema (at Fit) and returns the sizes training needs.</summary>
    public static ColumnInfo CheckTrainingSchema(DataViewSchema schema, SparseMlpTask task, SparseMlpOptionsBase options)
    {
        var feature = Find(schema, options.FeatureColumnName, "feature");
        int featureCount = CheckFeatureType(feature);
        var label = Find(schema, options.LabelColumnName, "label");
        bool isKey = label.Type is KeyDataViewType;
        DataViewType itemType = label.Type is KeyDataViewType key && key.RawType == typeof(uint) ? NumberDataViewType.UInt32 : label.Type;
        CheckLabel(task, label.Name, label.Type is not VectorDataViewType, itemType, isKey);
        if (options.ExampleWeightColumnName is string weightName)
        {
            var weight = Find(schema, weightName, "example weight");
            if (weight.Type != NumberDataViewType.Single)
                throw Mismatch("example weight", weightName, "Single", $"{weight.Type}");
        }

        return new ColumnInfo(featureCount, TaskDescriptor.For(task).OutputCount(label));
    }

    /// <summary>Checks that a schema has a feature column the trained model can score.</summary>
    public static int CheckFeatureType(DataViewSchema.Column feature)
    {
        if (feature.Type is not VectorDataViewType { ItemType: NumberDataViewType } vector || vector.ItemType != NumberDataViewType.Single || vector.Size == 0)
            throw Mismatch("feature", feature.Name, "a known-size vector of Single", $"{feature.Type}");
        return vector.Size;
    }

    public static DataViewSchema.Column Find(DataViewSchema schema, string name, string role) =>
        schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(nameof(schema), $"The {role} column '{name}' was not found in the input schema.");

    private static SchemaShape.Column Find(SchemaShape shape, string name, string role)
    {
        // The last column of a name wins, as in a DataViewSchema (SchemaShape.TryFindColumn is internal).
        foreach (var column in shape.Reverse())
        {
            if (column.Name == name)
                return column;
        }

        throw new ArgumentOutOfRangeException(nameof(shape), $"The {role} column '{name}' was not found in the input schema.");
    }

    private static string Describe(SchemaShape.Column column) =>
        (column.IsKey ? $"Key<{column.ItemType}>" : $"{column.ItemType}") + column.Kind switch
        {
            SchemaShape.Column.VectorKind.Vector => " vector",
            SchemaShape.Column.VectorKind.VariableVector => " vector of unknown size",
            _ => string.Empty,
        };

    private static void CheckLabel(SparseMlpTask task, string name, bool scalar, DataViewType itemType, bool isKey)
    {
        if (!TaskDescriptor.For(task).AcceptsLabel(scalar, itemType, isKey, out string expected))
            throw Mismatch("label", name, expected, (isKey ? "Key<" + itemType + ">" : itemType.ToString()) + (scalar ? string.Empty : " vector"));
    }

    private static ArgumentOutOfRangeException Mismatch(string role, string name, string expected, string actual) =>
        new(nameof(role), $"The {role} column '{name}' has type {actual}; expected {expected}.");
}
