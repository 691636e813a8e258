// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Loop;
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
