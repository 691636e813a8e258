// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>
/// The gradient of a layer's kept weights on a feature-major batch: one dot product over the batch per kept weight, of
/// its output's delta row and its input's row. The weights come as a list of entries (output, input, where the gradient
/// goes) in any order: the caller orders them so that the rows they read stay in the first-level cache
/// (<see cref="Training.Optimizer.KeptWeights.ByOutputGroups"/>: a few outputs' delta rows at a time, their inputs
/// ascending, so each input row is read from memory once per group and in address order).
/// </summary>
/// <remarks>
/// Each entry's sum is the same sequence of operations wherever it sits in the list and whichever thread runs it: on the
/// vector paths the lanes a vector at a time into one accumulator from zero, the vector's lanes summed, then the lanes
/// left over one at a time; on the scalar path the lanes one at a time. So any order of the entries and any split
/// between threads give the same bits.
/// </remarks>
internal static class KeptGradientKernels
{
    /// <summary>
    /// <c>gradient[gradientIndices[e]] = Σ_b deltas[outputRows[e], b] · x[inputRows[e], b]</c> for the entries e in
    /// [<paramref name="first"/>, <paramref name="end"/>) (added to the gradient with <paramref name="accumulate"/>), where
    /// deltas is outputs x <paramref name="batch"/> and x inputs x batch, both row-major.
    /// </summary>
    /// <param name="outputRows">Each entry's output neuron: its row of <paramref name="deltas"/>.</param>
    /// <param name="inputRows">Each entry's input: its row of <paramref name="x"/>.</param>
    /// <param name="gradientIndices">Each entry's index in <paramref name="gradient"/>.</param>
    /// <param name="deltas">The output gradient by neuron.</param>
    /// <param name="x">The batch's inputs by feature.</param>
    /// <param name="batch">The batch's rows: the length of each row of <paramref name="deltas"/> and <paramref name="x"/>.</param>
    /// <param name="first">The first entry to compute.</param>
    /// <param name="end">One past the last entry to compute.</param>
    /// <param name="gradient">The kept weights' gradient, indexed by <paramref name="gradientIndices"/>.</param>
    /// <param name="accumulate">Whether to add to the gradient instead of overwriting it.</param>
    /// <remarks>
    /// The entries' rows and gradient indices are not checked, as the CSR kernels' columns are not: a check a row was
    /// measurably slower (docs/kernels.md). The caller passes a list made by <see cref="Training.Optimizer.KeptWeights"/>
    /// for matrices of the shape it was made resident with (<see cref="Training.Passes.FrozenLayerPass"/> checks the shapes).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gradient(ReadOnlySpan<int> outputRows, ReadOnlySpan<int> inputRows, ReadOnlySpan<int> gradientIndices, ReadOnlySpan<float> deltas,
        ReadOnlySpan<float> x, int batch, int first, int end, Span<float> gradient, bool accumulate)
    {
        int given = Math.Min(outputRows.Length, Math.Min(inputRows.Length, gradientIndices.Length));
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        if (end < first || end > given)
            throw new ArgumentOutOfRangeException(nameof(end), $"Entries [{first}, {end}) are outside the {given} given.");
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        switch (KernelDispatch.Current)
        {
            case KernelPath.Vector512:
                Entries<Vector512<float>, Simd512>(outputRows, inputRows, gradientIndices, deltas, x, batch, first, end, gradient, accumulate);
                break;
            case KernelPath.Vector256:
                Entries<Vector256<float>, Simd256>(outputRows, inputRows, gradientIndices, deltas, x, batch, first, end, gradient, accumulate);
                break;
            case KernelPath.Vector128:
                Entries<Vector128<float>, Simd128>(outputRows, inputRows, gradientIndices, deltas, x, batch, first, end, gradient, accumulate);
                break;
            default:
                EntriesScalar(outputRows, inputRows, gradientIndices, deltas, x, batch, first, end, gradient, accumulate);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Entries<TVec, TOps>(ReadOnlySpan<int> outputRows, ReadOnlySpan<int> inputRows, ReadOnlySpan<int> gradientIndices,
        ReadOnlySpan<float> deltas, ReadOnlySpan<float> x, int batch, int first, int end, Span<float> gradient, bool accumulate)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int width = TOps.Count, vectorLanes = batch - batch % width;
        ref float input = ref MemoryMarshal.GetReference(x);
        ref float delta = ref MemoryMarshal.GetReference(deltas);
        ref float sink = ref MemoryMarshal.GetReference(gradient);
        int e = first;
        // Four entries side by side: four independent multiply-add chains, where one entry alone waits on each link of its own.
        for (; e <= end - 4; e += 4)
        {
            ref float d0 = ref Row(ref delta, outputRows[e], batch), d1 = ref Row(ref delta, outputRows[e + 1], batch);
            ref float d2 = ref Row(ref delta, outputRows[e + 2], batch), d3 = ref Row(ref delta, outputRows[e + 3], batch);
            ref float x0 = ref Row(ref input, inputRows[e], batch), x1 = ref Row(ref input, inputRows[e + 1], batch);
            ref float x2 = ref Row(ref input, inputRows[e + 2], batch), x3 = ref Row(ref input, inputRows[e + 3], batch);
            TVec a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
            for (int b = 0; b < vectorLanes; b += width)
            {
                a0 = TOps.MultiplyAdd(TOps.Load(ref d0, (nuint)b), TOps.Load(ref x0, (nuint)b), a0);
                a1 = TOps.MultiplyAdd(TOps.Load(ref d1, (nuint)b), TOps.Load(ref x1, (nuint)b), a1);
                a2 = TOps.MultiplyAdd(TOps.Load(ref d2, (nuint)b), TOps.Load(ref x2, (nuint)b), a2);
                a3 = TOps.MultiplyAdd(TOps.Load(ref d3, (nuint)b), TOps.Load(ref x3, (nuint)b), a3);
            }

            Finish(ref d0, ref x0, vectorLanes, batch, TOps.Sum(a0), ref Unsafe.Add(ref sink, gradientIndices[e]), accumulate);
            Finish(ref d1, ref x1, vectorLanes, batch, TOps.Sum(a1), ref Unsafe.Add(ref sink, gradientIndices[e + 1]), accumulate);
            Finish(ref d2, ref x2, vectorLanes, batch, TOps.Sum(a2), ref Unsafe.Add(ref sink, gradientIndices[e + 2]), accumulate);
            Finish(ref d3, ref x3, vectorLanes, batch, TOps.Sum(a3), ref Unsafe.Add(ref sink, gradientIndices[e + 3]), accumulate);
        }

        for (; e < end; e++)
        {
            ref float deltaRow = ref Row(ref delta, outputRows[e], batch);
            ref float inputRow = ref Row(ref input, inputRows[e], batch);
            TVec a = TOps.Zero;
            for (int b = 0; b < vectorLanes; b += width)
                a = TOps.MultiplyAdd(TOps.Load(ref deltaRow, (nuint)b), TOps.Load(ref inputRow, (nuint)b), a);
            Finish(ref deltaRow, ref inputRow, vectorLanes, batch, TOps.Sum(a), ref Unsafe.Add(ref sink, gradientIndices[e]), accumulate);
        }
    }

    /// <summary>The start of row <paramref name="row"/> of a row-major matrix with rows of <paramref name="batch"/> floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float Row(ref float matrix, int row, int batch) => ref Unsafe.Add(ref matrix, row * batch);

    /// <summary>Adds the lanes the vectors did not cover to an entry's sum and stores it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(ref float deltaRow, ref float inputRow, int vectorLanes, int batch, float sum, ref float target, bool accumulate)
    {
        for (int b = vectorLanes; b < batch; b++)
            sum = MathF.FusedMultiplyAdd(Unsafe.Add(ref deltaRow, b), Unsafe.Add(ref inputRow, b), sum);
        target = accumulate ? target + sum : sum;
    }

    private static void EntriesScalar(ReadOnlySpan<int> outputRows, ReadOnlySpan<int> inputRows, ReadOnlySpan<int> gradientIndices, ReadOnlySpan<float> deltas,
        ReadOnlySpan<float> x, int batch, int first, int end, Span<float> gradient, bool accumulate)
    {
        for (int e = first; e < end; e++)
        {
            var deltaRow = deltas.Slice(outputRows[e] * batch, batch);
            var inputRow = x.Slice(inputRows[e] * batch, batch);
            float sum = 0;
            for (int b = 0; b < batch; b++)
                sum = MathF.FusedMultiplyAdd(deltaRow[b], inputRow[b], sum);
            ref float target = ref gradient[gradientIndices[e]];
            target = accumulate ? target + sum : sum;
        }
    }
}
