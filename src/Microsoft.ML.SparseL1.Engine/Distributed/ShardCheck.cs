// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Buffers.Binary;
using System.Text;

namespace Microsoft.ML.SparseL1.Distributed;

/// <summary>What one rank read: compared across ranks before any training step.</summary>
/// <param name="Rows">Rows of the shard.</param>
/// <param name="Columns">Feature values per row.</param>
/// <param name="Outputs">Network outputs (classes for multiclass).</param>
/// <param name="Sparse">Whether the shard was read as sparse rows.</param>
/// <param name="TotalWeight">Sum of the example weights.</param>
/// <param name="OptionsFingerprint">A hash of the options every rank must share.</param>
/// <param name="Classes">A hash of the label key's class names in key order (0 when the label is not a key).</param>
internal readonly record struct ShardFacts(int Rows, int Columns, int Outputs, bool Sparse, double TotalWeight, long OptionsFingerprint, long Classes);

/// <summary>
/// The first collective of a data-parallel fit: every rank reports what it read, or why it could not, and every rank
/// then either agrees on the <see cref="ShardLayout"/> or throws the same error naming the rank and the cause. A rank
/// whose data is bad still takes part in this exchange, so no rank is left waiting in a later one.
/// </summary>
internal static class ShardCheck
{
    private const int RecordBytes = 1024;
    private const int MessageBytes = RecordBytes - 56;

    /// <summary>Exchanges the ranks' facts (or failures) and returns this rank's layout.</summary>
    /// <exception cref="InvalidOperationException">Some rank failed to read its shard, or the shards or options disagree.</exception>
    public static ShardLayout Agree(SparseL1Communicator communicator, ShardFacts facts, Exception? failure)
    {
        var local = new byte[RecordBytes];
        Write(local, facts, failure, communicator.Rank, communicator.Size);
        var gathered = new byte[RecordBytes * communicator.Size];
        communicator.AllGather(local, gathered);
        var all = new (ShardFacts Facts, string? Failure, bool Cancelled)[communicator.Size];
        string ofRanks = $"of {communicator.Size}";
        for (int rank = 0; rank < all.Length; rank++)
        {
            var record = gathered.AsSpan(rank * RecordBytes, RecordBytes);
            all[rank] = Read(record);
            // A transport whose ranks disagree on who is who would sum the wrong shards: the gather's slot r must be rank r.
            var (reportedRank, reportedSize) = (BinaryPrimitives.ReadInt32LittleEndian(record[20..]), BinaryPrimitives.ReadInt32LittleEndian(record[44..]));
            if (reportedRank != rank || reportedSize != communicator.Size)
            {
                throw new InvalidOperationException($"The communicator is inconsistent: slot {rank} {ofRanks} of its gather came from a process that reports " +
                    $"rank {reportedRank} of {reportedSize} (this process is rank {communicator.Rank} of {communicator.Size}); every rank must report its own rank and the same size.");
            }
        }

        for (int rank = 0; rank < all.Length; rank++)
        {
            if (all[rank].Failure is not string cause)
                continue;
            var inner = rank == communicator.Rank ? failure : null;
            if (all[rank].Cancelled)
                throw new OperationCanceledException($"Rank {rank} {ofRanks} was cancelled while reading its training shard; every rank stopped.", inner);
            throw new InvalidOperationException($"Rank {rank} {ofRanks} could not read its training shard: {cause}", inner);
        }

        var first = all[0].Facts;
        long globalRows = 0;
        double globalWeight = 0;
        int firstRow = 0;
        for (int rank = 0; rank < all.Length; rank++)
        {
            var f = all[rank].Facts;
            if (f.Columns != first.Columns)
                throw Mismatch(rank, ofRanks, $"has {f.Columns} feature values per row where rank 0's has {first.Columns}");
            if (f.Outputs != first.Outputs)
                throw Mismatch(rank, ofRanks, $"gives the network {f.Outputs} outputs where rank 0's gives {first.Outputs} (a multiclass label's key type must have the same classes on every rank)");
            if (f.Classes != first.Classes)
                throw Mismatch(rank, ofRanks, "has a label key with other classes, or the same in another order, than rank 0's: fit MapValueToKey on all the data (or give it the class list as keyData) so that every rank maps labels to the same keys");
            if (f.Sparse != first.Sparse)
                throw Mismatch(rank, ofRanks, $"was read as {Kind(f.Sparse)} rows where rank 0's was read as {Kind(first.Sparse)} (the reader chooses by the share of nonzeros in the first 1,024 rows); give every rank rows of the same kind");
            if (f.OptionsFingerprint != first.OptionsFingerprint)
                throw new InvalidOperationException($"Rank {rank} {ofRanks} was given different trainer options from rank 0 (layer sizes, targets, λ, optimizer, step, batch, epochs, seed, standardization and selection options must be equal on every rank).");
            if (rank == communicator.Rank)
                firstRow = checked((int)globalRows);
            globalRows += f.Rows;
            globalWeight += f.TotalWeight;
        }

        if (globalRows > Array.MaxLength)
            throw new InvalidOperationException($"The shards hold {globalRows} rows together; at most {Array.MaxLength} rows can be trained on.");
        return new ShardLayout(communicator, firstRow, facts.Rows, (int)globalRows, globalWeight);
    }

    private static string Kind(bool sparse) => sparse ? "sparse" : "dense";

    private static InvalidOperationException Mismatch(int rank, string ofRanks, string what) =>
        new($"Rank {rank} {ofRanks}: its training shard {what}.");

    private static void Write(Span<byte> record, ShardFacts facts, Exception? failure, int rank, int size)
    {
        BinaryPrimitives.WriteInt32LittleEndian(record, failure switch { null => 0, OperationCanceledException => 2, _ => 1 });
        BinaryPrimitives.WriteInt32LittleEndian(record[20..], rank);
        BinaryPrimitives.WriteInt32LittleEndian(record[44..], size);
        BinaryPrimitives.WriteInt32LittleEndian(record[4..], facts.Rows);
        BinaryPrimitives.WriteInt32LittleEndian(record[8..], facts.Columns);
        BinaryPrimitives.WriteInt32LittleEndian(record[12..], facts.Outputs);
        BinaryPrimitives.WriteInt32LittleEndian(record[16..], facts.Sparse ? 1 : 0);
        BinaryPrimitives.WriteDoubleLittleEndian(record[24..], facts.TotalWeight);
        BinaryPrimitives.WriteInt64LittleEndian(record[32..], facts.OptionsFingerprint);
        BinaryPrimitives.WriteInt64LittleEndian(record[48..], facts.Classes);
        if (failure is not null)
        {
            // The cause is cut to fit the fixed-size record (whole characters only).
            string text = $"{failure.GetType().Name}: {failure.Message}";
            var encoder = Encoding.UTF8.GetEncoder();
            encoder.Convert(text, record.Slice(56, MessageBytes), flush: true, out _, out int written, out _);
            BinaryPrimitives.WriteInt32LittleEndian(record[40..], written);
        }
    }

    private static (ShardFacts Facts, string? Failure, bool Cancelled) Read(ReadOnlySpan<byte> record)
    {
        var facts = new ShardFacts(
            BinaryPrimitives.ReadInt32LittleEndian(record[4..]),
            BinaryPrimitives.ReadInt32LittleEndian(record[8..]),
            BinaryPrimitives.ReadInt32LittleEndian(record[12..]),
            BinaryPrimitives.ReadInt32LittleEndian(record[16..]) != 0,
            BinaryPrimitives.ReadDoubleLittleEndian(record[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(record[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(record[48..]));
        int status = BinaryPrimitives.ReadInt32LittleEndian(record);
        if (status == 0)
            return (facts, null, false);
        int length = BinaryPrimitives.ReadInt32LittleEndian(record[40..]);
        return (facts, Encoding.UTF8.GetString(record.Slice(56, length)), status == 2);
    }
}
