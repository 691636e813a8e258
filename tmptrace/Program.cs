// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics;
using System.Linq;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Training;

var random = new Random(9);
var parameters = MlpParameters.Initialize([784, 300, 100, 10], seed: 3);
foreach (var w in parameters.Weights)
{
    for (int i = 0; i < w.Length; i++)
        w[i] = random.NextDouble() < 0.1 ? w[i] : 0f;
}

var compact = CompactMlp.FromParameters(parameters);
Console.WriteLine(string.Join(", ", compact.Layers.Select(l => l.IsSparse ? $"CSR nnz {l.NonZeroCount}" : $"dense {l.Outputs}x{l.Inputs}")));
foreach (int threads in new[] { 1, 2, 1, 2 })
{
    var watch2 = Stopwatch.StartNew();
    System.Threading.Tasks.Parallel.For(0, threads, t =>
    {
        var a = new float[128 * 784];
        var b = new float[300 * 784];
        var c = new float[128 * 300];
        for (int i = 0; i < 1000; i++)
            Microsoft.ML.SparseL1.Kernels.DenseGemm.Multiply(Microsoft.ML.SparseL1.Kernels.MatrixOperand.RowMajor(a, 128, 784), Microsoft.ML.SparseL1.Kernels.MatrixOperand.RowMajor(b, 300, 784).Transpose(), c, 0, 300, false, 1);
    });
    Console.WriteLine($"gemm threads {threads}: {watch2.Elapsed.TotalMicroseconds / 1000:F1} us per call per thread");
}

foreach (int threads in new[] { 1, 2, 1, 2 })
{
    var layer = compact.Layers[0];
    var watch = Stopwatch.StartNew();
    System.Threading.Tasks.Parallel.For(0, threads, t =>
    {
        var x = Enumerable.Range(0, 784 * 64).Select(_ => 0.5f).ToArray();
        var y = new float[300 * 64];
        for (int i = 0; i < 4000; i++)
            Microsoft.ML.SparseL1.Kernels.CsrKernels.MultiplyFeatureMajor(layer.RowPointers, layer.ColumnIndices, layer.Values, layer.Bias, x, 784, 64, y);
    });
    Console.WriteLine($"threads {threads}: {watch.Elapsed.TotalMicroseconds / 4000:F1} us per call per thread");
}

{
    float[] f = Enumerable.Range(0, 9984 * 784).Select(_ => (float)random.NextDouble()).ToArray();
    for (int i = 0; i < 3; i++)
        Breakdown.Run(compact, f, 9984);
}

foreach (int rows in new int[0])
{
    float[] features = Enumerable.Range(0, rows * 784).Select(_ => (float)random.NextDouble()).ToArray();
    var outputs = new float[rows * 10];
    foreach (int threads in new[] { 1, 2 })
    {
        for (int rep = 0; rep < 3; rep++)
        {
            int calls = Math.Max(1, 200000 / rows);
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < calls; i++)
                compact.PredictBatch(features, rows, outputs, threads);
            double seconds = watch.Elapsed.TotalSeconds / calls;
            Console.WriteLine($"rows {rows} threads {threads}: {rows / seconds:F0} rows/s");
        }
    }
}

static class Breakdown
{
    public static void Run(CompactMlp net, float[] features, int rows)
    {
        const int B = 64;
        var current = new float[net.MaxWidth * B];
        var next = new float[net.MaxWidth * B];
        var outputs = new float[rows * net.OutputCount];
        var times = new double[net.Layers.Length + 3];
        long t0;
        for (int start = 0; start + B <= rows; start += B)
        {
            t0 = Stopwatch.GetTimestamp();
            Microsoft.ML.SparseL1.Kernels.GemmPackingTranspose.Transpose(features.AsSpan(start * net.InputCount, B * net.InputCount), net.InputCount, B, net.InputCount, current, B);
            times[0] += Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            for (int j = 0; j < net.Layers.Length; j++)
            {
                t0 = Stopwatch.GetTimestamp();
                var layer = net.Layers[j];
                var y = next.AsSpan(0, layer.Outputs * B);
                if (layer.IsSparse)
                    Microsoft.ML.SparseL1.Kernels.CsrKernels.MultiplyFeatureMajor(layer.RowPointers, layer.ColumnIndices, layer.Values, layer.Bias, current, layer.Inputs, B, y);
                else
                    Microsoft.ML.SparseL1.Kernels.DenseGemm.Multiply(Microsoft.ML.SparseL1.Kernels.MatrixOperand.RowMajor(layer.DenseWeightArray, layer.Outputs, layer.Inputs),
                        Microsoft.ML.SparseL1.Kernels.MatrixOperand.RowMajor(current, layer.Inputs, B), next, 0, B, false, 1);
                if (j < net.Layers.Length - 1)
                    System.Numerics.Tensors.TensorPrimitives.Max(y, 0f, y);
                (current, next) = (next, current);
                times[j + 1] += Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            }

            t0 = Stopwatch.GetTimestamp();
            Microsoft.ML.SparseL1.Kernels.GemmPackingTranspose.Transpose(current.AsSpan(0, net.OutputCount * B), B, net.OutputCount, B, outputs.AsSpan(start * net.OutputCount, B * net.OutputCount), net.OutputCount);
            times[^1] += Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }

        int blocks = rows / B;
        Console.WriteLine("per block us: " + string.Join(" ", times.Select(t => (t / blocks).ToString("F1"))));
    }
}
