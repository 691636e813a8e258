// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.SparseL1.Kernels;

namespace Microsoft.ML.SparseL1.Tests.Infrastructure;

/// <summary>Runs a test body once on every kernel path this process can execute.</summary>
internal static class KernelPaths
{
    public static IEnumerable<KernelPath> Available =>
        Enum.GetValues<KernelPath>().Where(p => p <= KernelDispatch.Hardware);

    public static void ForEach(Action<KernelPath> body)
    {
        foreach (var path in Available)
        {
            using (KernelDispatch.OverrideForTesting(path))
                body(path);
        }
    }
}
