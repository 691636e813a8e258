// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Buffers.Binary;
using System.Diagnostics;
using Microsoft.ML.SparseL1.Mpi;

// Smoke test of the Open MPI binding, run by hand (it needs processes started by mpirun):
//   dotnet build test/SparseL1.Mpi.Smoke -c Release
//   mpirun --allow-run-as-root --oversubscribe -np 2 dotnet test/SparseL1.Mpi.Smoke/bin/Release/net10.0/SparseL1.Mpi.Smoke.dll
// Without mpirun it runs as rank 0 of 1. Exit code 0 when every check holds; otherwise the failure is printed and
// the job is aborted (every rank stops, mpirun exits 1) or, alone, the process exits 1.
// "--fail-on-rank N" makes rank N fail before the broadcast, to see the fault path stop the ranks waiting in it.
const int BroadcastBytes = 1_000_000;
const int GatherBytes = 1 << 20;
const int TimedIterations = 200;

int failingRank = args is ["--fail-on-rank", var value] ? int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : -1;

var mpi = MpiCommunicator.Initialize();
int rank = mpi.Rank, size = mpi.Size;
try
{
    Console.WriteLine($"rank {rank} of {size} (pid {Environment.ProcessId})");

    Span<byte> local = stackalloc byte[4];
    BinaryPrimitives.WriteInt32LittleEndian(local, rank);
    byte[] ranks = new byte[4 * size];
    mpi.AllGather(local, ranks);
    for (int r = 0; r < size; r++)
        Check(BinaryPrimitives.ReadInt32LittleEndian(ranks.AsSpan(4 * r)) == r, $"AllGather: slot {r} holds {BinaryPrimitives.ReadInt32LittleEndian(ranks.AsSpan(4 * r))}");

    Check(rank != failingRank, "the failure asked for with --fail-on-rank");
    byte[] broadcast = new byte[BroadcastBytes];
    if (rank == 0)
        for (int i = 0; i < broadcast.Length; i++)
            broadcast[i] = Pattern(i, 0);
    mpi.Broadcast(broadcast, root: 0);
    int wrong = -1;
    for (int i = 0; i < broadcast.Length && wrong < 0; i++)
        if (broadcast[i] != Pattern(i, 0))
            wrong = i;
    Check(wrong < 0, $"Broadcast: byte {wrong} differs from rank 0's");

    // Argument checks happen before MPI is called, so every rank can make them without a collective mismatch.
    Check(Throws<ArgumentException>(() => mpi.AllGather(new byte[4], new byte[4 * size + 1])), "AllGather accepted a wrong gather length");
    Check(Throws<ArgumentOutOfRangeException>(() => mpi.Broadcast(broadcast, size)), "Broadcast accepted root = Size");

    // Timing: each rank contributes 1 MiB, so every rank receives Size MiB per call; warm-up first (connections, pinning).
    byte[] contribution = new byte[GatherBytes];
    byte[] gathered = new byte[GatherBytes * size];
    Expected(GatherBytes, rank).CopyTo(contribution, 0);
    for (int i = 0; i < 10; i++)
        mpi.AllGather(contribution, gathered);
    mpi.Barrier();
    var clock = Stopwatch.StartNew();
    for (int i = 0; i < TimedIterations; i++)
        mpi.AllGather(contribution, gathered);
    double meanMicroseconds = clock.Elapsed.TotalMicroseconds / TimedIterations;
    for (int r = 0; r < size; r++)
        Check(gathered.AsSpan(r * GatherBytes, GatherBytes).SequenceEqual(Expected(GatherBytes, r)), $"timed AllGather: rank {r}'s slot differs");
    Console.WriteLine($"rank {rank}: AllGather of 1 MiB per rank ({size} ranks), mean of {TimedIterations}: {meanMicroseconds:F1} µs");

    mpi.Barrier();
    mpi.Dispose();
    Check(Throws<ObjectDisposedException>(() => _ = mpi.Rank), "Rank after Dispose did not throw");
    Check(Throws<ObjectDisposedException>(mpi.Barrier), "Barrier after Dispose did not throw");
    Console.WriteLine($"rank {rank}: OK");
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"rank {rank}: FAILED: {e}");
    // The other ranks may be waiting in a collective: stop the whole job instead of leaving them blocked.
    if (size > 1 && !Throws<ObjectDisposedException>(() => _ = mpi.Rank))
        mpi.Abort(1);
    return 1;
}

static byte Pattern(int index, int rank) => (byte)(index * 31 + rank * 7 + 3);

static byte[] Expected(int length, int rank)
{
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i++)
        bytes[i] = Pattern(i, rank);
    return bytes;
}

static void Check(bool condition, string failure)
{
    if (!condition)
        throw new InvalidOperationException(failure);
}

static bool Throws<TException>(Action action) where TException : Exception
{
    try
    {
        action();
        return false;
    }
    catch (TException)
    {
        return true;
    }
}
