// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>
/// Float arrays whose data starts on a cache line where it matters: a 512-bit load that crosses a line costs two, and an
/// ordinary array's data starts 16 bytes into one, so every vector of a column read whole crossed a line.
/// </summary>
internal static class AlignedArrays
{
    /// <summary>The alignment in bytes: a cache line, the width of a 512-bit vector.</summary>
    public const int Bytes = 64;

    /// <summary>
    /// An array of at least <paramref name="length"/> floats from <c>Start</c> on, zeroed, with <c>Start</c> the index of its
    /// first float on a 64-byte boundary. It lives on the pinned object heap, where the collector never moves it, so the
    /// alignment found once holds for its life.
    /// </summary>
    public static unsafe (float[] Array, int Start) Floats(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var array = GC.AllocateArray<float>(checked(length + Bytes / sizeof(float) - 1), pinned: true);
        fixed (float* first = array)
            return (array, (int)((Bytes - ((nint)first & (Bytes - 1))) & (Bytes - 1)) / sizeof(float));
    }
}
