// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;

namespace Microsoft.ML.SparseL1.Model;

/// <summary>
/// The two activation buffers per thread of <see cref="CompactMlp.PredictBatch"/>, kept by a caller that scores many
/// small batches (a block-scoring cursor): at 784 inputs and 64-row blocks each buffer is 200 KB, a large-object-heap
/// allocation that would otherwise be made and collected for every batch.
/// </summary>
internal sealed class BatchWorkspace(int bufferLength)
{
    private readonly List<(float[] Current, float[] Next)> _perThread = [];

    /// <summary>Makes sure buffers exist for <paramref name="threads"/> threads (call before the threads start).</summary>
    public void Reserve(int threads)
    {
        while (_perThread.Count < threads)
            _perThread.Add((new float[bufferLength], new float[bufferLength]));
    }

    /// <summary>The buffers of thread <paramref name="thread"/>, reserved before.</summary>
    public (float[] Current, float[] Next) For(int thread) =>
        thread < _perThread.Count ? _perThread[thread] : throw new InvalidOperationException($"No buffers reserved for thread {thread}.");
}
