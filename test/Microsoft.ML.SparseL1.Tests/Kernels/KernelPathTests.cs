// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.Intrinsics;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Kernels;

[TestClass]
public class KernelPathTests
{
    /// <summary>
    /// CI runs the suite with runtime ISA switches and sets SPARSEL1_EXPECTED_KERNEL_PATH, so a renamed
    /// runtime switch cannot silently turn a leg into a duplicate of the default one.
    /// </summary>
    [TestMethod]
    public void Hardware_MatchesTheLegThatCiAskedFor()
    {
        string? expected = Environment.GetEnvironmentVariable("SPARSEL1_EXPECTED_KERNEL_PATH");
        if (!string.IsNullOrEmpty(expected))
            Assert.AreEqual(Enum.Parse<KernelPath>(expected), KernelDispatch.Hardware);

        var fromRuntime = Vector512.IsHardwareAccelerated ? KernelPath.Vector512
            : Vector256.IsHardwareAccelerated ? KernelPath.Vector256
            : Vector128.IsHardwareAccelerated ? KernelPath.Vector128
            : KernelPath.Scalar;
        Assert.AreEqual(fromRuntime, KernelDispatch.Hardware);
    }

    [TestMethod]
    public void OverrideForTesting_RejectsWiderPathAndRestores()
    {
        var before = KernelDispatch.Current;
        using (KernelDispatch.OverrideForTesting(KernelPath.Scalar))
            Assert.AreEqual(KernelPath.Scalar, KernelDispatch.Current);
        Assert.AreEqual(before, KernelDispatch.Current);
        if (KernelDispatch.Hardware < KernelPath.Vector512)
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => KernelDispatch.OverrideForTesting(KernelPath.Vector512));
    }
}
