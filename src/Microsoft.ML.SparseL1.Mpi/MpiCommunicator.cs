// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Text;

namespace Microsoft.ML.SparseL1.Mpi;

/// <summary>
/// The processes of an Open MPI job (<c>MPI_COMM_WORLD</c>) as a <see cref="SparseL1Communicator"/>: start them with
/// <c>mpirun -np N dotnet app.dll</c>, call <see cref="Initialize"/> once in each, and dispose it before the process
/// exits. Without mpirun the process is rank 0 of 1 (an MPI singleton).
/// </summary>
/// <remarks>
/// MPI errors come back as <see cref="MpiException"/> instead of terminating the process. A rank that fails while the
/// others wait in a collective would leave them blocked: catch the exception and call <see cref="Abort"/>, which
/// makes mpirun stop every rank. MPI is initialized for serialized calls (<c>MPI_THREAD_SERIALIZED</c>): any thread may
/// make the calls (ML.NET may fit on any thread), one at a time; a group is used by one fit or sweep at a time.
/// </remarks>
public sealed class MpiCommunicator : SparseL1Communicator, IDisposable
{
    // MPI_Init may run once per process; two threads initializing at once would both see "not initialized".
    private static readonly object s_initializationGate = new();

    private readonly IntPtr _world;
    private readonly IntPtr _byteType;
    private readonly int _rank;
    private readonly int _size;
    // Only the instance that called MPI_Init finalizes: MPI initialized by the host (or by an earlier instance that
    // is still in use) belongs to whoever initialized it.
    private readonly bool _ownsInitialization;
    private bool _disposed;

    private MpiCommunicator(IntPtr world, IntPtr byteType, int rank, int size, bool ownsInitialization)
    {
        _world = world;
        _byteType = byteType;
        _rank = rank;
        _size = size;
        _ownsInitialization = ownsInitialization;
    }

    /// <summary>
    /// Initializes MPI unless it already is, makes <c>MPI_COMM_WORLD</c> return error codes (see
    /// <see cref="MpiException"/>), and reads this process's rank and the number of processes.
    /// </summary>
    /// <exception cref="DllNotFoundException">Open MPI's libmpi is not installed.</exception>
    /// <exception cref="InvalidOperationException">MPI was already finalized in this process, or libmpi is not Open MPI.</exception>
    /// <exception cref="MpiException">An MPI call failed.</exception>
    public static MpiCommunicator Initialize()
    {
        lock (s_initializationGate)
        {
            MpiLibrary.Load();
            // Read before MPI_Init so that another MPI's libmpi.so is rejected without being initialized.
            IntPtr world = MpiLibrary.Export("ompi_mpi_comm_world");
            IntPtr byteType = MpiLibrary.Export("ompi_mpi_byte");
            IntPtr errorsReturn = MpiLibrary.Export("ompi_mpi_errors_return");

            Check(MpiNative.MPI_Finalized(out int finalized), "MPI_Finalized", -1);
            if (finalized != 0)
                throw new InvalidOperationException("MPI was finalized in this process (an MpiCommunicator was disposed); MPI cannot be initialized twice in one process.");
            Check(MpiNative.MPI_Initialized(out int initialized), "MPI_Initialized", -1);
            if (initialized == 0)
            {
                Check(MpiNative.MPI_Init_thread(IntPtr.Zero, IntPtr.Zero, MpiNative.ThreadSerialized, out int provided), "MPI_Init_thread", -1);
                if (provided < MpiNative.ThreadSerialized)
                    throw new InvalidOperationException($"This Open MPI provides thread level {provided}; calls from more than one thread (MPI_THREAD_SERIALIZED, 2) are needed.");
            }

            // The default handler (MPI_ERRORS_ARE_FATAL) would end the process inside the call, without a .NET exception.
            Check(MpiNative.MPI_Comm_set_errhandler(world, errorsReturn), "MPI_Comm_set_errhandler", -1);
            Check(MpiNative.MPI_Comm_rank(world, out int rank), "MPI_Comm_rank", -1);
            Check(MpiNative.MPI_Comm_size(world, out int size), "MPI_Comm_size", rank);
            return new MpiCommunicator(world, byteType, rank, size, ownsInitialization: initialized == 0);
        }
    }

    /// <inheritdoc/>
    public override int Rank
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _rank;
        }
    }

    /// <inheritdoc/>
    public override int Size
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _size;
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Span lengths are <see cref="int"/>s, so both MPI counts (<paramref name="local"/>'s length, and the
    /// <see cref="Size"/> × that length that MPI writes) always fit MPI's <c>int</c> count: no chunking is needed.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="gathered"/> is not <see cref="Size"/> × <paramref name="local"/>'s length, or the two overlap.</exception>
    /// <exception cref="MpiException">MPI_Allgather failed.</exception>
    public override unsafe void AllGather(ReadOnlySpan<byte> local, Span<byte> gathered)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long expected = (long)_size * local.Length;
        if (gathered.Length != expected)
            throw new ArgumentException($"The gather buffer holds {gathered.Length} bytes; {_size} ranks × {local.Length} bytes = {expected} were expected.", nameof(gathered));
        // MPI forbids aliased send and receive buffers (in place needs MPI_IN_PLACE); the result would be undefined.
        if (local.Overlaps(gathered))
            throw new ArgumentException("The local bytes overlap the gather buffer; MPI needs separate buffers.", nameof(local));
        // Every rank passes the same length, so a zero-length gather is skipped on all of them alike.
        if (local.IsEmpty)
            return;
        fixed (byte* send = local)
        fixed (byte* receive = gathered)
            Check(MpiNative.MPI_Allgather(send, local.Length, _byteType, receive, local.Length, _byteType, _world), "MPI_Allgather", _rank);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="root"/> is not in [0, <see cref="Size"/>).</exception>
    /// <exception cref="MpiException">MPI_Bcast failed.</exception>
    public override unsafe void Broadcast(Span<byte> buffer, int root)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, _size);
        // As in AllGather: the same length everywhere, so every rank skips an empty broadcast.
        if (buffer.IsEmpty)
            return;
        fixed (byte* data = buffer)
            Check(MpiNative.MPI_Bcast(data, buffer.Length, _byteType, root, _world), "MPI_Bcast", _rank);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The buffers differ in length, their length is not a multiple of <see cref="Size"/>, or they overlap.</exception>
    /// <exception cref="MpiException">MPI_Alltoall failed.</exception>
    public override unsafe void AllToAll(ReadOnlySpan<byte> send, Span<byte> received)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (received.Length != send.Length || send.Length % _size != 0)
            throw new ArgumentException($"AllToAll needs send and receive buffers of the same length, a multiple of the {_size} ranks; got {send.Length} and {received.Length} bytes.", nameof(received));
        if (send.Overlaps(received))
            throw new ArgumentException("The send bytes overlap the receive buffer; MPI needs separate buffers.", nameof(send));
        if (send.IsEmpty)
            return;
        fixed (byte* from = send)
        fixed (byte* to = received)
            Check(MpiNative.MPI_Alltoall(from, send.Length / _size, _byteType, to, send.Length / _size, _byteType, _world), "MPI_Alltoall", _rank);
    }

    /// <inheritdoc/>
    /// <exception cref="MpiException">MPI_Barrier failed.</exception>
    public override void Barrier()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Check(MpiNative.MPI_Barrier(_world), "MPI_Barrier", _rank);
    }

    /// <summary>
    /// Stops every process of the job (MPI_Abort on <c>MPI_COMM_WORLD</c>); mpirun exits with
    /// <paramref name="errorCode"/>. The fault path: a rank that cannot continue calls it so that the others do not
    /// wait forever in their next collective. It does not return.
    /// </summary>
    /// <exception cref="MpiException">MPI_Abort returned (it should not).</exception>
    public void Abort(int errorCode)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Check(MpiNative.MPI_Abort(_world, errorCode), "MPI_Abort", _rank);
    }

    /// <summary>
    /// Finalizes MPI if this instance initialized it (collective: every rank disposes). Later calls do nothing; every
    /// other member then throws <see cref="ObjectDisposedException"/>, and MPI cannot be initialized again in this process.
    /// </summary>
    /// <exception cref="MpiException">MPI_Finalize failed.</exception>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (!_ownsInitialization)
            return;
        Check(MpiNative.MPI_Finalized(out int finalized), "MPI_Finalized", _rank);
        if (finalized == 0)
            Check(MpiNative.MPI_Finalize(), "MPI_Finalize", _rank);
    }

    private static void Check(int errorCode, string function, int rank)
    {
        if (errorCode != 0)
            throw new MpiException(function, rank, errorCode, Describe(errorCode));
    }

    private static unsafe string Describe(int errorCode)
    {
        byte* text = stackalloc byte[MpiNative.MaxErrorString + 1];
        return MpiNative.MPI_Error_string(errorCode, text, out int length) == 0
            ? Encoding.UTF8.GetString(text, Math.Clamp(length, 0, MpiNative.MaxErrorString))
            : "no description (MPI_Error_string failed)";
    }
}
