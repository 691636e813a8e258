// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics;
using System.Linq;
using Microsoft.ML.SparseL1;

namespace SparseL1.Examples.Shared;

/// <summary>
/// Training progress on the console: one line rewritten in place on a terminal; redirected to a file or a CI log (where a
/// carriage return joins every epoch into one long line), a line of its own for a run's first and last epoch and at most
/// one every <see cref="FileInterval"/> between them. Every report is kept for the training chart.
/// </summary>
public sealed class ConsoleProgress : IProgress<SparseMlpProgress>
{
    /// <summary>The least time between two lines written to a redirected output.</summary>
    public static readonly TimeSpan FileInterval = TimeSpan.FromSeconds(2);

    private readonly bool _inPlace = !Console.IsOutputRedirected;
    private readonly Stopwatch _sinceLine = Stopwatch.StartNew();
    private bool _pendingLine;

    /// <summary>Every report so far, in order (for <c>SparseL1Charts.SaveTrainingChart</c>).</summary>
    public System.Collections.Generic.List<SparseMlpProgress> History { get; } = [];

    /// <summary>Writes the epoch's line (synchronously, on the training thread).</summary>
    public void Report(SparseMlpProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        History.Add(value);
        string line = $"run {value.SelectionIteration} epoch {value.Epoch}/{value.Epochs} loss {value.Loss:F4} nonzero {value.LayerNonZeroCounts.Sum(),7} " +
            $"({value.Elapsed.TotalSeconds:F0}s, run ends in ~{value.RunTimeLeft.TotalSeconds:F0}s)";
        if (_inPlace)
        {
            Console.Write($"\r  {line}   ");
            _pendingLine = true;
            return;
        }

        if (value.Epoch == 1 || value.Epoch == value.Epochs || _sinceLine.Elapsed >= FileInterval)
        {
            Console.WriteLine($"  {line}");
            _sinceLine.Restart();
        }
    }

    /// <summary>Ends the line rewritten in place, if any, so that what follows starts on a line of its own.</summary>
    public void Finish()
    {
        if (_pendingLine)
            Console.WriteLine();
        _pendingLine = false;
    }
}
