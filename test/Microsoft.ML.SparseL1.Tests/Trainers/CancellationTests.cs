// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Trainers;

/// <remarks>
/// Not run beside other test classes: it times how fast a running fit stops (a few milliseconds alone), and once, with
/// another class compressing and inflating tens of megabytes on the other core, a stop took 3.4 s.
/// </remarks>
[TestClass]
[DoNotParallelize]
public class CancellationTests
{
    private sealed class Row
    {
        [VectorType(20)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void CancelExecution_StopsTrainingAndSelectionPromptly(bool selection)
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(3);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 2000).Select(_ =>
            new Row { Features = Enumerable.Range(0, 20).Select(_ => (float)random.NextDouble()).ToArray(), Label = (float)random.NextDouble() }).ToArray());
        var options = new SparseMlpRegressionTrainer.Options { HiddenLayerSizes = [64, 64], NumberOfEpochs = 100_000, BatchSize = 16 };
        if (selection)
        {
            options.TargetSparsity = 0.5f;
            options.ParameterSelection.MinimumEpochsBeforeStop = 50_000; // no run may end early: cancellation must end it
        }
        else
            options.Lambda = 1e-4f;
        var trainer = ml.Regression.Trainers.SparseMlp(options);

        var training = Task.Run(() => trainer.Fit(data));
        Thread.Sleep(500);
        Assert.IsFalse(training.IsCompleted, "training must still be running when cancelled");
        var clock = Stopwatch.StartNew();
        CancelExecution(ml);
        var error = Assert.Throws<AggregateException>(() => training.Wait(TimeSpan.FromSeconds(30)));
        clock.Stop();
        Assert.IsInstanceOfType<OperationCanceledException>(error.InnerException);
        Assert.IsLessThan(2000, clock.ElapsedMilliseconds, $"cancellation took {clock.ElapsedMilliseconds} ms");
        Console.WriteLine($"cancellation ({(selection ? "selection" : "fixed λ")}) took {clock.ElapsedMilliseconds} ms");
    }

    /// <summary>
    /// MLContext.CancelExecution is internal in ML.NET 5.0.1; AutoML calls it through its friend access when an
    /// experiment is cancelled. The test reaches it the same way a friend would, by reflection.
    /// </summary>
    private static void CancelExecution(MLContext ml) =>
        typeof(MLContext).GetMethod("CancelExecution", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public)!
            .Invoke(ml, null);

    [TestMethod]
    public void CancellationToken_StopsTraining()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 500).Select(i => new Row { Features = new float[20], Label = i % 3 }).ToArray());
        using var source = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var trainer = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { Lambda = 0f, NumberOfEpochs = 1_000_000, BatchSize = 8, CancellationToken = source.Token });
        Assert.Throws<OperationCanceledException>(() => trainer.Fit(data));
    }
}
