// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Optimizer;
using Microsoft.ML.SparseL1.Training.Passes;

namespace Microsoft.ML.SparseL1.Benchmarks;

/// <summary>The sparse forward of training against the dense GEMM, side by side in one run.</summary>
internal static class SparseTrainingBenchmarks
{
    /// <summary>One 128-row forward product of the 784 -> 300 layer at several densities: CSR build and transposes included.</summary>
    public static List<Dictionary<string, object>> ForwardBreakEven(int threads)
    {
        const int Rows = 128, Inputs = 784, Outputs = 300;
        var random = new Random(3);
        float[] input = BenchmarkData.Uniform(random, Rows * Inputs);
        float[] output = new float[Rows * Outputs];
        var results = new List<Dictionary<string, object>>();
        foreach (double density in new[] { 0.02, 0.05, 0.10, 0.15, 0.20, 0.30 })
        {
            float[] weights = BenchmarkData.Uniform(random, Outputs * Inputs, density);
            var sparse = new SparseLayerForward(Inputs, Outputs, Rows);
            var x = MatrixOperand.RowMajor(input, Rows, Inputs);
            var wT = MatrixOperand.RowMajor(weights, Outputs, Inputs).Transpose();
            double denseSeconds = Timing.MedianSeconds(() => Repeat(() => DenseGemm.Multiply(x, wT, output, 0, Outputs, false, threads)), 15) / 100;
            double sparseSeconds = Timing.MedianSeconds(() => Repeat(() => sparse.Multiply(weights, input, Rows, output, threads)), 15) / 100;
            results.Add(new()
            {
                ["benchmark"] = "sparse-forward",
                ["shape"] = "128x784 * (300x784)T",
                ["density"] = density,
                ["threads"] = threads,
                ["denseMicroseconds"] = Math.Round(denseSeconds * 1e6, 1),
                ["sparseMicroseconds"] = Math.Round(sparseSeconds * 1e6, 1),
                ["sparseSpeedup"] = Math.Round(denseSeconds / sparseSeconds, 2),
            });
        }

        return results;
    }

    /// <summary>
    /// Seconds per Adam epoch of 784-300-100-10 on Fashion-MNIST with 10 % of the first two layers' weights kept (about
    /// what a 90 % selection leaves) and the pattern frozen, with the sparse forward and with the dense one.
    /// </summary>
    public static List<Dictionary<string, object>> SparseEpoch(int threads)
    {
        var data = BenchmarkData.FashionTrainingSet();
        var results = new List<Dictionary<string, object>>();
        var seconds = new Dictionary<bool, double>();
        foreach (bool sparseForward in new[] { false, true })
        {
            var parameters = MlpParameters.Initialize([784, 300, 100, 10], seed: 1);
            var random = new Random(2);
            for (int j = 0; j < 2; j++)
            {
                for (int i = 0; i < parameters.Weights[j].Length; i++)
                    parameters.Weights[j][i] = random.NextDouble() < 0.10 ? parameters.Weights[j][i] : 0f;
            }

            var settings = new TrainingSettings
            {
                Loss = LossKind.SoftmaxCrossEntropy, Optimizer = SparseMlpOptimizer.Adam, LearningRate = 1e-3f, BatchSize = 128, Epochs = 1,
                Threads = threads, Lambdas = [0f, 0f, 0f], FreezeZeroWeights = true, SparseForward = sparseForward,
            };
            seconds[sparseForward] = Timing.MedianSeconds(() => ProximalTrainingLoop.Train(data, parameters, settings), 3);
        }

        results.Add(new()
        {
            ["benchmark"] = "sparse-epoch",
            ["network"] = "784-300-100-10, layers 1-2 at 10 % density, frozen",
            ["threads"] = threads,
            ["denseForwardSecondsPerEpoch"] = Math.Round(seconds[false], 3),
            ["sparseForwardSecondsPerEpoch"] = Math.Round(seconds[true], 3),
            ["speedup"] = Math.Round(seconds[false] / seconds[true], 2),
        });
        return results;
    }

    /// <summary>
    /// Seconds per Adam epoch of 784-300-100-10 on Fashion-MNIST with the pattern frozen at several densities of the
    /// first two layers (the last is dense), the frozen layers trained by their kept weights (<see cref="FrozenLayerPass"/>)
    /// and by the dense products, beside a dense epoch (no pattern), on 1 and 2 threads; rounds interleaved, best of 3.
    /// </summary>
    public static List<Dictionary<string, object>> FrozenEpoch()
    {
        var data = BenchmarkData.FashionTrainingSet();
        var results = new List<Dictionary<string, object>>();
        foreach (int threads in new[] { 1, 2 })
        {
            double dense = double.MaxValue;
            var byDensity = new Dictionary<(double, bool), double>();
            double[] densities = [0.02, 0.05, 0.10, 0.20, 0.30, 0.50];
            for (int round = 0; round < 3; round++)
            {
                dense = Math.Min(dense, Epoch(data, threads, density: 1.0, sparseFrozen: false));
                foreach (double density in densities)
                {
                    foreach (bool sparseFrozen in new[] { false, true })
                    {
                        double seconds = Epoch(data, threads, density, sparseFrozen);
                        byDensity[(density, sparseFrozen)] = byDensity.TryGetValue((density, sparseFrozen), out double best) ? Math.Min(best, seconds) : seconds;
                    }
                }
            }

            foreach (double density in densities)
            {
                results.Add(new()
                {
                    ["benchmark"] = "frozen-epoch",
                    ["network"] = "784-300-100-10 on Fashion-MNIST, Adam, batch 128; layers 1-2 frozen at the density, layer 3 dense",
                    ["density"] = density,
                    ["threads"] = threads,
                    ["denseEpochSeconds"] = Math.Round(dense, 3),
                    ["frozenDenseProductsSeconds"] = Math.Round(byDensity[(density, false)], 3),
                    ["frozenKeptProductsSeconds"] = Math.Round(byDensity[(density, true)], 3),
                    ["keptAgainstDenseEpoch"] = Math.Round(byDensity[(density, true)] / dense, 3),
                    ["keptAgainstDenseProducts"] = Math.Round(byDensity[(density, true)] / byDensity[(density, false)], 3),
                });
            }
        }

        return results;
    }

    /// <summary>
    /// The parts of one 128-row step of a frozen 784 -> 300 layer at 10 % kept on one thread, in microseconds: the kept
    /// products (forward, weight gradient, input gradient, transposes included) against the dense GEMMs they replace.
    /// </summary>
    public static List<Dictionary<string, object>> FrozenLayerParts()
    {
        const int Rows = 128, Inputs = 784, Outputs = 300;
        var random = new Random(3);
        float[] input = BenchmarkData.Uniform(random, Rows * Inputs);
        float[] delta = BenchmarkData.Uniform(random, Rows * Outputs);
        float[] weights = BenchmarkData.Uniform(random, Outputs * Inputs, 0.10);
        float[] output = new float[Rows * Outputs], inputGradient = new float[Rows * Inputs], weightGradient = new float[Outputs * Inputs];
        var kept = new KeptWeights(weights, null, null);
        kept.MakeResident(Outputs, Inputs);
        var pass = new FrozenLayerPass(Inputs, Outputs, Rows);
        var x = MatrixOperand.RowMajor(input, Rows, Inputs);
        double Micro(Action action) => Timing.MedianSeconds(() => Repeat(action), 15) / 100 * 1e6;
        double forward = Micro(() => pass.Forward(kept, x, Rows, output, 1));
        double weightOnly = Micro(() => pass.Backward(kept, delta, Rows, kept.Gradient, false, default, 1));
        double both = Micro(() => pass.Backward(kept, delta, Rows, kept.Gradient, false, inputGradient, 1));
        double transpose = Micro(() => GemmPackingTranspose.Transpose(input, Inputs, Rows, Inputs, inputGradient, Rows));
        var wT = MatrixOperand.RowMajor(weights, Outputs, Inputs).Transpose();
        double denseForward = Micro(() => DenseGemm.Multiply(x, wT, output, 0, Outputs, false, 1));
        double denseGradient = Micro(() => DenseGemm.Multiply(MatrixOperand.RowMajor(delta, Rows, Outputs).Transpose(), x, weightGradient, 0, Inputs, false, 1));
        double denseInputGradient = Micro(() => DenseGemm.Multiply(MatrixOperand.RowMajor(delta, Rows, Outputs), MatrixOperand.RowMajor(weights, Outputs, Inputs),
            inputGradient, 0, Inputs, false, 1));
        return
        [
            new()
            {
                ["benchmark"] = "frozen-layer-parts",
                ["shape"] = "128 rows, 784 -> 300, 10 % kept, 1 thread (microseconds)",
                ["keptForward"] = Math.Round(forward, 1),
                ["keptWeightGradient"] = Math.Round(weightOnly, 1),
                ["keptWeightAndInputGradient"] = Math.Round(both, 1),
                ["oneTranspose128x784"] = Math.Round(transpose, 1),
                ["denseForward"] = Math.Round(denseForward, 1),
                ["denseWeightGradient"] = Math.Round(denseGradient, 1),
                ["denseInputGradient"] = Math.Round(denseInputGradient, 1),
            },
        ];
    }

    /// <summary>
    /// Seconds per Adam epoch of 784-300-100-10 on Fashion-MNIST, dense and with layers 1-2 frozen at 10 % kept, on 1
    /// and 2 threads, with the products threaded (the batch whole) and with the batch split in two halves side by side
    /// (<see cref="TrainingSettings.SplitBatches"/>); rounds interleaved, best of 3.
    /// </summary>
    public static List<Dictionary<string, object>> ThreadsEpoch()
    {
        var data = BenchmarkData.FashionTrainingSet();
        var best = new Dictionary<(double Density, bool Split, bool Pool, int Threads), double>();
        for (int round = 0; round < 3; round++)
        {
            foreach (double density in new[] { 1.0, 0.10 })
            {
                foreach (bool split in new[] { false, true })
                {
                    foreach (bool pool in new[] { false, true })
                    {
                        foreach (int threads in new[] { 1, 2 })
                        {
                            double seconds = ParallelSectionBenchmarks.OnThreadPool(pool, () => Epoch(data, threads, density, sparseFrozen: true, split));
                            var key = (density, split, pool, threads);
                            best[key] = best.TryGetValue(key, out double b) ? Math.Min(b, seconds) : seconds;
                        }
                    }
                }
            }
        }

        var results = new List<Dictionary<string, object>>();
        foreach (var ((density, split, pool, threads), seconds) in best.Where(entry => entry.Key.Threads == 2).OrderBy(entry => entry.Key))
        {
            double one = best[(density, split, pool, 1)];
            results.Add(new()
            {
                ["benchmark"] = "threads-epoch",
                ["network"] = density < 1 ? "784-300-100-10, layers 1-2 frozen at 10 % kept" : "784-300-100-10, dense",
                ["batch"] = split ? "split in two halves side by side where mostly resident" : "whole, products threaded",
                ["parallelSections"] = pool ? "thread pool (Parallel.For, before)" : "worker team",
                ["oneThreadSeconds"] = Math.Round(one, 3),
                ["twoThreadsSeconds"] = Math.Round(seconds, 3),
                ["twoThreadsSpeedup"] = Math.Round(one / seconds, 2),
            });
        }

        return results;
    }

    private static double Epoch(TrainingData data, int threads, double density, bool sparseFrozen, bool split = true)
    {
        var parameters = MlpParameters.Initialize([784, 300, 100, 10], seed: 1);
        var random = new Random(2);
        for (int j = 0; j < 2 && density < 1; j++)
        {
            for (int i = 0; i < parameters.Weights[j].Length; i++)
                parameters.Weights[j][i] = random.NextDouble() < density ? parameters.Weights[j][i] : 0f;
        }

        var settings = new TrainingSettings
        {
            Loss = LossKind.SoftmaxCrossEntropy, Optimizer = SparseMlpOptimizer.Adam, LearningRate = 1e-3f, BatchSize = 128, Epochs = 1,
            Threads = threads, Lambdas = [0f, 0f, 0f], FreezeZeroWeights = density < 1, SparseFrozenLayers = sparseFrozen, SplitBatches = split,
        };
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        ProximalTrainingLoop.Train(data, parameters, settings);
        return System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>
    /// One training run as the selection does it: 784-300-100-10 from the seeded initialisation, Adam, 5 epochs, at the λ
    /// the 90 % Fashion-MNIST selection chooses, with the sparse kernels (sparse forward, active-neuron gradients) and
    /// without, side by side.
    /// </summary>
    public static List<Dictionary<string, object>> SelectionRun(int threads)
    {
        var data = BenchmarkData.FashionTrainingSet();
        var seconds = new Dictionary<bool, double>();
        var nonZero = new Dictionary<bool, int[]>();
        foreach (bool sparse in new[] { false, true, false, true })
        {
            var parameters = MlpParameters.Initialize([784, 300, 100, 10], seed: 123);
            var settings = new TrainingSettings
            {
                Loss = LossKind.SoftmaxCrossEntropy, Optimizer = SparseMlpOptimizer.Adam, LearningRate = 1e-3f, BatchSize = 128, Epochs = 5,
                Seed = 123, Threads = threads, Lambdas = [3.3e-4f, 3.3e-4f, 3.3e-4f], SparseForward = sparse, SkipInactiveNeurons = sparse,
            };
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            nonZero[sparse] = ProximalTrainingLoop.Train(data, parameters, settings).LayerNonZeroCounts;
            double elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
            seconds[sparse] = seconds.TryGetValue(sparse, out double first) ? Math.Min(first, elapsed) : elapsed;
        }

        return
        [
            new()
            {
                ["benchmark"] = "selection-run",
                ["network"] = "784-300-100-10, Adam 1e-3, λ 3.3e-4, 5 epochs (best of 2 each, interleaved)",
                ["threads"] = threads,
                ["denseSeconds"] = Math.Round(seconds[false], 2),
                ["sparseKernelsSeconds"] = Math.Round(seconds[true], 2),
                ["speedup"] = Math.Round(seconds[false] / seconds[true], 2),
                ["denseNonZero"] = string.Join(", ", nonZero[false]),
                ["sparseKernelsNonZero"] = string.Join(", ", nonZero[true]),
            },
        ];
    }

    private static void Repeat(Action action)
    {
        for (int i = 0; i < 100; i++)
            action();
    }
}
