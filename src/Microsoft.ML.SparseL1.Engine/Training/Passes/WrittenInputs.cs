// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;

namespace Microsoft.ML.SparseL1.Training.Passes;

/// <summary>
/// The inputs whose first-layer gradient a sparse batch wrote, each once, so that the next batch clears those and no
/// others: clearing costs the batch's inputs, not the layer's.
/// </summary>
internal sealed class WrittenInputs
{
    private readonly List<int> _inputs = [];
    private bool[] _marked = [];

    /// <summary>The inputs written since the last <see cref="Clear"/>, in the order first written.</summary>
    public IReadOnlyList<int> Inputs => _inputs;

    /// <summary>Records <paramref name="input"/> as written (of <paramref name="inputCount"/> inputs).</summary>
    public void Mark(int input, int inputCount)
    {
        if (_marked.Length != inputCount)
            _marked = new bool[inputCount];
        if (!_marked[input])
        {
            _marked[input] = true;
            _inputs.Add(input);
        }
    }

    /// <summary>Calls <paramref name="clearInput"/> (may be null) for every input written, and forgets them.</summary>
    public void Clear(Action<int>? clearInput)
    {
        foreach (int input in _inputs)
        {
            clearInput?.Invoke(input);
            _marked[input] = false;
        }

        _inputs.Clear();
    }
}
