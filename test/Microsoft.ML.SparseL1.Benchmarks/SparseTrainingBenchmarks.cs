// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Loop;
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
