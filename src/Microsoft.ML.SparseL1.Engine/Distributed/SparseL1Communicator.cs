// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1;

/// <summary>
/// The processes that train one model together (data-parallel training): each calls <c>Fit</c> with its own shard of
/// the rows and all of them receive the same network. The trainer needs only exchanges of bytes (all-to-all, gather,
/// broadcast): it sums the contributions itself, in rank order, so every rank applies a bit-identical update whatever
/// reduction algorithm the transport would have chosen. The core holds no transport: <see cref="SingleProcess"/> is
/// the one-process case, and the package <c>SparseL1.MLNet.Mpi</c> provides Open MPI.
/// </summary>
/// <remarks>
/// Every member is collective: every rank must call it, in the same order, with buffers of the same length. An
/// implementation turns a transport failure into an exception naming the call; it never returns partial data.
/// </remarks>
public abstract class SparseL1Communicator
{
    /// <summary>This process's rank, in [0, <see cref="Size"/>).</summary>
    public abstract int Rank { get; }

    /// <summary>The number of processes.</summary>
    public abstract int Size { get; }

    /// <summary>
    /// Gathers every rank's <paramref name="local"/> bytes (the same length on every rank) into
    /// <paramref name="gathered"/> (<see cref="Size"/> × that length), in rank order, on every rank.
    /// </summary>
    public abstract void AllGather(ReadOnlySpan<byte> local, Span<byte> gathered);

    /// <summary>
    /// Sends block r of <paramref name="send"/> to rank r and receives every rank's block for this rank: both buffers
    /// hold <see cref="Size"/> blocks of the same length (the same on every rank); block r of <paramref name="received"/>
    /// is what rank r sent. The trainer's gradient sum is a reduce-scatter built on it, so that each rank moves about
    /// twice the gradient per step whatever the number of ranks.
    /// </summary>
    public abstract void AllToAll(ReadOnlySpan<byte> send, Span<byte> received);

    /// <summary>Copies rank <paramref name="root"/>'s <paramref name="buffer"/> into every rank's (the same length everywhere).</summary>
    public abstract void Broadcast(Span<byte> buffer, int root);

    /// <summary>Returns when every rank has called it.</summary>
    public abstract void Barrier();

    /// <summary>What holds the group now (a fit or a sweep), or null; one at a time, see <see cref="BeginExclusiveUse"/>.</summary>
    private string? _user;

    /// <summary>
    /// Marks the group as used by <paramref name="user"/> until the result is disposed. Two fits (or a fit and a sweep) on
    /// one communicator at once would interleave their collectives: the ranks would pair one fit's exchange with the
    /// other's and fail with a transport error, or worse, deliver different networks. The second is refused before its
    /// first collective, on each rank where it starts.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another fit or sweep holds the group.</exception>
    internal IDisposable BeginExclusiveUse(string user)
    {
        if (System.Threading.Interlocked.CompareExchange(ref _user, user, null) is string holder)
        {
            throw new InvalidOperationException(
                $"This SparseL1Communicator (rank {Rank} of {Size}) is already in use by a {holder}; a data-parallel {user} on it must wait until that one has " +
                "returned. Run one fit or sweep at a time on a communicator (every rank in the same order), or give concurrent ones communicators of their own.");
        }

        return new Release(this);
    }

    /// <summary>Checks that <see cref="Rank"/> and <see cref="Size"/> describe a group: at least one process, this one in it.</summary>
    /// <param name="option">The option that holds the communicator, for the message.</param>
    /// <exception cref="ArgumentOutOfRangeException">Size is below 1, or Rank outside [0, Size).</exception>
    internal void CheckRankAndSize(string option)
    {
        int rank = Rank, size = Size;
        if (size < 1 || rank < 0 || rank >= size)
            throw new ArgumentOutOfRangeException(option, $"Option {option} reports rank {rank} of {size} processes; expected a size of at least 1 and a rank in [0, size).");
    }

    private sealed class Release(SparseL1Communicator communicator) : IDisposable
    {
        public void Dispose() => System.Threading.Volatile.Write(ref communicator._user, null);
    }

    /// <summary>The one-process group (rank 0 of 1): every collective is a copy.</summary>
    public static SparseL1Communicator SingleProcess { get; } = new SingleProcessCommunicator();

    private sealed class SingleProcessCommunicator : SparseL1Communicator
    {
        public override int Rank => 0;

        public override int Size => 1;

        public override void AllGather(ReadOnlySpan<byte> local, Span<byte> gathered)
        {
            if (gathered.Length != local.Length)
                throw new ArgumentException($"The gather buffer holds {gathered.Length} bytes; one rank's {local.Length} bytes were expected.", nameof(gathered));
            local.CopyTo(gathered);
        }

        public override void AllToAll(ReadOnlySpan<byte> send, Span<byte> received)
        {
            if (received.Length != send.Length)
                throw new ArgumentException($"The receive buffer holds {received.Length} bytes; {send.Length} were expected.", nameof(received));
            send.CopyTo(received);
        }

        public override void Broadcast(Span<byte> buffer, int root) => ArgumentOutOfRangeException.ThrowIfNotEqual(root, 0);

        public override void Barrier()
        {
        }
    }
}
