// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.InteropServices;

namespace Microsoft.ML.SparseL1.Mpi;

/// <summary>
/// Opens libmpi with <c>dlopen(RTLD_NOW | RTLD_GLOBAL)</c> instead of <see cref="NativeLibrary"/>, which opens it
/// <c>RTLD_LAZY</c> without <c>RTLD_GLOBAL</c>.
/// </summary>
/// <remarks>
/// Why: MPI_Init dlopens Open MPI's components, and some of them use libmpi's symbols without linking libmpi
/// (mca_pml_ob1.so, mca_coll_han.so, mca_coll_adapt.so in Debian's 4.1.4), so they load only if libmpi's symbols are
/// global. With Debian's 4.1.4 a local load happens to work too: Open MPI opens its components RTLD_GLOBAL, and the
/// first one that links libmpi (mca_op_avx.so, or mca_allocator_basic.so when op/avx is excluded) promotes libmpi to
/// the global scope before ob1 is opened. That depends on the build and on the component order, so the binding does
/// not rely on it.
/// </remarks>
internal static partial class GlobalLoader
{
    private const int RtldNow = 0x002;
    private const int RtldGlobal = 0x100;

    /// <summary>Opens <paramref name="library"/> globally; on failure returns zero and the loader's reason.</summary>
    internal static IntPtr Open(string library, out string? reason)
    {
        IntPtr loaded;
        try
        {
            // Clears a stale error, and binds the dlerror import now: binding it after a failed dlopen would run the
            // runtime's own dlopen/dlsym, which erase the reason.
            dlerror();
            loaded = dlopen(library, RtldNow | RtldGlobal);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // A C library without libdl.so.2 (musl): the runtime's local load is the remaining option.
            loaded = NativeLibrary.TryLoad(library, out IntPtr handle) ? handle : IntPtr.Zero;
            reason = loaded == IntPtr.Zero ? "not found" : null;
            return loaded;
        }
        reason = loaded == IntPtr.Zero ? Marshal.PtrToStringUTF8(dlerror()) : null;
        return loaded;
    }

    // glibc 2.34 and later define dlopen in libc itself, and still ship libdl.so.2 exporting it for older programs; older
    // glibc has it only there. So the import names libdl.so.2, which both have.
    [LibraryImport("libdl.so.2", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr dlopen(string file, int mode);

    [LibraryImport("libdl.so.2")]
    private static partial IntPtr dlerror();
}
