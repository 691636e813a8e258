// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Training;

namespace Microsoft.ML.SparseL1.Internal;

/// <summary>
/// Reads an <see cref="IDataView"/> once into the engine's <see cref="DenseDataSet"/>, rejecting non-finite
/// features, missing labels and bad weights with the column and row named. This is the only code that
/// reads training data through a cursor.
/// </summary>
internal static class DataViewReader
{
    public static DenseDataSet Read(IDataView data, SparseMlpTask task, SparseMlpOptionsBase options, SchemaChecks.ColumnInfo info, Action checkCancelled)
    {
        var schema = data.Schema;
        var featureColumn = schema[options.FeatureColumnName];
        var labelColumn = schema[options.LabelColumnName];
        DataViewSchema.Column? weightColumn = options.ExampleWeightColumnName is null ? null : schema[options.ExampleWeightColumnName];
        var needed = new List<DataViewSchema.Column> { featureColumn, labelColumn };
        if (weightColumn is not null)
            needed.Add(weightColumn.Value);

        int columns = info.FeatureCount;
        long rowCount = data.GetRowCount() ?? CountRows(data, checkCancelled);
        if (rowCount == 0)
            throw new InvalidOperationException("The training data has no rows.");
        if (rowCount > int.MaxValue || rowCount * columns > Array.MaxLength)
            throw new InvalidOperationException($"The training data has {rowCount} rows of {columns} features; at most {Array.MaxLength} feature values fit in one array.");

        // One exact allocation, filled once: the data is never copied a second time.
        var features = new float[rowCount * columns];
        var labels = new float[rowCount];
        float[]? weights = weightColumn is null ? null : new float[rowCount];
        using var cursor = data.GetRowCursor(needed);
        var featureGetter = cursor.GetGetter<VBuffer<float>>(featureColumn);
        var descriptor = Model.TaskDescriptor.For(task);
        Func<float> labelGetter = descriptor.LabelReader(cursor, labelColumn, info.OutputCount);
        ValueGetter<float>? weightGetter = weightColumn is null ? null : cursor.GetGetter<float>(weightColumn.Value);
        VBuffer<float> buffer = default;
        float weight = 0;
        long row = 0;
        while (cursor.MoveNext())
        {
            if ((row & 4095) == 0)
                checkCancelled();
            if (row == rowCount)
                throw new InvalidOperationException($"The data view reported {rowCount} rows but its cursor returned more.");
            featureGetter(ref buffer);
            if (buffer.Length != columns)
                throw new InvalidOperationException($"Row {row} of feature column '{featureColumn.Name}' has {buffer.Length} values; expected {columns}.");
            var destination = features.AsSpan((int)(row * columns), columns);
            buffer.CopyTo(destination);
            int bad = IndexOfNonFinite(destination);
            if (bad >= 0)
                throw new InvalidOperationException(string.Format(CultureInfo.InvariantCulture,
                    "Feature column '{0}' has a non-finite value ({1}) at row {2}, slot {3}; the sparse MLP needs finite features (replace missing values first, e.g. with mlContext.Transforms.ReplaceMissingValues).",
                    featureColumn.Name, destination[bad], row, bad));
            int large = options.Standardize ? -1 : IndexOfOutOfRange(destination);
            if (large >= 0)
                throw new InvalidOperationException(string.Format(CultureInfo.InvariantCulture,
                    "Feature column '{0}' has {1} at row {2}, slot {3}: beyond ±{4:G2}, float training overflows (a squared value exceeds the float range). Keep Standardize on (the default) or rescale the column.",
                    featureColumn.Name, destination[large], row, large, MaxUnstandardizedMagnitude));

            float label = labelGetter();
            descriptor.CheckLabelValue(label, labelColumn.Name, row, options.Standardize);
            labels[row] = label;
            if (weightGetter is not null)
            {
                weightGetter(ref weight);
                if (!(weight >= 0) || !float.IsFinite(weight))
                    throw new InvalidOperationException($"Example weight column '{weightColumn!.Value.Name}' has {weight} at row {row}; weights must be finite and at least 0.");
                weights![row] = weight;
            }

            row++;
        }

        if (row != rowCount)
            throw new InvalidOperationException($"The data view reported {rowCount} rows but its cursor returned {row}.");
        return new DenseDataSet(features, labels, (int)row, columns, weights);
    }

    /// <summary>Counts rows with a cursor that reads no column (cheap for ML.NET's loaders and enumerables).</summary>
    private static long CountRows(IDataView data, Action checkCancelled)
    {
        long count = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext())
        {
            if ((++count & 65535) == 0)
                checkCancelled();
        }

        return count;
    }

    /// <summary>
    /// Without standardization, a value whose square exceeds float's range (about 1.8e19) overflows the squared error
    /// and the gradients of the first steps; 1e18 leaves room for the weights' scale.
    /// </summary>
    internal const float MaxUnstandardizedMagnitude = 1e18f;

    private static int IndexOfOutOfRange(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (Math.Abs(values[i]) > MaxUnstandardizedMagnitude)
                return i;
        }

        return -1;
    }

    private static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                return i;
        }

        return -1;
    }
}
