// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Persistence;

/// <summary>
/// Each CI leg runs the suite on one supported ML.NET (-p:MlNetVersion) and names it in SPARSEL1_EXPECTED_MLNET_VERSION, so a
/// property that stopped reaching restore or the compiler cannot silently turn the 6.0.0 leg into a second 5.0.1 leg.
/// </summary>
[TestClass]
public class MlNetVersionTests
{
    [TestMethod]
    public void RunningMlNet_IsTheOneBuiltForAndCompiledAgainst()
    {
        string? expected = Environment.GetEnvironmentVariable("SPARSEL1_EXPECTED_MLNET_VERSION");
        if (!string.IsNullOrEmpty(expected))
            Assert.AreEqual(expected, MlNetVersions.Running, "the leg's ML.NET");
        Assert.AreEqual(MlNetVersions.BuiltFor, MlNetVersions.Running, "the ML.NET restored for the tests");
        Assert.AreEqual(MlNetVersions.BuiltFor, MlNetVersions.LibraryCompiledAgainst, "the ML.NET whose publicized internals the library was compiled against");
        CollectionAssert.Contains(MlNetVersions.Supported, MlNetVersions.Running, "a supported ML.NET");
    }
}
