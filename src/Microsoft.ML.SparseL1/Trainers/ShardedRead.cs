// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Globalization;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Data;
using Microsoft.ML.SparseL1.Distributed;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Loop;

namespace Microsoft.ML.SparseL1.Trainers;

/// <summary>
/// The start of a data-parallel fit: each rank checks its options and schema and reads its shard as one process would,
/// but a failure is not thrown at once: it is reported in the ranks' first exchange (<see cref="ShardCheck"/>), so that
/// every rank stops with the same error naming the rank and the cause, instead of the others waiting for it.
/// </summary>
internal static class ShardedRead
{
    public static (SchemaChecks.ColumnInfo Info, TrainingData Data) Read(SparseL1Communicator communicator, IDataView trainData, SparseMlpTask task,
        SparseMlpOptionsBase options, TrainingCancellation cancellation)
    {
        SchemaChecks.ColumnInfo info = default;
        TrainingData? data = null;
        Exception? failure = null;
        try
        {
            (info, data) = SparseMlpFit.Read(trainData, task, options, cancellation);
        }
#pragma warning disable CA1031 // Any failure, whatever its type, must reach the other ranks before this one stops.
        catch (Exception e)
#pragma warning restore CA1031
        {
            failure = e;
        }

        var facts = data is null ? default
            : new ShardFacts(data.Rows, data.Columns, info.OutputCount, data.Sparse is not null, data.TotalWeight, OptionsFingerprint.Of(options),
                OptionsFingerprint.Combine(0, KeyValues(trainData.Schema[options.LabelColumnName])));
        data!.Shard = ShardCheck.Agree(communicator, facts, failure);
        return (info, data);
    }

    /// <summary>
    /// The label key's values in key order, as text (empty when the label is not a key or has none): ranks whose keys
    /// were fitted on their own shards can have the same count of classes in another order.
    /// </summary>
    private static string KeyValues(DataViewSchema.Column label)
    {
        if (label.Type is not KeyDataViewType || label.Annotations.Schema.GetColumnOrNull(AnnotationUtils.Kinds.KeyValues) is not { } column
            || column.Type is not VectorDataViewType vector)
            return string.Empty;
        var type = vector.ItemType.RawType;
        return type == typeof(ReadOnlyMemory<char>) ? Join<ReadOnlyMemory<char>>(label)
            : type == typeof(float) ? Join<float>(label)
            : type == typeof(double) ? Join<double>(label)
            : type == typeof(int) ? Join<int>(label)
            : type == typeof(uint) ? Join<uint>(label)
            : type == typeof(long) ? Join<long>(label)
            : type == typeof(bool) ? Join<bool>(label)
            : $"{vector.ItemType} x {vector.Size}";
    }

    private static string Join<T>(DataViewSchema.Column label)
    {
        VBuffer<T> values = default;
        label.Annotations.GetValue(AnnotationUtils.Kinds.KeyValues, ref values);
        return string.Join("\u0001", values.DenseValues().Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)));
    }
}
