// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>
/// The terms of a single-row product by input (<see cref="InputMajorKernels"/>): the row's inputs that are nonzero and
/// used by the layer, ascending, each with where its column starts. With AVX-512 sixteen inputs are compared at a time
/// and their terms packed by one compress each (no branch, no per-input loop); otherwise one used input at a time. Both
/// give the same list.
/// </summary>
internal static class InputMajorTerms
{
    /// <summary>
    /// Writes the terms of <paramref name="x"/> and returns their count: for each input i, ascending, with
    /// <c>x[i] ≠ 0</c> and <c>columnOffsets[i] ≥ 0</c>, <c>offsets[k] = columnOffsets[i]</c> and <c>values[k] = x[i]</c>.
    /// </summary>
    /// <param name="x">The row.</param>
    /// <param name="used">The used inputs, ascending (those with a column).</param>
    /// <param name="columnOffsets">Per input of the row, where its column starts, or −1 for an input the layer does not use.</param>
    /// <param name="offsets">Destination of the terms' column offsets, at least as long as the row.</param>
    /// <param name="values">Destination of the terms' input values, as long.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Gather(ReadOnlySpan<float> x, ReadOnlySpan<int> used, ReadOnlySpan<int> columnOffsets, Span<int> offsets, Span<float> values)
    {
        if (columnOffsets.Length != x.Length || offsets.Length < x.Length || values.Length < x.Length
            || (used.Length > 0 && (uint)used[^1] >= (uint)x.Length))
            throw new ArgumentException($"The row of {x.Length} values, its {columnOffsets.Length} column offsets and the term buffers do not match.", nameof(x));
        ref float row = ref MemoryMarshal.GetReference(x);
        ref int columns = ref MemoryMarshal.GetReference(columnOffsets);
        ref int offset = ref MemoryMarshal.GetReference(offsets);
        ref float value = ref MemoryMarshal.GetReference(values);
        int count = 0;
        if (KernelDispatch.Current != KernelPath.Vector512 || !Avx512F.IsSupported)
        {
            // Each used input is written, and the count moves on past the nonzero ones only (no branch on the data).
            foreach (int input in used)
            {
                float term = Unsafe.Add(ref row, input);
                Unsafe.Add(ref offset, count) = Unsafe.Add(ref columns, input);
                Unsafe.Add(ref value, count) = term;
                count += term != 0f ? 1 : 0;
            }

            return count;
        }

        // The packed vector is stored whole (a compress to memory is microcoded on AMD): at input i at most i terms were
        // kept, so the store of 16 from there stays within the row's length.
        int i = 0;
        for (; i <= x.Length - Vector512<float>.Count; i += Vector512<float>.Count)
        {
            var inputs = Vector512.LoadUnsafe(ref row, (nuint)i);
            var columnStarts = Vector512.LoadUnsafe(ref columns, (nuint)i);
            var kept = ~Vector512.Equals(inputs, Vector512<float>.Zero).AsInt32() & Vector512.GreaterThanOrEqual(columnStarts, Vector512<int>.Zero);
            Avx512F.Compress(Vector512<int>.Zero, kept, columnStarts).StoreUnsafe(ref offset, (nuint)count);
            Avx512F.Compress(Vector512<float>.Zero, kept.AsSingle(), inputs).StoreUnsafe(ref value, (nuint)count);
            count += BitOperations.PopCount(kept.ExtractMostSignificantBits());
        }

        for (; i < x.Length; i++)
        {
            float term = Unsafe.Add(ref row, i);
            int column = Unsafe.Add(ref columns, i);
            Unsafe.Add(ref offset, count) = column;
            Unsafe.Add(ref value, count) = term;
            count += term != 0f && column >= 0 ? 1 : 0;
        }

        return count;
    }
}
