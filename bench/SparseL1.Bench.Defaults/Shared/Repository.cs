// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;

namespace SparseL1.Bench.Defaults.Shared;

/// <summary>Where the repository is, so the benchmarks run from any directory.</summary>
internal static class Repository
{
    /// <summary>The folder holding SparseL1.MLNet.sln, found from the binary.</summary>
    public static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SparseL1.MLNet.sln")))
                return dir.FullName;
        }

        throw new DirectoryNotFoundException($"No folder above {AppContext.BaseDirectory} contains SparseL1.MLNet.sln.");
    }
}
