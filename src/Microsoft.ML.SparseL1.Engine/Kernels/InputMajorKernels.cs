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

    /// <summary>
    /// The outputs in passes of at most <see cref="MaximumChains"/> vectors, as even as they divide (13 vectors of 512 bits,
    /// a 208-neuron layer, are one pass: each used input's column is read once, contiguously; a pass of one or two vectors
    /// would wait on the multiply-add latency at every input).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Vectors<TVec, TOps>(ReadOnlySpan<int> offsets, ReadOnlySpan<float> values, ReadOnlySpan<float> weights, int stride,
        ReadOnlySpan<float> bias, Span<float> y)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        ref float w = ref MemoryMarshal.GetReference(weights);
        ref float b = ref MemoryMarshal.GetReference(bias);
        ref float output = ref MemoryMarshal.GetReference(y);
        int vectors = stride / TOps.Count, o = 0;
        for (int passes = (vectors + MaximumChains(TOps.Count) - 1) / MaximumChains(TOps.Count); passes > 0; passes--)
        {
            int chains = (vectors + passes - 1) / passes;
            PassOf<TVec, TOps>(chains, offsets, values, ref w, ref b, ref output, o);
            o += chains * TOps.Count;
            vectors -= chains;
        }
    }

    /// <summary>
    /// Accumulators a pass keeps in registers: 16 with 512-bit vectors (32 registers), 12 otherwise (16 registers with AVX2,
    /// two left for the broadcast input and a loaded column vector).
    /// </summary>
    private static int MaximumChains(int width) => width == 16 ? 16 : 12;

    /// <summary>The <see cref="Pass"/> of <paramref name="chains"/> vectors from <paramref name="o"/>.</summary>
    private static void PassOf<TVec, TOps>(int chains, ReadOnlySpan<int> offsets, ReadOnlySpan<float> values, ref float w, ref float b, ref float output, int o)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        switch (chains)
        {
            case 1: Pass<TVec, TOps, Chains1>(offsets, values, ref w, ref b, ref output, o); break;
            case 2: Pass<TVec, TOps, Chains2>(offsets, values, ref w, ref b, ref output, o); break;
            case 3: Pass<TVec, TOps, Chains3>(offsets, values, ref w, ref b, ref output, o); break;
            case 4: Pass<TVec, TOps, Chains4>(offsets, values, ref w, ref b, ref output, o); break;
            case 5: Pass<TVec, TOps, Chains5>(offsets, values, ref w, ref b, ref output, o); break;
            case 6: Pass<TVec, TOps, Chains6>(offsets, values, ref w, ref b, ref output, o); break;
            case 7: Pass<TVec, TOps, Chains7>(offsets, values, ref w, ref b, ref output, o); break;
            case 8: Pass<TVec, TOps, Chains8>(offsets, values, ref w, ref b, ref output, o); break;
            case 9: Pass<TVec, TOps, Chains9>(offsets, values, ref w, ref b, ref output, o); break;
            case 10: Pass<TVec, TOps, Chains10>(offsets, values, ref w, ref b, ref output, o); break;
            case 11: Pass<TVec, TOps, Chains11>(offsets, values, ref w, ref b, ref output, o); break;
            case 12: Pass<TVec, TOps, Chains12>(offsets, values, ref w, ref b, ref output, o); break;
            case 13: Pass<TVec, TOps, Chains13>(offsets, values, ref w, ref b, ref output, o); break;
            case 14: Pass<TVec, TOps, Chains14>(offsets, values, ref w, ref b, ref output, o); break;
            case 15: Pass<TVec, TOps, Chains15>(offsets, values, ref w, ref b, ref output, o); break;
            case 16: Pass<TVec, TOps, Chains16>(offsets, values, ref w, ref b, ref output, o); break;
            default: throw new ArgumentOutOfRangeException(nameof(chains), $"A pass has 1 to 16 vectors; got {chains}.");
        }
    }

    /// <summary>
    /// One pass over the terms for <typeparamref name="TChains"/> vectors of outputs from <paramref name="o"/>, each an
    /// independent chain of fused multiply-adds held in a register (the count is a constant of each instantiation, so the
    /// chains it does not use are not compiled).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Pass<TVec, TOps, TChains>(ReadOnlySpan<int> offsets, ReadOnlySpan<float> values, ref float w, ref float b, ref float output, int o)
        where TVec : struct
        where TOps : ISimdOps<TVec>
        where TChains : struct, IChains
    {
        int width = TOps.Count, count = offsets.Length;
        ref int offset = ref MemoryMarshal.GetReference(offsets);
        ref float value = ref MemoryMarshal.GetReference(values);
        TVec a0 = TOps.Load(ref b, (nuint)o);
        TVec a1 = TChains.Count > 1 ? TOps.Load(ref b, (nuint)(o + 1 * width)) : default;
        TVec a2 = TChains.Count > 2 ? TOps.Load(ref b, (nuint)(o + 2 * width)) : default;
        TVec a3 = TChains.Count > 3 ? TOps.Load(ref b, (nuint)(o + 3 * width)) : default;
        TVec a4 = TChains.Count > 4 ? TOps.Load(ref b, (nuint)(o + 4 * width)) : default;
        TVec a5 = TChains.Count > 5 ? TOps.Load(ref b, (nuint)(o + 5 * width)) : default;
        TVec a6 = TChains.Count > 6 ? TOps.Load(ref b, (nuint)(o + 6 * width)) : default;
        TVec a7 = TChains.Count > 7 ? TOps.Load(ref b, (nuint)(o + 7 * width)) : default;
        TVec a8 = TChains.Count > 8 ? TOps.Load(ref b, (nuint)(o + 8 * width)) : default;
        TVec a9 = TChains.Count > 9 ? TOps.Load(ref b, (nuint)(o + 9 * width)) : default;
        TVec a10 = TChains.Count > 10 ? TOps.Load(ref b, (nuint)(o + 10 * width)) : default;
        TVec a11 = TChains.Count > 11 ? TOps.Load(ref b, (nuint)(o + 11 * width)) : default;
        TVec a12 = TChains.Count > 12 ? TOps.Load(ref b, (nuint)(o + 12 * width)) : default;
        TVec a13 = TChains.Count > 13 ? TOps.Load(ref b, (nuint)(o + 13 * width)) : default;
        TVec a14 = TChains.Count > 14 ? TOps.Load(ref b, (nuint)(o + 14 * width)) : default;
        TVec a15 = TChains.Count > 15 ? TOps.Load(ref b, (nuint)(o + 15 * width)) : default;
        for (int k = 0; k < count; k++)
        {
            TVec v = TOps.Broadcast(Unsafe.Add(ref value, k));
            ref float column = ref Unsafe.Add(ref w, Unsafe.Add(ref offset, k) + o);
            a0 = TOps.MultiplyAdd(v, TOps.Load(ref column, 0), a0);
            if (TChains.Count > 1)
                a1 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(1 * width)), a1);
            if (TChains.Count > 2)
                a2 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(2 * width)), a2);
            if (TChains.Count > 3)
                a3 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(3 * width)), a3);
            if (TChains.Count > 4)
                a4 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(4 * width)), a4);
            if (TChains.Count > 5)
                a5 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(5 * width)), a5);
            if (TChains.Count > 6)
                a6 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(6 * width)), a6);
            if (TChains.Count > 7)
                a7 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(7 * width)), a7);
            if (TChains.Count > 8)
                a8 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(8 * width)), a8);
            if (TChains.Count > 9)
                a9 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(9 * width)), a9);
            if (TChains.Count > 10)
                a10 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(10 * width)), a10);
            if (TChains.Count > 11)
                a11 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(11 * width)), a11);
            if (TChains.Count > 12)
                a12 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(12 * width)), a12);
            if (TChains.Count > 13)
                a13 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(13 * width)), a13);
            if (TChains.Count > 14)
                a14 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(14 * width)), a14);
            if (TChains.Count > 15)
                a15 = TOps.MultiplyAdd(v, TOps.Load(ref column, (nuint)(15 * width)), a15);
        }

        TOps.Store(a0, ref output, (nuint)o);
        if (TChains.Count > 1)
            TOps.Store(a1, ref output, (nuint)(o + 1 * width));
        if (TChains.Count > 2)
            TOps.Store(a2, ref output, (nuint)(o + 2 * width));
        if (TChains.Count > 3)
            TOps.Store(a3, ref output, (nuint)(o + 3 * width));
        if (TChains.Count > 4)
            TOps.Store(a4, ref output, (nuint)(o + 4 * width));
        if (TChains.Count > 5)
            TOps.Store(a5, ref output, (nuint)(o + 5 * width));
        if (TChains.Count > 6)
            TOps.Store(a6, ref output, (nuint)(o + 6 * width));
        if (TChains.Count > 7)
            TOps.Store(a7, ref output, (nuint)(o + 7 * width));
        if (TChains.Count > 8)
            TOps.Store(a8, ref output, (nuint)(o + 8 * width));
        if (TChains.Count > 9)
            TOps.Store(a9, ref output, (nuint)(o + 9 * width));
        if (TChains.Count > 10)
            TOps.Store(a10, ref output, (nuint)(o + 10 * width));
        if (TChains.Count > 11)
            TOps.Store(a11, ref output, (nuint)(o + 11 * width));
        if (TChains.Count > 12)
            TOps.Store(a12, ref output, (nuint)(o + 12 * width));
        if (TChains.Count > 13)
            TOps.Store(a13, ref output, (nuint)(o + 13 * width));
        if (TChains.Count > 14)
            TOps.Store(a14, ref output, (nuint)(o + 14 * width));
        if (TChains.Count > 15)
            TOps.Store(a15, ref output, (nuint)(o + 15 * width));
    }

    /// <summary>The number of vectors a <see cref="Pass"/> instantiation accumulates.</summary>
    private interface IChains
    {
        static abstract int Count { get; }
    }

    private struct Chains1 : IChains { public static int Count => 1; }

    private struct Chains2 : IChains { public static int Count => 2; }

    private struct Chains3 : IChains { public static int Count => 3; }

    private struct Chains4 : IChains { public static int Count => 4; }

    private struct Chains5 : IChains { public static int Count => 5; }

    private struct Chains6 : IChains { public static int Count => 6; }

    private struct Chains7 : IChains { public static int Count => 7; }

    private struct Chains8 : IChains { public static int Count => 8; }

    private struct Chains9 : IChains { public static int Count => 9; }

    private struct Chains10 : IChains { public static int Count => 10; }

    private struct Chains11 : IChains { public static int Count => 11; }

    private struct Chains12 : IChains { public static int Count => 12; }

    private struct Chains13 : IChains { public static int Count => 13; }

    private struct Chains14 : IChains { public static int Count => 14; }

    private struct Chains15 : IChains { public static int Count => 15; }

    private struct Chains16 : IChains { public static int Count => 16; }

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
