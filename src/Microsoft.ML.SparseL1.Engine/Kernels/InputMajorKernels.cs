// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>
/// The single-row product of a layer stored by input column (each column dense over the outputs, padded to
/// <see cref="Stride"/>): <c>y = b + Σ_k x_k · W[:, column k]</c> over the row's nonzero inputs only, vectorized across the
/// outputs, with the accumulators in registers. Each output's sum runs over the inputs in ascending order with one fused
/// multiply-add per input, so every vector width and the scalar path give the same bits.
/// </summary>
internal static class InputMajorKernels
{
    /// <summary>The padding of a column: a multiple of every vector width (16 lanes of 512 bits), so no lane is left over.</summary>
    public const int Stride = 16;

    /// <summary>
    /// <c>y[o] = bias[o] + Σ_k values[k] · weights[offsets[k] + o]</c> for o below <paramref name="stride"/>, the sum in k's
    /// order, one fused multiply-add per term.
    /// </summary>
    /// <param name="offsets">Where each term's column starts in <paramref name="weights"/>.</param>
    /// <param name="values">Each term's input value.</param>
    /// <param name="weights">The columns, each <paramref name="stride"/> floats.</param>
    /// <param name="stride">Floats per column, a multiple of <see cref="Stride"/>.</param>
    /// <param name="bias">The bias, <paramref name="stride"/> floats (zero beyond the outputs).</param>
    /// <param name="y">Destination of <paramref name="stride"/> floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(ReadOnlySpan<int> offsets, ReadOnlySpan<float> values, ReadOnlySpan<float> weights, int stride, ReadOnlySpan<float> bias, Span<float> y)
    {
        if (stride % Stride != 0 || bias.Length < stride || y.Length < stride || offsets.Length != values.Length)
            throw new ArgumentException("The stride, bias, output or terms do not match.", nameof(stride));
        for (int k = 0; k < offsets.Length; k++)
        {
            if ((uint)offsets[k] > (uint)(weights.Length - stride))
                throw new ArgumentException($"Term {k}'s column starts at {offsets[k]}, outside the {weights.Length} weights.", nameof(offsets));
        }

        switch (KernelDispatch.Current)
        {
            case KernelPath.Vector512:
                Vectors<Vector512<float>, Simd512>(offsets, values, weights, stride, bias, y);
                break;
            case KernelPath.Vector256:
                Vectors<Vector256<float>, Simd256>(offsets, values, weights, stride, bias, y);
                break;
            case KernelPath.Vector128:
                Vectors<Vector128<float>, Simd128>(offsets, values, weights, stride, bias, y);
                break;
            default:
                Scalar(offsets, values, weights, stride, bias, y);
                break;
        }
    }

    /// <summary>Blocks of 12 vectors of outputs (independent chains through the FMA latency), then of 4, then single vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Vectors<TVec, TOps>(ReadOnlySpan<int> offsets, ReadOnlySpan<float> values, ReadOnlySpan<float> weights, int stride,
        ReadOnlySpan<float> bias, Span<float> y)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int width = TOps.Count, count = offsets.Length;
        ref float w = ref MemoryMarshal.GetReference(weights);
        ref int offset = ref MemoryMarshal.GetReference(offsets);
        ref float value = ref MemoryMarshal.GetReference(values);
        ref float b = ref MemoryMarshal.GetReference(bias);
        ref float output = ref MemoryMarshal.GetReference(y);
        int o = TwelveVectors<TVec, TOps>(offsets, values, weights, stride, bias, y);
        for (; o <= stride - 4 * width; o += 4 * width)
        {
            TVec a0 = TOps.Load(ref b, (nuint)o), a1 = TOps.Load(ref b, (nuint)(o + width)), a2 = TOps.Load(ref b, (nuint)(o + 2 * width)),
                a3 = TOps.Load(ref b, (nuint)(o + 3 * width));
            for (int k = 0; k < count; k++)
            {
                TVec v = TOps.Broadcast(Unsafe.Add(ref value, k));
                ref float column = ref Unsafe.Add(ref w, Unsafe.Add(ref offset, k) + o);
                a0 = TOps.MultiplyAdd(v, TOps.Load(ref column, 0), a0);
                a1 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)width), a1);
                a2 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(2 * width)), a2);
                a3 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(3 * width)), a3);
            }

            TOps.Store(a0, ref output, (nuint)o);
            TOps.Store(a1, ref output, (nuint)(o + width));
            TOps.Store(a2, ref output, (nuint)(o + 2 * width));
            TOps.Store(a3, ref output, (nuint)(o + 3 * width));
        }

        for (; o < stride; o += width)
        {
            TVec a = TOps.Load(ref b, (nuint)o);
            for (int k = 0; k < count; k++)
                a = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref value, k)), TOps.Load(ref Unsafe.Add(ref w, Unsafe.Add(ref offset, k) + o), 0), a);
            TOps.Store(a, ref output, (nuint)o);
        }
    }

    /// <summary>
    /// Blocks of 12 vectors of outputs (a 181-neuron layer is one block of 512-bit vectors: each used input's column is
    /// read once, contiguously); returns the first output not covered.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int TwelveVectors<TVec, TOps>(ReadOnlySpan<int> offsets, ReadOnlySpan<float> values, ReadOnlySpan<float> weights, int stride,
        ReadOnlySpan<float> bias, Span<float> y)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int width = TOps.Count, count = offsets.Length, o = 0;
        ref float w = ref MemoryMarshal.GetReference(weights);
        ref int offset = ref MemoryMarshal.GetReference(offsets);
        ref float value = ref MemoryMarshal.GetReference(values);
        ref float b = ref MemoryMarshal.GetReference(bias);
        ref float output = ref MemoryMarshal.GetReference(y);
        for (; o <= stride - 12 * width; o += 12 * width)
        {
            TVec a0 = TOps.Load(ref b, (nuint)o), a1 = TOps.Load(ref b, (nuint)(o + width)), a2 = TOps.Load(ref b, (nuint)(o + 2 * width)),
                a3 = TOps.Load(ref b, (nuint)(o + 3 * width)), a4 = TOps.Load(ref b, (nuint)(o + 4 * width)), a5 = TOps.Load(ref b, (nuint)(o + 5 * width)),
                a6 = TOps.Load(ref b, (nuint)(o + 6 * width)), a7 = TOps.Load(ref b, (nuint)(o + 7 * width)), a8 = TOps.Load(ref b, (nuint)(o + 8 * width)),
                a9 = TOps.Load(ref b, (nuint)(o + 9 * width)), a10 = TOps.Load(ref b, (nuint)(o + 10 * width)), a11 = TOps.Load(ref b, (nuint)(o + 11 * width));
            for (int k = 0; k < count; k++)
            {
                TVec v = TOps.Broadcast(Unsafe.Add(ref value, k));
                ref float column = ref Unsafe.Add(ref w, Unsafe.Add(ref offset, k) + o);
                a0 = TOps.MultiplyAdd(v, TOps.Load(ref column, 0), a0);
                a1 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)width), a1);
                a2 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(2 * width)), a2);
                a3 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(3 * width)), a3);
                a4 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(4 * width)), a4);
                a5 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(5 * width)), a5);
                a6 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(6 * width)), a6);
                a7 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(7 * width)), a7);
                a8 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(8 * width)), a8);
                a9 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(9 * width)), a9);
                a10 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(10 * width)), a10);
                a11 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(11 * width)), a11);
            }

            TOps.Store(a0, ref output, (nuint)o);
            TOps.Store(a1, ref output, (nuint)(o + width));
            TOps.Store(a2, ref output, (nuint)(o + 2 * width));
            TOps.Store(a3, ref output, (nuint)(o + 3 * width));
            TOps.Store(a4, ref output, (nuint)(o + 4 * width));
            TOps.Store(a5, ref output, (nuint)(o + 5 * width));
            TOps.Store(a6, ref output, (nuint)(o + 6 * width));
            TOps.Store(a7, ref output, (nuint)(o + 7 * width));
            TOps.Store(a8, ref output, (nuint)(o + 8 * width));
            TOps.Store(a9, ref output, (nuint)(o + 9 * width));
            TOps.Store(a10, ref output, (nuint)(o + 10 * width));
            TOps.Store(a11, ref output, (nuint)(o + 11 * width));
        }

        return o;
    }

    private static void Scalar(ReadOnlySpan<int> offsets, ReadOnlySpan<float> values, ReadOnlySpan<float> weights, int stride, ReadOnlySpan<float> bias, Span<float> y)
    {
        for (int o = 0; o < stride; o++)
        {
            float sum = bias[o];
            for (int k = 0; k < offsets.Length; k++)
                sum = MathF.FusedMultiplyAdd(values[k], weights[offsets[k] + o], sum);
            y[o] = sum;
        }
    }
}
