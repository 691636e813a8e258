// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Distributed;
using Microsoft.ML.SparseL1.Internal;
using Microsoft.ML.SparseL1.Training;

namespace Microsoft.ML.SparseL1;

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
            : new ShardFacts(data.Rows, data.Columns, info.OutputCount, data.Sparse is not null, data.TotalWeight, OptionsFingerprint.Of(options));
        data!.Shard = ShardCheck.Agree(communicator, facts, failure);
        return (info, data);
    }
}
