// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Threading;

namespace Microsoft.ML.SparseL1.Tests.Infrastructure;

/// <summary>
/// N ranks of a data-parallel group as threads of one process, exchanging bytes through shared slots: what the trainer
/// sees from Open MPI, without it, so the tests run everywhere. Every collective waits at most
/// <see cref="s_timeout"/>: a rank that stops taking part fails the others' calls instead of hanging the test run.
/// </summary>
internal sealed class InProcessGroup
{
    // Long enough for one rank's fit in the scalar CI leg (no intrinsics), which runs a distributed experiment's folds
    // several times slower than the other legs.
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(300);
    private readonly Barrier _barrier;
    private readonly byte[][] _slots;

    private InProcessGroup(int size)
    {
        _barrier = new Barrier(size);
        _slots = new byte[size][];
    }

    /// <summary>Runs <paramref name="body"/> on <paramref name="size"/> ranks at once; returns each rank's result or exception.</summary>
    public static (T? Result, Exception? Error)[] Run<T>(int size, Func<int, SparseL1Communicator, T> body)
    {
        var group = new InProcessGroup(size);
        var outcomes = new (T?, Exception?)[size];
        var threads = new Thread[size];
        for (int rank = 0; rank < size; rank++)
        {
            int r = rank;
            // Dedicated threads: thread-pool starvation must not delay a rank that the others wait for.
            threads[r] = new Thread(() =>
            {
                try
                {
                    outcomes[r] = (body(r, new Member(group, r)), null);
                }
#pragma warning disable CA1031 // The test inspects every rank's exception.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    outcomes[r] = (default, e);
                }
            }, 16 << 20);
            threads[r].Start();
        }

        foreach (var thread in threads)
            thread.Join();
        return outcomes;
    }

    /// <summary>Number of collectives completed (gathers, broadcasts, barriers), counted on rank 0.</summary>
    public int Collectives { get; private set; }

    private void Wait()
    {
        if (!_barrier.SignalAndWait(s_timeout))
            throw new TimeoutException($"A rank did not reach the collective within {s_timeout.TotalSeconds} s.");
    }

    private sealed class Member(InProcessGroup group, int rank) : SparseL1Communicator
    {
        public override int Rank => rank;

        public override int Size => group._slots.Length;

        public override void AllGather(ReadOnlySpan<byte> local, Span<byte> gathered)
        {
            if (gathered.Length != local.Length * Size)
                throw new ArgumentException($"The gather buffer holds {gathered.Length} bytes; {Size} x {local.Length} were expected.", nameof(gathered));
            group._slots[rank] = local.ToArray();
            group.Wait();
            for (int r = 0; r < Size; r++)
            {
                if (group._slots[r].Length != local.Length)
                    throw new InvalidOperationException($"Rank {r} gathered {group._slots[r].Length} bytes, rank {rank} {local.Length}.");
                group._slots[r].CopyTo(gathered[(r * local.Length)..]);
            }

            Done();
        }

        public override void AllToAll(ReadOnlySpan<byte> send, Span<byte> received)
        {
            if (received.Length != send.Length || send.Length % Size != 0)
                throw new ArgumentException($"AllToAll needs equal buffers of a multiple of {Size} bytes; got {send.Length} and {received.Length}.", nameof(received));
            int block = send.Length / Size;
            group._slots[rank] = send.ToArray();
            group.Wait();
            for (int r = 0; r < Size; r++)
            {
                if (group._slots[r].Length != send.Length)
                    throw new InvalidOperationException($"Rank {r} sent {group._slots[r].Length} bytes, rank {rank} {send.Length}.");
                group._slots[r].AsSpan(rank * block, block).CopyTo(received[(r * block)..]);
            }

            Done();
        }

        public override void Broadcast(Span<byte> buffer, int root)
        {
            if (rank == root)
                group._slots[root] = buffer.ToArray();
            group.Wait();
            group._slots[root].CopyTo(buffer);
            Done();
        }

        public override void Barrier()
        {
            group.Wait();
            Done();
        }

        /// <summary>The second wait keeps a fast rank from overwriting its slot before a slow one has read it.</summary>
        private void Done()
        {
            group.Wait();
            if (rank == 0)
                group.Collectives++;
        }
    }
}
