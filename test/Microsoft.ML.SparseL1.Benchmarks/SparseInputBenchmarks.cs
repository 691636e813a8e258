// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Microsoft.ML.Data;

namespace Microsoft.ML.SparseL1.Benchmarks;

/// <summary>
/// Issue 14's synthetic case: 100,000 slots, 10 nonzeros per row, hidden [8]. Our fit (2 epochs at a fixed λ) beside
/// SDCA's logistic regression (2 passes) on the same cached data, in one run: seconds per epoch or pass, and the bytes
/// each fit allocates against the CSR size of the data.
/// </summary>
internal static class SparseInputBenchmarks
{
    private const int Slots = 100_000;
    private const int NonZerosPerRow = 10;

    private sealed class Row
    {
        [VectorType(Slots)]
        public VBuffer<float> Features { get; set; }

        public bool Label { get; set; }
    }

    public static List<Dictionary<string, object>> Run(int rows)
    {
        var random = new Random(1);
        var teacher = Enumerable.Range(0, Slots).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        var data = Enumerable.Range(0, rows).Select(_ =>
        {
            var slots = new SortedSet<int>();
            while (slots.Count < NonZerosPerRow)
                slots.Add(random.Next(Slots));
            var indices = slots.ToArray();
            return new Row { Features = new VBuffer<float>(Slots, indices.Length, Enumerable.Repeat(1f, indices.Length).ToArray(), indices), Label = indices.Sum(i => teacher[i]) > 0 };
        }).ToArray();
        var ml = new MLContext(seed: 1);
        var view = ml.Data.Cache(ml.Data.LoadFromEnumerable(data));
        _ = view.GetColumn<bool>("Label").Count();
        long csrBytes = (long)rows * NonZerosPerRow * (sizeof(int) + sizeof(float)) + (rows + 1L) * sizeof(int);
        const int Epochs = 2;

        var ours = Measure(() => ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options
        {
            HiddenLayerSizes = [8], Lambda = 1e-5f, NumberOfEpochs = Epochs,
        }).Fit(view));
        var sdca = Measure(() => ml.BinaryClassification.Trainers.SdcaLogisticRegression(maximumNumberOfIterations: Epochs).Fit(view));
        long networkBytes = (Slots * 8L + 8 + 8 + 1) * sizeof(float);
        return
        [
            new()
            {
                ["benchmark"] = "sparse-input",
                ["data"] = $"{rows} rows, {Slots} slots, {NonZerosPerRow} nonzeros per row; CSR {csrBytes / 1048576.0:F1} MiB",
                ["network"] = $"{Slots}-8-1, {networkBytes / 1048576.0:F1} MiB of weights",
                ["oursSecondsPerEpoch"] = Math.Round(ours.Seconds / Epochs, 3),
                ["sdcaSecondsPerPass"] = Math.Round(sdca.Seconds / Epochs, 3),
                ["oursOverSdcaTime"] = Math.Round(ours.Seconds / sdca.Seconds, 2),
                ["oursAllocatedMiB"] = Math.Round(ours.AllocatedBytes / 1048576.0, 1),
                ["sdcaAllocatedMiB"] = Math.Round(sdca.AllocatedBytes / 1048576.0, 1),
                ["oursAllocatedOverCsrPlusNetwork"] = Math.Round((double)ours.AllocatedBytes / (csrBytes + networkBytes), 2),
            },
        ];
    }

    private static (double Seconds, long AllocatedBytes) Measure(Action fit)
    {
        fit();
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        fit();
        return (clock.Elapsed.TotalSeconds, GC.GetTotalAllocatedBytes(precise: true) - allocated);
    }
}
