// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>
/// Software prefetch of a row of a large row-major matrix that will be read soon: a hint to the processor, which changes
/// no result (a prefetch never faults and is dropped where the instruction does not exist).
/// </summary>
internal static class RowPrefetch
{
    private const int LineBytes = 64;

    /// <summary>Asks for row <paramref name="row"/> of <paramref name="matrix"/> (rows of <paramref name="columns"/> floats) in the caches.</summary>
    public static unsafe void Row(float[] matrix, int row, int columns)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        long start = (long)row * columns;
        if (row < 0 || start + columns > matrix.Length)
            throw new ArgumentOutOfRangeException(nameof(row), $"Row {row} of {columns} floats is outside the {matrix.Length} floats given.");
        if (!Sse.IsSupported || columns == 0)
            return;
        fixed (float* data = matrix)
        {
            // Every line the row touches, from the one its first float is on (an array's data need not start on a line)
            // to the one its last float is on.
            nuint first = (nuint)(data + start) & ~(nuint)(LineBytes - 1), last = (nuint)(data + start + columns - 1);
            for (nuint line = first; line <= last; line += LineBytes)
                Sse.Prefetch0((void*)line);
        }
    }
}
