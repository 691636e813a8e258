// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.SparseL1.Data;

/// <summary>
/// Reads ML.NET's cancellation flag (set by the internal <c>MLContext.CancelExecution()</c>, which AutoML calls). The flag
/// is only on the internal <c>ICancelable</c> (allow-listed in InternalSurfaceTests); the engine probes it before every step.
/// </summary>
internal static class MlNetCancellation
{
    /// <summary>A probe of the host's flag, or null when the host cannot be cancelled.</summary>
    public static Func<bool>? Probe(IHost host) => host is ICancelable cancelable ? () => cancelable.IsCanceled : null;
}
