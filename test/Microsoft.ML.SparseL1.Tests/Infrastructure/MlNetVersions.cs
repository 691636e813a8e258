// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using System.Reflection;

namespace Microsoft.ML.SparseL1.Tests.Infrastructure;

/// <summary>
/// The ML.NET versions in play: the one running, the one this build restored (MlNetVersion in Directory.Packages.props,
/// recorded in the test assembly), the one the library was compiled against (recorded in the library), and all supported.
/// </summary>
internal static class MlNetVersions
{
    /// <summary>The ML.NET loaded in this process (Microsoft.ML.Data's informational version without its commit).</summary>
    public static string Running => Informational(typeof(MLContext).Assembly);

    /// <summary>The ML.NET this test build restored.</summary>
    public static string BuiltFor => Metadata(typeof(MlNetVersions).Assembly, "MlNetVersion");

    /// <summary>The ML.NET whose publicized internals the library was compiled against.</summary>
    public static string LibraryCompiledAgainst => Metadata(typeof(SparseMlpPredictionTransformer).Assembly, "MlNetVersion");

    /// <summary>Every supported ML.NET version (each has a CI leg and golden model zips).</summary>
    public static string[] Supported => Metadata(typeof(MlNetVersions).Assembly, "MlNetSupportedVersions").Split(';');

    private static string Informational(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    private static string Metadata(Assembly assembly, string key) =>
        assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"{assembly.GetName().Name} has no [AssemblyMetadata(\"{key}\")]");
}
