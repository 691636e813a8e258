// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics;
using Microsoft.ML.SparseL1;

namespace SparseL1.Examples.Distributed;

/// <summary>
/// Wraps a communicator and counts the time spent in its collectives: what data-parallel training pays for
/// exchanging gradients, beside the time it computes.
/// </summary>
internal sealed class TimedCommunicator(SparseL1Communicator inner) : SparseL1Communicator
{
    /// <summary>All-to-all exchanges made: one per training step (the gradient's reduce-scatter).</summary>
    public long Exchanges { get; private set; }

    /// <summary>Bytes this rank sent in all-to-all exchanges (its whole gradient buffer each step).</summary>
    public long ExchangedBytes { get; private set; }

    /// <summary>Time spent in collectives (waiting for the slowest rank included).</summary>
    public TimeSpan Elapsed { get; private set; }

    public override int Rank => inner.Rank;

    public override int Size => inner.Size;

    public override void AllGather(ReadOnlySpan<byte> local, Span<byte> gathered)
    {
        long start = Stopwatch.GetTimestamp();
        inner.AllGather(local, gathered);
        Elapsed += Stopwatch.GetElapsedTime(start);
    }

    public override void AllToAll(ReadOnlySpan<byte> send, Span<byte> received)
    {
        long start = Stopwatch.GetTimestamp();
        inner.AllToAll(send, received);
        Elapsed += Stopwatch.GetElapsedTime(start);
        Exchanges++;
        ExchangedBytes += send.Length;
    }

    public override void Broadcast(Span<byte> buffer, int root)
    {
        long start = Stopwatch.GetTimestamp();
        inner.Broadcast(buffer, root);
        Elapsed += Stopwatch.GetElapsedTime(start);
    }

    public override void Barrier()
    {
        long start = Stopwatch.GetTimestamp();
        inner.Barrier();
        Elapsed += Stopwatch.GetElapsedTime(start);
    }
}
