// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Threading;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.SparseL1.Internal;

/// <summary>
/// Turns <c>mlContext.CancelExecution()</c> into a <see cref="CancellationToken"/> for the engine. ML.NET exposes the
/// flag only through its internal <c>ICancelable</c> (allow-listed in InternalSurfaceTests), so it is polled every
/// <see cref="PollMilliseconds"/>; the engine checks the token before every step.
/// </summary>
internal sealed class MlNetCancellation : IDisposable
{
    private const int PollMilliseconds = 50;
    private readonly CancellationTokenSource _source;
    private readonly Timer? _timer;

    private MlNetCancellation(IHost host, CancellationToken userToken)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(userToken);
        if (host is ICancelable cancelable)
        {
            _timer = new Timer(_ =>
            {
                if (cancelable.IsCanceled)
                    _source.Cancel();
            }, null, PollMilliseconds, PollMilliseconds);
        }
    }

    /// <summary>Cancelled when the user's token is, or when the host's MLContext is cancelled.</summary>
    public CancellationToken Token => _source.Token;

    public static MlNetCancellation Link(IHost host, CancellationToken userToken) => new(host, userToken);

    public void Dispose()
    {
        _timer?.Dispose();
        _source.Dispose();
    }
}
