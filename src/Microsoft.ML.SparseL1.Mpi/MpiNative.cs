// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.InteropServices;

namespace Microsoft.ML.SparseL1.Mpi;

/// <summary>
/// The MPI C functions this binding calls, as declared in Open MPI's mpi.h. Every one returns an MPI error code
/// (0 is MPI_SUCCESS). Handles (<c>MPI_Comm</c>, <c>MPI_Datatype</c>, <c>MPI_Errhandler</c>) are pointers in Open MPI,
/// taken from <see cref="MpiLibrary.Export"/>. <see cref="MpiLibrary.Load"/> must run before the first call: it
/// registers the resolver that maps <see cref="MpiLibrary.Name"/> to libmpi.
/// </summary>
internal static unsafe partial class MpiNative
{
    /// <summary>MPI_MAX_ERROR_STRING in Open MPI's mpi.h.</summary>
    internal const int MaxErrorString = 256;

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Initialized(out int flag);

    /// <summary>MPI_THREAD_SERIALIZED in Open MPI's mpi.h: any thread may call MPI, one at a time.</summary>
    internal const int ThreadSerialized = 2;

    /// <summary>Called with null argc and argv: MPI-2 allows it, and mpirun passes everything through the environment.</summary>
    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Init_thread(IntPtr argc, IntPtr argv, int required, out int provided);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Finalized(out int flag);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Finalize();

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Comm_rank(IntPtr comm, out int rank);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Comm_size(IntPtr comm, out int size);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Allgather(byte* sendBuffer, int sendCount, IntPtr sendType, byte* receiveBuffer, int receiveCount, IntPtr receiveType, IntPtr comm);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Alltoall(byte* sendBuffer, int sendCount, IntPtr sendType, byte* receiveBuffer, int receiveCount, IntPtr receiveType, IntPtr comm);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Bcast(byte* buffer, int count, IntPtr type, int root, IntPtr comm);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Barrier(IntPtr comm);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Abort(IntPtr comm, int errorCode);

    /// <summary>Writes at most <see cref="MaxErrorString"/> bytes (no terminator counted in <paramref name="length"/>).</summary>
    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Error_string(int errorCode, byte* text, out int length);

    [LibraryImport(MpiLibrary.Name)]
    internal static partial int MPI_Comm_set_errhandler(IntPtr comm, IntPtr handler);
}
