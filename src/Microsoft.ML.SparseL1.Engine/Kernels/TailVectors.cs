// Licensed under the MIT License. See LICENSE in the repository root.

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>
/// The last columns of a row, fewer than four vectors but at least one, as 1 to 4 whole vectors: at offsets 0,
/// <see cref="O1"/>, <see cref="O2"/>, <see cref="O3"/> from their first column (the first <see cref="Count"/> of them),
/// the last one ending at the row's end and so overlapping the one before. Offsets past <see cref="Count"/> repeat the
/// last, so a kernel may compute all four and store only <see cref="Count"/>. A kernel that adds into its destination
/// reads every vector before it writes any, so an overlapped element is added once.
/// </summary>
internal readonly record struct TailVectors(int Count, nuint O1, nuint O2, nuint O3)
{
    /// <summary>The vectors covering <paramref name="columns"/> columns (from one vector to fewer than four) of <paramref name="width"/> lanes.</summary>
    public static TailVectors Of(int columns, int width)
    {
        int count = (columns + width - 1) / width;
        nuint last = (nuint)(columns - width);
        return new TailVectors(count, count > 2 ? (nuint)width : last, count > 3 ? (nuint)(2 * width) : last, last);
    }
}
