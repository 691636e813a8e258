// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.InteropServices;

namespace Microsoft.ML.SparseL1.Mpi;

/// <summary>
/// Finds and loads Open MPI's libmpi, routes the <see cref="MpiNative"/> imports to it, and reads the addresses of its
/// predefined handles.
/// </summary>
internal static class MpiLibrary
{
    /// <summary>The library name in the <c>[LibraryImport]</c> declarations; <see cref="Resolve"/> maps it to the loaded handle.</summary>
    internal const string Name = "mpi";

    // The Open MPI 4.x/5.x soname first (what the runtime package installs); the unversioned name only exists with
    // libopenmpi-dev and may point at another MPI, which ReadHandles then rejects.
    private static readonly string[] s_candidates = ["libmpi.so.40", "libmpi.so"];

    private static readonly object s_gate = new();
    private static IntPtr s_handle;

    /// <summary>Loads libmpi once per process; throws <see cref="DllNotFoundException"/> saying what to install if it is absent.</summary>
    internal static IntPtr Load()
    {
        lock (s_gate)
        {
            if (s_handle != IntPtr.Zero)
                return s_handle;
            s_handle = LoadFirstCandidate();
            NativeLibrary.SetDllImportResolver(typeof(MpiLibrary).Assembly, Resolve);
            return s_handle;
        }
    }

    /// <summary>
    /// The address of an exported global: Open MPI's predefined handles (<c>MPI_COMM_WORLD</c>, <c>MPI_BYTE</c>, ...)
    /// are macros for the addresses of such objects, so a binding takes the address instead of a constant.
    /// </summary>
    internal static IntPtr Export(string symbol)
    {
        if (!NativeLibrary.TryGetExport(Load(), symbol, out IntPtr address))
            throw new InvalidOperationException($"The loaded libmpi does not export '{symbol}': it is not Open MPI. SparseL1.MLNet.Mpi needs Open MPI 4 or later (apt-get install openmpi-bin libopenmpi-dev).");
        return address;
    }

    private static IntPtr LoadFirstCandidate()
    {
        string reasons = "";
        foreach (string candidate in s_candidates)
        {
            IntPtr loaded = GlobalLoader.Open(candidate, out string? reason);
            if (loaded != IntPtr.Zero)
                return loaded;
            reasons += $" {candidate}: {reason}.";
        }
        throw new DllNotFoundException(
            "Open MPI's libmpi could not be loaded. Install Open MPI (apt-get install openmpi-bin libopenmpi-dev) and start "
            + "the processes with mpirun (mpirun -np 2 dotnet app.dll)." + reasons);
    }

    private static IntPtr Resolve(string libraryName, System.Reflection.Assembly assembly, DllImportSearchPath? searchPath)
        => libraryName == Name ? Load() : IntPtr.Zero;
}
