// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Training.Data;

namespace Microsoft.ML.SparseL1.Data;

/// <summary>
/// Reads an <see cref="IDataView"/> once into the engine's <see cref="TrainingData"/> (dense, or sparse rows when
/// fewer than a tenth of the values are nonzero), rejecting non-finite features, missing labels and bad weights with
/// the column and row named. This is the only code that reads training data through a cursor.
/// </summary>
internal static class DataViewReader
{
    public static TrainingData Read(IDataView data, SparseMlpTask task, SparseMlpOptionsBase options, SchemaChecks.ColumnInfo info, Action checkCancelled)
    {
        var schema = data.Schema;
        var featureColumn = schema[options.FeatureColumnName];
        var labelColumn = schema[options.LabelColumnName];
        DataViewSchema.Column? weightColumn = options.ExampleWeightColumnName is null ? null : schema[options.ExampleWeightColumnName];
        var needed = new List<DataViewSchema.Column> { featureColumn, labelColumn };
        if (weightColumn is not null)
            needed.Add(weightColumn.Value);

        int columns = info.FeatureCount;
        long rowCount = RowCount(data, checkCancelled);
        if (rowCount == 0)
            throw new InvalidOperationException("The training data has no rows.");
        if (rowCount > int.MaxValue)
            throw new InvalidOperationException($"The training data has {rowCount} rows; at most {int.MaxValue} can be trained on.");

        // The first rows are read as sparse rows; if they are dense enough, the rest go straight into one exact dense
        // array (the data is never copied a second time), else everything stays sparse.
        var sparse = new CsrFeaturesBuilder(columns, (int)Math.Min(rowCount, ProbeRows));
        float[]? dense = null;
        var labels = new float[rowCount];
        float[]? weights = weightColumn is null ? null : new float[rowCount];
        using var cursor = data.GetRowCursor(needed);
        var featureGetter = cursor.GetGetter<VBuffer<float>>(featureColumn);
        var descriptor = TaskDescriptor.For(task);
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
            if (dense is null)
            {
                if (buffer.IsDense)
                    sparse.Add(buffer.GetValues());
                else
                    sparse.Add(buffer.GetIndices(), buffer.GetValues());
                CheckValues(sparse.LastRowValues, sparse.LastRowColumns, featureColumn.Name, row, options.Standardize);
                if (row + 1 == ProbeRows && IsDense(sparse, columns))
                    dense = DenseFrom(sparse, rowCount, columns);
            }
            else
            {
                var destination = dense.AsSpan((int)(row * columns), columns);
                buffer.CopyTo(destination);
                CheckValues(destination, default, featureColumn.Name, row, options.Standardize);
            }

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
        if (dense is null && IsDense(sparse, columns))
            dense = DenseFrom(sparse, rowCount, columns);
        return dense is null
            ? new TrainingData(sparse.Build(), labels, weights)
            : new TrainingData(dense, labels, (int)row, columns, weights);
    }

    /// <summary>Rows read before choosing between sparse and dense storage.</summary>
    internal const int ProbeRows = 1024;

    /// <summary>
    /// Below this fraction of nonzeros the features are trained on as sparse rows: the first layer then costs one
    /// gathered multiply-add per nonzero instead of a GEMM over every value, which pays below about a tenth.
    /// </summary>
    internal const double SparseDensity = 0.1;

    private static bool IsDense(CsrFeaturesBuilder rows, int columns) => rows.NonZeroCount >= SparseDensity * rows.Rows * (double)columns;

    private static float[] DenseFrom(CsrFeaturesBuilder rows, long rowCount, int columns)
    {
        if (rowCount * columns > Array.MaxLength)
            throw new InvalidOperationException($"The training data has {rowCount} rows of {columns} features, {rows.NonZeroCount * 100.0 / ((double)rows.Rows * columns):F0} % of them nonzero; at most {Array.MaxLength} dense feature values fit in one array.");
        return rows.Build().ToDense(rowCount);
    }

    /// <summary>Rejects non-finite values (and, unstandardized, values too large for float training), naming the slot.</summary>
    /// <param name="values">The row's values (all of them, or its nonzeros).</param>
    /// <param name="slots">The slots of <paramref name="values"/>, or empty when they are the whole row.</param>
    /// <param name="column">The feature column's name.</param>
    /// <param name="row">The row read.</param>
    /// <param name="standardized">Whether the features will be standardized (then any finite value is accepted).</param>
    private static void CheckValues(ReadOnlySpan<float> values, ReadOnlySpan<int> slots, string column, long row, bool standardized)
    {
        int bad = IndexOfNonFinite(values);
        if (bad >= 0)
            throw new InvalidOperationException(string.Format(CultureInfo.InvariantCulture,
                "Feature column '{0}' has a non-finite value ({1}) at row {2}, slot {3}; the sparse MLP needs finite features (replace missing values first, e.g. with mlContext.Transforms.ReplaceMissingValues).",
                column, values[bad], row, slots.IsEmpty ? bad : slots[bad]));
        int large = standardized ? -1 : IndexOfOutOfRange(values);
        if (large >= 0)
            throw new InvalidOperationException(string.Format(CultureInfo.InvariantCulture,
                "Feature column '{0}' has {1} at row {2}, slot {3}: beyond ±{4:G2}, float training overflows (a squared value exceeds the float range). Keep Standardize on (the default) or rescale the column.",
                column, values[large], row, slots.IsEmpty ? large : slots[large], MaxUnstandardizedMagnitude));
    }

    /// <summary>Counts rows with a cursor that reads no column (cheap for ML.NET's loaders and enumerables).</summary>
    /// <summary>The view's row count: the one it knows, else counted by a cursor (checking for cancellation as it goes).</summary>
    internal static long RowCount(IDataView data, Action checkCancelled) => data.GetRowCount() ?? CountRows(data, checkCancelled);

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
