// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Threading;

namespace Microsoft.ML.SparseL1.Training.Loop;

/// <summary>
/// What the engine checks before every step: a token, and optionally a flag probed on the training thread itself
/// (ML.NET's cancellation is a flag, not a token; polling it from a timer would depend on a free thread-pool thread).
/// </summary>
/// <param name="Token">The caller's token.</param>
/// <param name="IsCancelled">An extra probe, or null.</param>
internal readonly record struct TrainingCancellation(CancellationToken Token, Func<bool>? IsCancelled = null)
{
    public static implicit operator TrainingCancellation(CancellationToken token) => new(token);

    /// <summary>Whether cancellation was asked for (data-parallel training agrees on it across ranks before throwing).</summary>
    public bool IsRequested => Token.IsCancellationRequested || IsCancelled?.Invoke() == true;

    public void ThrowIfCancelled()
    {
        Token.ThrowIfCancellationRequested();
        if (IsCancelled?.Invoke() == true)
            throw new OperationCanceledException("Training was cancelled by its host (CancelExecution).");
    }
}
