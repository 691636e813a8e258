// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.Intrinsics;
using System.Threading;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>The vector width the kernels run at.</summary>
internal enum KernelPath
{
    /// <summary>Plain scalar loops; always available.</summary>
    Scalar = 0,

    /// <summary>128-bit vectors (SSE or AdvSimd).</summary>
    Vector128 = 1,

    /// <summary>256-bit vectors (AVX2).</summary>
    Vector256 = 2,

    /// <summary>512-bit vectors (AVX-512).</summary>
    Vector512 = 3,
}

/// <summary>
/// Chooses the kernel path once per process from the hardware (which honours the runtime's
/// <c>DOTNET_EnableAVX512</c>, <c>DOTNET_EnableAVX2</c> and <c>DOTNET_EnableHWIntrinsic</c> switches).
/// Tests may force a narrower path for one scope; production code never changes it.
/// </summary>
internal static class KernelDispatch
{
    private static readonly AsyncLocal<KernelPath?> s_override = new();

    /// <summary>The widest path this process's hardware and runtime switches allow.</summary>
    public static KernelPath Hardware { get; } = Detect();

    /// <summary>The path the kernels take now: <see cref="Hardware"/> unless a test override is active.</summary>
    public static KernelPath Current => s_override.Value ?? Hardware;

    /// <summary>Forces a path no wider than <see cref="Hardware"/> until the returned scope is disposed. For tests.</summary>
    /// <param name="path">The path to use.</param>
    /// <returns>A scope that restores the previous path when disposed.</returns>
    internal static IDisposable OverrideForTesting(KernelPath path)
    {
        if (path > Hardware)
            throw new ArgumentOutOfRangeException(nameof(path), $"Path {path} is wider than the hardware path {Hardware}.");
        var previous = s_override.Value;
        s_override.Value = path;
        return new Scope(previous);
    }

    private static KernelPath Detect()
    {
        if (Vector512.IsHardwareAccelerated && Vector512<float>.IsSupported)
            return KernelPath.Vector512;
        if (Vector256.IsHardwareAccelerated && Vector256<float>.IsSupported)
            return KernelPath.Vector256;
        if (Vector128.IsHardwareAccelerated && Vector128<float>.IsSupported)
            return KernelPath.Vector128;
        return KernelPath.Scalar;
    }

    private sealed class Scope(KernelPath? previous) : IDisposable
    {
        public void Dispose() => s_override.Value = previous;
    }
}
