// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Optimizer;
using Microsoft.ML.SparseL1.Training.Passes;

namespace Microsoft.ML.SparseL1.Benchmarks;

/// <summary>The console measurements of the engine: dense products (GFLOP/s) and one training epoch.</summary>
internal static class EngineBenchmarks
{
    /// <summary>GEMM throughput on the MLP's forward and backward shapes at 1 and 2 threads.</summary>
    public static List<Dictionary<string, object>> DenseProducts()
    {
        var results = new List<Dictionary<string, object>>();
        var random = new Random(1);
        // (name, m, n, k, transposeA, transposeB): forward X·Wᵀ, weight gradient δᵀ·X, input gradient δ·W.
        (string Name, int M, int N, int K, bool TA, bool TB)[] shapes =
        [
            ("forward 128x784 * (300x784)T", 128, 300, 784, false, true),
            ("forward 128x300 * (100x300)T", 128, 100, 300, false, true),
            ("weight-grad (128x300)T * 128x784", 300, 784, 128, true, false),
            ("weight-grad (128x100)T * 128x300", 100, 300, 128, true, false),
            ("input-grad 128x100 * 100x300", 128, 300, 100, false, false),
        ];
        foreach (var (name, m, n, k, ta, tb) in shapes)
        {
            float[] a = BenchmarkData.Uniform(random, m * k), b = BenchmarkData.Uniform(random, k * n), c = new float[m * n];
            var left = ta ? MatrixOperand.RowMajor(a, k, m).Transpose() : MatrixOperand.RowMajor(a, m, k);
            var right = tb ? MatrixOperand.RowMajor(b, n, k).Transpose() : MatrixOperand.RowMajor(b, k, n);
            foreach (int threads in new[] { 1, 2 })
            {
                int inner = Math.Max(1, (int)(2e9 / (2.0 * m * n * k) / 20));
                double seconds = Timing.MedianSeconds(() =>
                {
                    for (int i = 0; i < inner; i++)
                        DenseGemm.Multiply(left, right, c, 0, n, false, threads);
                }, 15) / inner;
                results.Add(new()
                {
                    ["benchmark"] = "gemm",
                    ["shape"] = name,
                    ["threads"] = threads,
                    ["path"] = KernelDispatch.Current.ToString(),
                    ["microseconds"] = Math.Round(seconds * 1e6, 2),
                    ["gflops"] = Math.Round(2.0 * m * n * k / seconds / 1e9, 1),
                });
            }
        }

        return results;
    }

    /// <summary>
    /// The forward GEMM 128x784·(300x784)ᵀ on one thread, alone and as two independent products side by side (one per
    /// core, separate operands), against one product on two threads: tells a product that does not split well from a
    /// machine whose cores do not add up on it.
    /// </summary>
    public static List<Dictionary<string, object>> GemmPair()
    {
        const int M = 128, N = 300, K = 784, Inner = 50;
        var random = new Random(1);
        var operands = Enumerable.Range(0, 2).Select(_ => (A: BenchmarkData.Uniform(random, M * K), B: BenchmarkData.Uniform(random, N * K), C: new float[M * N])).ToArray();
        void Product(int i, int threads)
        {
            var (a, b, c) = operands[i];
            for (int r = 0; r < Inner; r++)
                DenseGemm.Multiply(MatrixOperand.RowMajor(a, M, K), MatrixOperand.RowMajor(b, N, K).Transpose(), c, 0, N, false, threads);
        }

        double alone = Timing.MedianSeconds(() => Product(0, 1), 9) / Inner;
        double pair = Timing.MedianSeconds(() => System.Threading.Tasks.Parallel.For(0, 2, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = 2 }, i => Product(i, 1)), 9) / Inner;
        double split = Timing.MedianSeconds(() => Product(0, 2), 9) / Inner;
        return
        [
            new()
            {
                ["benchmark"] = "gemm-pair",
                ["shape"] = "forward 128x784 * (300x784)T",
                ["oneProductOneThreadMicroseconds"] = Math.Round(alone * 1e6, 1),
                ["twoProductsSideBySideMicroseconds"] = Math.Round(pair * 1e6, 1),
                ["oneProductTwoThreadsMicroseconds"] = Math.Round(split * 1e6, 1),
                ["sideBySideThroughput"] = Math.Round(2 * alone / pair, 2),
                ["twoThreadSpeedup"] = Math.Round(alone / split, 2),
            },
        ];
    }

    /// <summary>
    /// The parts of one dense Adam step of 784-300-100-10 on a 128-row batch, on 1 and 2 threads, in microseconds:
    /// forward, backward (with the loss) and the proximal Adam step over the 266,200 weights.
    /// </summary>
    public static List<Dictionary<string, object>> StepParts()
    {
        var data = BenchmarkData.FashionTrainingSet();
        var results = new List<Dictionary<string, object>>();
        int[] sizes = [784, 300, 100, 10];
        foreach (int threads in new[] { 1, 2 })
        {
            var parameters = MlpParameters.Initialize(sizes, seed: 1);
            var settings = new TrainingSettings
            {
                Loss = LossKind.SoftmaxCrossEntropy, Optimizer = SparseMlpOptimizer.Adam, LearningRate = 1e-3f, BatchSize = 128, Epochs = 1,
                Threads = threads, Lambdas = [1e-5f, 1e-5f, 1e-5f],
            };
            var gradient = new BatchGradient(data, LossKind.SoftmaxCrossEntropy, sizes, 128, threads);
            var optimizer = new ProximalOptimizer(settings, parameters);
            int[] nonZero = parameters.CountNonZeroWeights();
            const int Inner = 50;
            double whole = Timing.MedianSeconds(() =>
            {
                for (int i = 0; i < Inner; i++)
                    gradient.Compute(parameters, null, i * 128, 128, null, false);
            }, 9) / Inner;
            double forward = Timing.MedianSeconds(() =>
            {
                for (int i = 0; i < Inner; i++)
                    gradient.Network.Forward(parameters, data.Features, i * 128, 128);
            }, 9) / Inner;
            double step = Timing.MedianSeconds(() =>
            {
                for (int i = 0; i < Inner; i++)
                    optimizer.Step(parameters, gradient.Network.WeightGradients, gradient.Network.BiasGradients, nonZero);
            }, 9) / Inner;
            // The sparsity-tracking schedule's step: each weight's penalty λ·δ/(|w|+δ) (the reweighted l1).
            optimizer.ReweightOffset = 0.01f;
            double reweightedStep = Timing.MedianSeconds(() =>
            {
                for (int i = 0; i < Inner; i++)
                    optimizer.Step(parameters, gradient.Network.WeightGradients, gradient.Network.BiasGradients, nonZero);
            }, 9) / Inner;
            optimizer.ReweightOffset = 0f;
            results.Add(new()
            {
                ["benchmark"] = "step-parts",
                ["network"] = "784-300-100-10, Adam, batch 128, dense",
                ["threads"] = threads,
                ["forwardMicroseconds"] = Math.Round(forward * 1e6, 1),
                ["backwardAndLossMicroseconds"] = Math.Round((whole - forward) * 1e6, 1),
                ["optimizerStepMicroseconds"] = Math.Round(step * 1e6, 1),
                ["reweightedOptimizerStepMicroseconds"] = Math.Round(reweightedStep * 1e6, 1),
            });
        }

        return results;
    }

    /// <summary>Seconds per epoch of 784-300-100-10 on the 60,000 Fashion-MNIST training rows, batch 128.</summary>
    public static List<Dictionary<string, object>> TrainingEpoch(int threads)
    {
        var data = BenchmarkData.FashionTrainingSet();
        int rows = data.Rows;
        var results = new List<Dictionary<string, object>>();
        foreach (var optimizer in new[] { SparseMlpOptimizer.Adam, SparseMlpOptimizer.Sgd })
        {
            var parameters = MlpParameters.Initialize([784, 300, 100, 10], seed: 1);
            var settings = new TrainingSettings
            {
                Loss = LossKind.SoftmaxCrossEntropy,
                Optimizer = optimizer,
                LearningRate = optimizer == SparseMlpOptimizer.Adam ? 1e-3f : 0.1f,
                BatchSize = 128,
                Epochs = 1,
                Threads = threads,
                Lambdas = [1e-5f, 1e-5f, 1e-5f],
            };
            double seconds = Timing.MedianSeconds(() => ProximalTrainingLoop.Train(data, parameters, settings), 3);
            results.Add(new()
            {
                ["benchmark"] = "epoch",
                ["network"] = "784-300-100-10",
                ["rows"] = rows,
                ["batch"] = 128,
                ["optimizer"] = optimizer.ToString(),
                ["threads"] = threads,
                ["secondsPerEpoch"] = Math.Round(seconds, 3),
                ["referencePyTorchSeconds"] = "0.63-0.70 (Adam, docs/kernels.md)",
            });
        }

        return results;
    }
}
