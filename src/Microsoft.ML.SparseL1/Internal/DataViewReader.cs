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
        long? knownRows = data.GetRowCount();
        var storage = new GrowableRows(columns, knownRows);
        using var cursor = data.GetRowCursor(needed);
        var featureGetter = cursor.GetGetter<VBuffer<float>>(featureColumn);
        Func<float> labelGetter = LabelGetter(cursor, labelColumn, task, info.ClassCount);
        ValueGetter<float>? weightGetter = weightColumn is null ? null : cursor.GetGetter<float>(weightColumn.Value);
        VBuffer<float> features = default;
        float weight = 0;
        long row = 0;
        while (cursor.MoveNext())
        {
            if ((row & 4095) == 0)
                checkCancelled();
            featureGetter(ref features);
            if (features.Length != columns)
                throw new InvalidOperationException($"Row {row} of feature column '{featureColumn.Name}' has {features.Length} values; expected {columns}.");
            var destination = storage.AddRow();
            features.CopyTo(destination);
            int bad = IndexOfNonFinite(destination);
            if (bad >= 0)
                throw new InvalidOperationException(string.Format(CultureInfo.InvariantCulture,
                    "Feature column '{0}' has a non-finite value ({1}) at row {2}, slot {3}; the sparse MLP needs finite features (replace missing values first, e.g. with mlContext.Transforms.ReplaceMissingValues).",
                    featureColumn.Name, destination[bad], row, bad));

            float label = labelGetter();
            if (task == SparseMlpTask.Regression && !float.IsFinite(label))
                throw new InvalidOperationException($"Label column '{labelColumn.Name}' has a non-finite value ({label}) at row {row}; regression needs finite labels.");
            storage.Labels.Add(label);
            if (weightGetter is not null)
            {
                weightGetter(ref weight);
                if (!(weight >= 0) || !float.IsFinite(weight))
                    throw new InvalidOperationException($"Example weight column '{weightColumn!.Value.Name}' has {weight} at row {row}; weights must be finite and at least 0.");
                storage.Weights.Add(weight);
            }

            row++;
        }

        if (row == 0)
            throw new InvalidOperationException("The training data has no rows.");
        if (row > int.MaxValue)
            throw new InvalidOperationException($"The training data has {row} rows; at most {int.MaxValue} are supported.");
        return new DenseDataSet(storage.ToArray(), storage.Labels.ToArray(), (int)row, columns, weightGetter is null ? null : storage.Weights.ToArray());
    }

    private static Func<float> LabelGetter(DataViewRowCursor cursor, DataViewSchema.Column column, SparseMlpTask task, int classes)
    {
        switch (task)
        {
            case SparseMlpTask.MulticlassClassification:
            {
                var getter = cursor.GetGetter<uint>(column);
                uint key = 0;
                return () =>
                {
                    getter(ref key);
                    if (key == 0 || key > classes)
                        throw new InvalidOperationException($"Label column '{column.Name}' has key {key} at row {cursor.Position}; expected a class key in 1..{classes} (0 means a missing label).");
                    return key - 1;
                };
            }

            case SparseMlpTask.BinaryClassification:
            {
                var getter = cursor.GetGetter<bool>(column);
                bool value = false;
                return () =>
                {
                    getter(ref value);
                    return value ? 1f : 0f;
                };
            }

            default:
            {
                var getter = cursor.GetGetter<float>(column);
                float value = 0;
                return () =>
                {
                    getter(ref value);
                    return value;
                };
            }
        }
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

    /// <summary>
    /// Row storage that allocates the exact size when the row count is known (one copy of the data) and
    /// otherwise grows in chunks that are concatenated once at the end.
    /// </summary>
    private sealed class GrowableRows(int columns, long? knownRows)
    {
        private const int ChunkRows = 16384;
        private readonly List<float[]> _chunks = [];
        private readonly float[]? _exact = knownRows is long rows and > 0 and <= int.MaxValue && rows * columns <= Array.MaxLength ? new float[rows * columns] : null;
        private long _rows;

        public List<float> Labels { get; } = [];

        public List<float> Weights { get; } = [];

        public Span<float> AddRow()
        {
            if (_exact is not null)
            {
                if ((_rows + 1) * columns > _exact.Length)
                    throw new InvalidOperationException($"The data view reported {knownRows} rows but its cursor returned more.");
                return _exact.AsSpan((int)(_rows++ * columns), columns);
            }

            int inChunk = (int)(_rows % ChunkRows);
            if (inChunk == 0)
                _chunks.Add(new float[ChunkRows * columns]);
            _rows++;
            return _chunks[^1].AsSpan(inChunk * columns, columns);
        }

        public float[] ToArray()
        {
            long length = _rows * columns;
            if (_exact is not null)
                return _exact.Length == length ? _exact : _exact.AsSpan(0, (int)length).ToArray();
            if (length > Array.MaxLength)
                throw new InvalidOperationException($"The training data has {length} feature values; at most {Array.MaxLength} fit in memory here.");
            var result = new float[length];
            long offset = 0;
            foreach (var chunk in _chunks)
            {
                int count = (int)Math.Min(chunk.Length, length - offset);
                Array.Copy(chunk, 0, result, offset, count);
                offset += count;
            }

            return result;
        }
    }
}
