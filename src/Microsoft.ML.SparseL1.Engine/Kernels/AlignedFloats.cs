// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>
/// A float buffer whose first element starts on a cache line: a 512-bit load that crosses a line costs two, and an
/// ordinary array's data starts 16 bytes into one, so every vector of a row read whole crossed a line. The array lives on
/// the pinned object heap, where the collector never moves it, so the alignment found once holds for its life.
/// </summary>
internal readonly struct AlignedFloats
{
    /// <summary>The alignment in bytes: a cache line, the width of a 512-bit vector.</summary>
    public const int Bytes = 64;

    private readonly float[]? _array;
    private readonly int _start;

    private AlignedFloats(float[] array, int start, int length) => (_array, _start, Length) = (array, start, length);

    /// <summary>The number of floats.</summary>
    public int Length { get; }

    /// <summary>The buffer: <see cref="Length"/> floats from the cache line (empty for a default value).</summary>
    public Span<float> Span => _array is null ? [] : _array.AsSpan(_start, Length);

    /// <summary><paramref name="length"/> zeroed floats from a 64-byte boundary.</summary>
    public static unsafe AlignedFloats Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var array = GC.AllocateArray<float>(checked(length + Bytes / sizeof(float) - 1), pinned: true);
        fixed (float* first = array)
            return new AlignedFloats(array, (int)((Bytes - ((nint)first & (Bytes - 1))) & (Bytes - 1)) / sizeof(float), length);
    }
}
