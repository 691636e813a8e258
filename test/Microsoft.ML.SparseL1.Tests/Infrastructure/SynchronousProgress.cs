// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Tests.Infrastructure;

/// <summary>
/// Reports on the training thread, in order: <see cref="Progress{T}"/> posts to the thread pool, where a report may
/// arrive after <c>Fit</c> has returned, or a callback meant to act mid-run (cancel, throw) too late.
/// </summary>
internal sealed class SynchronousProgress(Action<SparseMlpProgress> report) : IProgress<SparseMlpProgress>
{
    public void Report(SparseMlpProgress value) => report(value);
}
