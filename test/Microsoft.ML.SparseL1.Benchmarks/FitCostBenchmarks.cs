// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Selection;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Passes;
using SparseL1.Examples.Shared;

namespace Microsoft.ML.SparseL1.Benchmarks;

/// <summary>
/// Issue 29's table: whole training runs on Fashion-MNIST (60,000 rows, Adam 1e-3, batch 128, 20 epochs, the trainer's
/// seed and standardization) side by side in one process: dense (λ = 0), the default 90 % run (SparsityTracking to
/// 26,620 nonzeros) with the pattern held between whole-gradient steps before the freeze (the trainer's default) and
/// without, on 1 and 2 threads, and the wide 784-1200-400-10 to the same nonzeros; test accuracy and each epoch's
/// seconds beside each.
/// </summary>
internal static class FitCostBenchmarks
{
    private const int Target = 26_620;

    public static List<Dictionary<string, object>> Run(bool includeWide, int denseGradientEvery)
    {
        var (train, test) = Load();
        var results = new List<Dictionary<string, object>>();
        int[] narrow = [784, 300, 100, 10];
        WarmUp(train, narrow, denseGradientEvery);
        foreach (int threads in new[] { 2, 1 })
        {
            // On two threads each run again with its parallel sections on the thread pool, as before the worker team.
            foreach (bool pool in threads == 2 ? new[] { false, true } : [false])
                results.Add(OnThreadPool(pool, () => Measure("dense (λ = 0)", narrow, threads, train, test, sparse: false)));
            results.Add(Measure("90 %, whole gradient every step (before)", narrow, threads, train, test, sparse: true));
            foreach (bool pool in threads == 2 ? new[] { false, true } : [false])
            {
                results.Add(OnThreadPool(pool, () => Measure($"90 %, whole gradient every {denseGradientEvery} steps before the freeze", narrow, threads, train, test,
                    sparse: true, denseGradientEvery)));
            }
        }

        if (includeWide)
        {
            results.Add(Measure("784-1200-400-10 to the same nonzeros (98.1 %), whole gradient every step (before)", [784, 1200, 400, 10], 2, train, test,
                sparse: true));
            results.Add(Measure($"784-1200-400-10 (98.1 %), whole gradient every {denseGradientEvery} steps", [784, 1200, 400, 10], 2, train, test, sparse: true, denseGradientEvery));
        }

        return results;
    }

    /// <summary>
    /// Issue 29's ratios with the VM's drift averaged out: <paramref name="rounds"/> rounds, each the dense run and the 90 %
    /// run on 1 and 2 threads in turn (the order rotated from round to round); every run's seconds, then the medians'
    /// ratios (90 % over dense per thread count, 2 threads over 1 per run).
    /// </summary>
    public static List<Dictionary<string, object>> Ratios(int rounds, int denseGradientEvery)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var (train, test) = Load();
        int[] narrow = [784, 300, 100, 10];
        WarmUp(train, narrow, denseGradientEvery);
        var runs = new (string Name, int Threads, bool Sparse)[] { ("dense", 1, false), ("dense", 2, false), ("90 %", 1, true), ("90 %", 2, true) };
        var seconds = runs.ToDictionary(r => (r.Name, r.Threads), _ => new List<double>());
        var results = new List<Dictionary<string, object>>();
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < runs.Length; i++)
            {
                var (name, threads, sparse) = runs[(i + round) % runs.Length];
                var row = Measure($"{name}, {threads} thread(s), round {round + 1}", narrow, threads, train, test, sparse, denseGradientEvery, timeSingleRow: false);
                seconds[(name, threads)].Add((double)row["seconds"]);
                results.Add(row);
            }
        }

        double Median(string name, int threads)
        {
            var sorted = seconds[(name, threads)].Order().ToArray();
            return (sorted[(rounds - 1) / 2] + sorted[rounds / 2]) / 2;
        }

        results.Add(new()
        {
            ["benchmark"] = "fit-cost-ratios",
            ["rounds"] = rounds,
            ["medianSeconds"] = string.Join(", ", runs.Select(r => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{r.Name} {r.Threads} thr {Median(r.Name, r.Threads):F2}"))),
            ["sparseOverDense1Thread"] = Math.Round(Median("90 %", 1) / Median("dense", 1), 3),
            ["sparseOverDense2Threads"] = Math.Round(Median("90 %", 2) / Median("dense", 2), 3),
            ["twoThreadsSpeedUpSparse"] = Math.Round(Median("90 %", 1) / Median("90 %", 2), 3),
            ["twoThreadsSpeedUpDense"] = Math.Round(Median("dense", 1) / Median("dense", 2), 3),
        });
        return results;
    }

    /// <summary>
    /// The wide network's price against its epochs (two threads, the trainer's held pattern): 784-300-100-10 at 90 % in the
    /// default 20 epochs and 784-1200-400-10 to the same nonzeros in 12, on seeds 123, 1 and 2; on seed 123 also the wide
    /// one in 8, 10 and 20 epochs. Each run's seconds and test accuracy.
    /// </summary>
    public static List<Dictionary<string, object>> WideEpochs(int denseGradientEvery) =>
        WideAgainstNarrow(denseGradientEvery, "20 epochs, ", seed => (seed == 123 ? new[] { 8, 10, 12, 20 } : [12])
            .Select(epochs => new WideRun($"{epochs} epochs", epochs, null)));

    /// <summary>
    /// The wide network's price against its schedule's length (two threads, the trainer's held pattern, 20 epochs):
    /// 784-300-100-10 at 90 % with the default schedule (to 60 % of the steps) and 784-1200-400-10 to the same nonzeros
    /// with the schedule ending at each of <paramref name="ends"/>, on seeds 123, 1 and 2. Each run's seconds and test accuracy.
    /// </summary>
    public static List<Dictionary<string, object>> WideSchedule(int denseGradientEvery, double[] ends) =>
        WideAgainstNarrow(denseGradientEvery, "", _ => ends.Select(end => new WideRun(
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"schedule to {end:P0} of the steps"), 20, new TrackingSettings { ScheduleEnd = end })));

    /// <summary>One run of the wide network: its name in the row, its epochs, its schedule (null: the trainer's).</summary>
    private sealed record WideRun(string Name, int Epochs, TrackingSettings? Tracking);

    /// <summary>
    /// On seeds 123, 1 and 2 (two threads, the trainer's held pattern): 784-300-100-10 at 90 % in 20 epochs, then
    /// 784-1200-400-10 to the same nonzeros in each of the seed's <paramref name="wideRuns"/>; each run's seconds and test
    /// accuracy (a run with its own schedule also gives its end as <c>scheduleEnd</c>).
    /// </summary>
    private static List<Dictionary<string, object>> WideAgainstNarrow(int denseGradientEvery, string narrowEpochs, Func<int, IEnumerable<WideRun>> wideRuns)
    {
        var (train, test) = Load();
        int[] narrow = [784, 300, 100, 10], wide = [784, 1200, 400, 10];
        WarmUp(train, narrow, denseGradientEvery);
        var results = new List<Dictionary<string, object>>();
        foreach (int seed in new[] { 123, 1, 2 })
        {
            results.Add(Measure($"784-300-100-10 at 90 %, {narrowEpochs}seed {seed}", narrow, 2, train, test, sparse: true, denseGradientEvery, seed: seed, timeSingleRow: false));
            foreach (var run in wideRuns(seed))
            {
                var row = Measure($"784-1200-400-10 (98.1 %), {run.Name}, seed {seed}", wide, 2, train, test, sparse: true, denseGradientEvery, seed: seed,
                    timeSingleRow: false, epochs: run.Epochs, tracking: run.Tracking);
                if (run.Tracking is { } tracking)
                    row["scheduleEnd"] = tracking.ScheduleEnd;
                results.Add(row);
            }
        }

        return results;
    }

    /// <summary>
    /// A short untimed run on the first 12,800 rows, two threads (one dense epoch; the 90 % schedule with its held and
    /// frozen phases over 6 epochs), so that the first measured run does not pay alone for compiling the code paths and
    /// warming the caches: the dense run comes first, and a slow first epoch there would flatter the sparse runs' ratios.
    /// </summary>
    private static void WarmUp(TrainingData train, int[] sizes, int denseGradientEvery)
    {
        const int Rows = 12_800;
        int columns = train.Columns;
        var part = new TrainingData(train.Features.AsSpan(0, Rows * columns).ToArray(), train.Labels.AsSpan(0, Rows).ToArray(), Rows, columns);
        var settings = new TrainingSettings
        {
            Loss = LossKind.SoftmaxCrossEntropy, Optimizer = SparseMlpOptimizer.Adam, LearningRate = 1e-3f, BatchSize = 128, Epochs = 1,
            Seed = 1, Threads = 2, Lambdas = new float[sizes.Length - 1],
        };
        ProximalTrainingLoop.Train(part, MlpParameters.Initialize(sizes, 1), settings);
        var selection = new SelectionSettings
        {
            LayerWise = false, Targets = [Target], Tolerance = 0.01f, MaxIterations = 1, Strategy = SelectionStrategy.SparsityTracking,
            LargeProbe = 1f, SmallProbe = 1e-4f, SmallProbeEpochs = 1,
        };
        SparsityTracking.Run(part, sizes, 1, settings with { Epochs = 6, DenseGradientEvery = denseGradientEvery }, selection, new TrackingSettings(), null, default);
    }

    /// <summary>Runs <paramref name="measure"/> with every parallel section on the thread pool when <paramref name="pool"/> (the row says which).</summary>
    private static Dictionary<string, object> OnThreadPool(bool pool, Func<Dictionary<string, object>> measure)
    {
        var row = ParallelSectionBenchmarks.OnThreadPool(pool, measure);
        row["parallelSections"] = pool ? "thread pool (Parallel.For, before)" : "worker team";
        return row;
    }

    /// <summary>
    /// Accuracy at sparsity with and without the held pattern before the freeze: 784-300-100-10 at 80 / 90 / 95 / 98 %,
    /// seeds 123, 1 and 2, the whole gradient every step and every <paramref name="denseGradientEvery"/> steps, side by
    /// side on 2 threads.
    /// </summary>
    public static List<Dictionary<string, object>> Accuracy(int denseGradientEvery)
    {
        var (train, test) = Load();
        var results = new List<Dictionary<string, object>>();
        foreach (float sparsity in new[] { 0.8f, 0.9f, 0.95f, 0.98f })
        {
            foreach (int seed in new[] { 123, 1, 2 })
            {
                foreach (int every in new[] { 1, denseGradientEvery })
                {
                    var row = Measure($"{sparsity:P0}, seed {seed}, whole gradient every {every}", [784, 300, 100, 10], 2, train, test, sparse: true,
                        every, target: (int)Math.Round((1 - sparsity) * 266_200), seed: seed, timeSingleRow: false);
                    row["benchmark"] = "fit-cost-accuracy";
                    row["denseGradientEvery"] = every;
                    results.Add(row);
                }
            }
        }

        return results;
    }

    internal static (TrainingData Train, TrainingData Test) Load()
    {
        var (trainPixels, trainLabels, trainRows) = FashionMnist.Load(train: true);
        var (testPixels, testLabels, testRows) = FashionMnist.Load(train: false);
        var train = new TrainingData(trainPixels, Array.ConvertAll(trainLabels, l => (float)l), trainRows, 784);
        var test = new TrainingData(testPixels, Array.ConvertAll(testLabels, l => (float)l), testRows, 784);
        var standardization = Standardization.Measure(train, standardizeLabel: false);
        s_rawTest = (float[])testPixels.Clone();
        s_standardization = standardization;
        standardization.Apply(train);
        standardization.Apply(test);
        return (train, test);
    }

    private static Dictionary<string, object> Measure(string run, int[] sizes, int threads, TrainingData train, TrainingData test, bool sparse,
        int denseGradientEvery = 1, int target = Target, int seed = 123, bool timeSingleRow = true, int epochs = 20, TrackingSettings? tracking = null)
    {
        var watch = Stopwatch.StartNew();
        // Each epoch's seconds and its nonzero weights at the end: where the run's time goes as the weights die.
        var epochTimes = new List<string>();
        double last = 0;
        void EpochDone(EpochSummary summary)
        {
            double now = watch.Elapsed.TotalSeconds;
            epochTimes.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{now - last:F2} s {summary.LayerNonZeroCounts.Sum():N0}"));
            last = now;
        }

        var (parameters, frozen) = Train(sizes, threads, train, sparse, denseGradientEvery, target, seed, EpochDone, epochs, tracking);
        double seconds = watch.Elapsed.TotalSeconds;
        int[] nonZero = parameters.CountNonZeroWeights();
        return new()
        {
            ["compactSingleRowMicroseconds"] = timeSingleRow ? Math.Round(SingleRowMicroseconds(parameters, byInputs: true), 2) : 0,
            ["compactSingleRowRowWiseMicroseconds"] = timeSingleRow ? Math.Round(SingleRowMicroseconds(parameters, byInputs: false), 2) : 0,
            ["benchmark"] = "fit-cost",
            ["run"] = run,
            ["network"] = string.Join("-", sizes),
            ["threads"] = threads,
            ["epochs"] = epochs,
            ["seconds"] = Math.Round(seconds, 2),
            ["testAccuracy"] = Math.Round(Accuracy(parameters, test), 4),
            ["nonZero"] = nonZero.Sum(),
            ["layerNonZero"] = string.Join(", ", nonZero),
            ["note"] = frozen,
            ["epochSeconds"] = string.Join("; ", epochTimes),
        };
    }

    /// <summary>
    /// The network trained as this benchmark trains it (Adam 1e-3, batch 128, 20 epochs; sparse: SparsityTracking to
    /// <paramref name="target"/> nonzeros), with the frozen phase's note (empty when dense).
    /// </summary>
    internal static (MlpParameters Parameters, string Note) Train(int[] sizes, int threads, TrainingData train, bool sparse, int denseGradientEvery,
        int target, int seed, Action<EpochSummary>? epochDone, int epochs = 20, TrackingSettings? tracking = null)
    {
        var settings = new TrainingSettings
        {
            Loss = LossKind.SoftmaxCrossEntropy, Optimizer = SparseMlpOptimizer.Adam, LearningRate = 1e-3f, BatchSize = 128, Epochs = epochs,
            Seed = seed, Threads = threads, Lambdas = new float[sizes.Length - 1],
            DenseGradientEvery = denseGradientEvery,
        };
        MlpParameters parameters;
        string frozen = "";
        if (sparse)
        {
            var selection = new SelectionSettings
            {
                LayerWise = false, Targets = [target], Tolerance = 0.01f, MaxIterations = 1, Strategy = SelectionStrategy.SparsityTracking,
                LargeProbe = 1f, SmallProbe = 1e-4f, SmallProbeEpochs = 1,
            };
            var (trained, _, report) = SparsityTracking.Run(train, sizes, seed, settings, selection, tracking ?? new TrackingSettings(), (_, _, summary) => epochDone?.Invoke(summary), default);
            parameters = trained;
            frozen = report.Iterations[0].Note;
        }
        else
        {
            parameters = MlpParameters.Initialize(sizes, seed);
            ProximalTrainingLoop.Train(train, parameters, settings, epochCompleted: epochDone);
        }

        return (parameters, frozen);
    }

    private static float[] s_rawTest = [];

    private static Standardization? s_standardization;

    /// <summary>
    /// The compact predictor's time for one test row, as the trainer delivers it: the standardization folded into the
    /// first layer, scoring raw pixels (median over 1,000 rows, 11 repeats), by input where cheaper (models since format
    /// 0x00010004) or row-wise.
    /// </summary>
    private static double SingleRowMicroseconds(MlpParameters trained, bool byInputs)
    {
        var trainedCompact = Compact(trained);
        var compact = byInputs ? trainedCompact : new CompactMlp(trainedCompact.InputCount, trainedCompact.Layers, trainedCompact.InputRange);
        return SingleRowMicroseconds(compact);
    }

    /// <summary>The compact predictor of <paramref name="trained"/> as the trainer delivers it: the standardization of <see cref="Load"/> folded into the first layer.</summary>
    internal static CompactMlp Compact(MlpParameters trained)
    {
        var parameters = new MlpParameters(trained.LayerSizes);
        for (int j = 0; j < trained.LayerCount; j++)
        {
            trained.Weights[j].CopyTo(parameters.Weights[j], 0);
            trained.Biases[j].CopyTo(parameters.Biases[j], 0);
        }

        s_standardization!.FoldInto(parameters);
        return CompactMlp.FromParameters(parameters);
    }

    /// <summary>Median microseconds a raw test row of <see cref="Load"/> (1,000 rows, 11 repeats).</summary>
    internal static double SingleRowMicroseconds(CompactMlp compact)
    {
        var scratch = (new float[compact.MaxWidth], new float[compact.MaxWidth]);
        var scores = new float[compact.OutputCount];
        return Timing.MedianSeconds(() => { for (int r = 0; r < 1000; r++) compact.Predict(s_rawTest.AsSpan(r * 784, 784), scores, scratch); }, 11) / 1000 * 1e6;
    }

    /// <summary>The raw (unstandardized) test pixels of <see cref="Load"/>.</summary>
    internal static float[] RawTest => s_rawTest;

    private static double Accuracy(MlpParameters parameters, TrainingData test)
    {
        const int Block = 1000;
        var network = new ForwardBackward(parameters.LayerSizes, Block, threads: 2);
        int correct = 0, classes = parameters.OutputSize;
        for (int start = 0; start < test.Rows; start += Block)
        {
            int rows = Math.Min(Block, test.Rows - start);
            network.Forward(parameters, test.Features, start, rows);
            var outputs = network.Outputs(rows);
            for (int r = 0; r < rows; r++)
            {
                var scores = outputs.Slice(r * classes, classes);
                int best = 0;
                for (int c = 1; c < classes; c++)
                    best = scores[c] > scores[best] ? c : best;
                correct += best == (int)test.Labels[start + r] ? 1 : 0;
            }
        }

        return (double)correct / test.Rows;
    }
}
