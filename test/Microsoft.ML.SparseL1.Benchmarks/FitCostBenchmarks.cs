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

    private static (TrainingData Train, TrainingData Test) Load()
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
        int denseGradientEvery = 1, int target = Target, int seed = 123, bool timeSingleRow = true)
    {
        var settings = new TrainingSettings
        {
            Loss = LossKind.SoftmaxCrossEntropy, Optimizer = SparseMlpOptimizer.Adam, LearningRate = 1e-3f, BatchSize = 128, Epochs = 20,
            Seed = seed, Threads = threads, Lambdas = new float[sizes.Length - 1],
            DenseGradientEvery = denseGradientEvery,
        };
        var watch = Stopwatch.StartNew();
        // Each epoch's seconds and its nonzero weights at the end: where the run's time goes as the weights die.
        var epochs = new List<string>();
        double last = 0;
        void EpochDone(EpochSummary summary)
        {
            double now = watch.Elapsed.TotalSeconds;
            epochs.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{now - last:F2} s {summary.LayerNonZeroCounts.Sum():N0}"));
            last = now;
        }

        MlpParameters parameters;
        string frozen = "";
        if (sparse)
        {
            var selection = new SelectionSettings
            {
                LayerWise = false, Targets = [target], Tolerance = 0.01f, MaxIterations = 1, Strategy = SelectionStrategy.SparsityTracking,
                LargeProbe = 1f, SmallProbe = 1e-4f, SmallProbeEpochs = 1,
            };
            var (trained, _, report) = SparsityTracking.Run(train, sizes, seed, settings, selection, new TrackingSettings(), (_, _, summary) => EpochDone(summary), default);
            parameters = trained;
            frozen = report.Iterations[0].Note;
        }
        else
        {
            parameters = MlpParameters.Initialize(sizes, seed);
            ProximalTrainingLoop.Train(train, parameters, settings, epochCompleted: EpochDone);
        }

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
            ["seconds"] = Math.Round(seconds, 2),
            ["testAccuracy"] = Math.Round(Accuracy(parameters, test), 4),
            ["nonZero"] = nonZero.Sum(),
            ["layerNonZero"] = string.Join(", ", nonZero),
            ["note"] = frozen,
            ["epochs"] = string.Join("; ", epochs),
        };
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
        var parameters = new MlpParameters(trained.LayerSizes);
        for (int j = 0; j < trained.LayerCount; j++)
        {
            trained.Weights[j].CopyTo(parameters.Weights[j], 0);
            trained.Biases[j].CopyTo(parameters.Biases[j], 0);
        }

        s_standardization!.FoldInto(parameters);
        var trainedCompact = CompactMlp.FromParameters(parameters);
        var compact = byInputs ? trainedCompact : new CompactMlp(trainedCompact.InputCount, trainedCompact.Layers, trainedCompact.InputRange);
        var scratch = (new float[compact.MaxWidth], new float[compact.MaxWidth]);
        var scores = new float[compact.OutputCount];
        return Timing.MedianSeconds(() => { for (int r = 0; r < 1000; r++) compact.Predict(s_rawTest.AsSpan(r * 784, 784), scores, scratch); }, 11) / 1000 * 1e6;
    }

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
