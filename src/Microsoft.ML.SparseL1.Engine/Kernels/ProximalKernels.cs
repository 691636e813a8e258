// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>
/// The proximal steps of l1-regularised training, fused with the parameter update and counting the
/// nonzeros they leave, so that NNZ per layer costs no second pass over the weights.
/// </summary>
/// <remarks>
/// Soft-thresholding is <c>S_t(v) = sign(v) · max(|v| − t, 0)</c>. A value exactly at ±t becomes (signed) zero;
/// NaN stays NaN and counts as nonzero. Scalar and vector bodies implement the same formula side by side.
/// </remarks>
internal static class ProximalKernels
{
    /// <summary>The scalar soft-threshold <c>sign(v) · max(|v| − t, 0)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SoftThreshold(float value, float threshold) =>
        MathF.CopySign(MathF.Max(MathF.Abs(value) - threshold, 0f), value);

    /// <summary>How many entries are nonzero (NaN counts as nonzero, −0 as zero), a vector at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int CountNonZero(ReadOnlySpan<float> values)
    {
        int i = 0, zeros = 0;
        switch (KernelDispatch.Current)
        {
            case KernelPath.Vector512: i = CountZerosVector<Vector512<float>, Simd512>(values, ref zeros); break;
            case KernelPath.Vector256: i = CountZerosVector<Vector256<float>, Simd256>(values, ref zeros); break;
            case KernelPath.Vector128: i = CountZerosVector<Vector128<float>, Simd128>(values, ref zeros); break;
        }

        for (; i < values.Length; i++)
            zeros += values[i] == 0f ? 1 : 0;
        return values.Length - zeros;
    }

    /// <summary>
    /// Writes the indices of the nonzero entries of <paramref name="values"/>, ascending, into <paramref name="positions"/>
    /// (at least <see cref="CountNonZero"/> long) and returns how many: a vector's nonzero lanes at a time, so the cost
    /// follows the vectors and the nonzeros, not a branch an entry.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int NonZeroPositions(ReadOnlySpan<float> values, Span<int> positions)
    {
        int i = 0, count = 0;
        switch (KernelDispatch.Current)
        {
            case KernelPath.Vector512: i = NonZeroPositionsVector<Vector512<float>, Simd512>(values, positions, ref count); break;
            case KernelPath.Vector256: i = NonZeroPositionsVector<Vector256<float>, Simd256>(values, positions, ref count); break;
            case KernelPath.Vector128: i = NonZeroPositionsVector<Vector128<float>, Simd128>(values, positions, ref count); break;
        }

        for (; i < values.Length; i++)
        {
            if (values[i] != 0f)
                positions[count++] = i;
        }

        return count;
    }

    private static int NonZeroPositionsVector<TVec, TOps>(ReadOnlySpan<float> values, Span<int> positions, ref int count)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        int i = 0;
        for (; i + TOps.Count <= values.Length; i += TOps.Count)
        {
            for (ulong bits = TOps.NonZeroBits(TOps.Load(ref start, (nuint)i)); bits != 0; bits &= bits - 1)
                positions[count++] = i + System.Numerics.BitOperations.TrailingZeroCount(bits);
        }

        return i;
    }

    private static int CountZerosVector<TVec, TOps>(ReadOnlySpan<float> values, ref int zeros)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        int i = 0;
        for (; i + TOps.Count <= values.Length; i += TOps.Count)
            zeros += TOps.CountZeros(TOps.Load(ref start, (nuint)i));
        return i;
    }

    /// <summary>In place: <c>w[i] = S_t(w[i])</c>. Returns how many entries are nonzero afterwards.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int SoftThreshold(Span<float> weights, float threshold)
    {
        int i = 0, nonZero = 0;
        switch (KernelDispatch.Current)
        {
            case KernelPath.Vector512: i = SoftThresholdVector<Vector512<float>, Simd512>(weights, threshold, ref nonZero); break;
            case KernelPath.Vector256: i = SoftThresholdVector<Vector256<float>, Simd256>(weights, threshold, ref nonZero); break;
            case KernelPath.Vector128: i = SoftThresholdVector<Vector128<float>, Simd128>(weights, threshold, ref nonZero); break;
        }

        for (; i < weights.Length; i++)
        {
            float w = SoftThreshold(weights[i], threshold);
            weights[i] = w;
            nonZero += w != 0f ? 1 : 0;
        }

        return nonZero;
    }

    /// <summary>
    /// The proximal SGD step in place: <c>w[i] = S_t(w[i] − learningRate · g[i])</c>. Returns the nonzero count.
    /// With <paramref name="threshold"/> 0 it is a plain gradient step (used for biases).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int SgdStep(Span<float> weights, ReadOnlySpan<float> gradient, float learningRate, float threshold)
    {
        ThrowHelper.CheckLength(gradient.Length, weights.Length, nameof(gradient));
        int i = 0, nonZero = 0;
        switch (KernelDispatch.Current)
        {
            case KernelPath.Vector512: i = SgdStepVector<Vector512<float>, Simd512>(weights, gradient, learningRate, threshold, ref nonZero); break;
            case KernelPath.Vector256: i = SgdStepVector<Vector256<float>, Simd256>(weights, gradient, learningRate, threshold, ref nonZero); break;
            case KernelPath.Vector128: i = SgdStepVector<Vector128<float>, Simd128>(weights, gradient, learningRate, threshold, ref nonZero); break;
        }

        for (; i < weights.Length; i++)
        {
            float w = SoftThreshold(weights[i] - learningRate * gradient[i], threshold);
            weights[i] = w;
            nonZero += w != 0f ? 1 : 0;
        }

        return nonZero;
    }

    /// <summary>
    /// The proximal Adam step in place. With <c>m̂ = m/(1−β1^t)</c> and <c>v̂ = v/(1−β2^t)</c> after the moment updates,
    /// <c>d = √v̂ + ε</c>, <c>w = S_{lr·λ/d}(w − lr·m̂/d)</c>: the soft-threshold is taken in the same diagonal metric as the
    /// step, so a fixed point satisfies the l1 optimality conditions (|∂L/∂w| ≤ λ where w = 0). Returns the nonzero count.
    /// </summary>
    /// <param name="weights">The weights, updated in place.</param>
    /// <param name="gradient">The data-loss gradient of the weights.</param>
    /// <param name="firstMoment">Adam's first moment, updated in place.</param>
    /// <param name="secondMoment">Adam's second moment, updated in place.</param>
    /// <param name="coefficients">The step's constants.</param>
    /// <param name="lambda">The l1 weight λ.</param>
    /// <param name="reweightOffset">
    /// δ &gt; 0 weights each entry's penalty by <c>δ / (|w| + δ)</c> at the weight before the step (reweighted l1: the
    /// majorize-minimize step of the penalty λ·δ·log(1 + |w|/δ), which shrinks large weights less); 0 is plain l1.
    /// </param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int AdamStep(Span<float> weights, ReadOnlySpan<float> gradient, Span<float> firstMoment, Span<float> secondMoment,
        in AdamCoefficients coefficients, float lambda, float reweightOffset = 0f)
    {
        ThrowHelper.CheckLength(gradient.Length, weights.Length, nameof(gradient));
        ThrowHelper.CheckLength(firstMoment.Length, weights.Length, nameof(firstMoment));
        ThrowHelper.CheckLength(secondMoment.Length, weights.Length, nameof(secondMoment));
        int i = 0, nonZero = 0;
        switch (KernelDispatch.Current)
        {
            case KernelPath.Vector512: i = AdamStepVector<Vector512<float>, Simd512>(weights, gradient, firstMoment, secondMoment, coefficients, lambda, reweightOffset, ref nonZero); break;
            case KernelPath.Vector256: i = AdamStepVector<Vector256<float>, Simd256>(weights, gradient, firstMoment, secondMoment, coefficients, lambda, reweightOffset, ref nonZero); break;
            case KernelPath.Vector128: i = AdamStepVector<Vector128<float>, Simd128>(weights, gradient, firstMoment, secondMoment, coefficients, lambda, reweightOffset, ref nonZero); break;
        }

        for (; i < weights.Length; i++)
        {
            float g = gradient[i];
            float m = coefficients.Beta1 * firstMoment[i] + coefficients.OneMinusBeta1 * g;
            float v = coefficients.Beta2 * secondMoment[i] + coefficients.OneMinusBeta2 * g * g;
            firstMoment[i] = m;
            secondMoment[i] = v;
            float scale = coefficients.LearningRate / (MathF.Sqrt(v * coefficients.SecondMomentCorrection) + coefficients.Epsilon);
            float penalty = reweightOffset > 0f ? (lambda * reweightOffset) / (MathF.Abs(weights[i]) + reweightOffset) : lambda;
            float w = SoftThreshold(weights[i] - scale * coefficients.FirstMomentCorrection * m, scale * penalty);
            weights[i] = w;
            nonZero += w != 0f ? 1 : 0;
        }

        return nonZero;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SoftThresholdVector<TVec, TOps>(Span<float> weights, float threshold, ref int nonZero)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int width = TOps.Count, i = 0, zeros = 0;
        ref float w = ref MemoryMarshal.GetReference(weights);
        TVec t = TOps.Broadcast(threshold);
        for (; i <= weights.Length - width; i += width)
        {
            TVec result = SoftThreshold<TVec, TOps>(TOps.Load(ref w, (nuint)i), t);
            TOps.Store(result, ref w, (nuint)i);
            zeros += TOps.CountZeros(result);
        }

        nonZero += i - zeros;
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SgdStepVector<TVec, TOps>(Span<float> weights, ReadOnlySpan<float> gradient, float learningRate, float threshold, ref int nonZero)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int width = TOps.Count, i = 0, zeros = 0;
        ref float w = ref MemoryMarshal.GetReference(weights);
        ref float g = ref MemoryMarshal.GetReference(gradient);
        TVec t = TOps.Broadcast(threshold), rate = TOps.Broadcast(learningRate);
        for (; i <= weights.Length - width; i += width)
        {
            // Same rounding as the scalar tail: the product is rounded before the subtraction (no FMA).
            TVec stepped = TOps.Subtract(TOps.Load(ref w, (nuint)i), TOps.Multiply(rate, TOps.Load(ref g, (nuint)i)));
            TVec result = SoftThreshold<TVec, TOps>(stepped, t);
            TOps.Store(result, ref w, (nuint)i);
            zeros += TOps.CountZeros(result);
        }

        nonZero += i - zeros;
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int AdamStepVector<TVec, TOps>(Span<float> weights, ReadOnlySpan<float> gradient, Span<float> firstMoment, Span<float> secondMoment,
        in AdamCoefficients k, float lambda, float reweightOffset, ref int nonZero)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int width = TOps.Count, i = 0, zeros = 0;
        ref float w = ref MemoryMarshal.GetReference(weights);
        ref float g = ref MemoryMarshal.GetReference(gradient);
        ref float m1 = ref MemoryMarshal.GetReference(firstMoment);
        ref float m2 = ref MemoryMarshal.GetReference(secondMoment);
        TVec beta1 = TOps.Broadcast(k.Beta1), oneMinusBeta1 = TOps.Broadcast(k.OneMinusBeta1);
        TVec beta2 = TOps.Broadcast(k.Beta2), oneMinusBeta2 = TOps.Broadcast(k.OneMinusBeta2);
        TVec rate = TOps.Broadcast(k.LearningRate), epsilon = TOps.Broadcast(k.Epsilon);
        TVec firstCorrection = TOps.Broadcast(k.FirstMomentCorrection), secondCorrection = TOps.Broadcast(k.SecondMomentCorrection);
        TVec l1 = TOps.Broadcast(lambda), offset = TOps.Broadcast(reweightOffset), l1Offset = TOps.Broadcast(lambda * reweightOffset);
        bool reweight = reweightOffset > 0f;
        for (; i <= weights.Length - width; i += width)
        {
            // Same operation order and rounding as the scalar tail (no fused multiply-adds).
            TVec gi = TOps.Load(ref g, (nuint)i);
            TVec m = TOps.Add(TOps.Multiply(beta1, TOps.Load(ref m1, (nuint)i)), TOps.Multiply(oneMinusBeta1, gi));
            TVec v = TOps.Add(TOps.Multiply(beta2, TOps.Load(ref m2, (nuint)i)), TOps.Multiply(TOps.Multiply(oneMinusBeta2, gi), gi));
            TOps.Store(m, ref m1, (nuint)i);
            TOps.Store(v, ref m2, (nuint)i);
            TVec scale = TOps.Divide(rate, TOps.Add(TOps.Sqrt(TOps.Multiply(v, secondCorrection)), epsilon));
            TVec old = TOps.Load(ref w, (nuint)i);
            TVec stepped = TOps.Subtract(old, TOps.Multiply(TOps.Multiply(scale, firstCorrection), m));
            // λ·δ/(|w|+δ) rounds as the scalar tail's (λ·δ)/(|w|+δ) only if λ·δ is formed first there too.
            TVec penalty = reweight ? TOps.Divide(l1Offset, TOps.Add(TOps.Abs(old), offset)) : l1;
            TVec result = SoftThreshold<TVec, TOps>(stepped, TOps.Multiply(scale, penalty));
            TOps.Store(result, ref w, (nuint)i);
            zeros += TOps.CountZeros(result);
        }

        nonZero += i - zeros;
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec SoftThreshold<TVec, TOps>(TVec value, TVec threshold)
        where TVec : struct
        where TOps : ISimdOps<TVec> =>
        TOps.CopySign(TOps.Max(TOps.Subtract(TOps.Abs(value), threshold), TOps.Zero), value);
}

/// <summary>The per-step constants of Adam, computed once per step and shared by every layer.</summary>
internal readonly struct AdamCoefficients
{
    public AdamCoefficients(float learningRate, float beta1, float beta2, float epsilon, long step)
    {
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        OneMinusBeta1 = 1f - beta1;
        OneMinusBeta2 = 1f - beta2;
        Epsilon = epsilon;
        FirstMomentCorrection = (float)(1.0 / (1.0 - Math.Pow(beta1, step)));
        SecondMomentCorrection = (float)(1.0 / (1.0 - Math.Pow(beta2, step)));
    }

    public float LearningRate { get; }

    public float Beta1 { get; }

    public float Beta2 { get; }

    public float OneMinusBeta1 { get; }

    public float OneMinusBeta2 { get; }

    public float Epsilon { get; }

    /// <summary><c>1 / (1 − β1^t)</c>.</summary>
    public float FirstMomentCorrection { get; }

    /// <summary><c>1 / (1 − β2^t)</c>.</summary>
    public float SecondMomentCorrection { get; }
}
