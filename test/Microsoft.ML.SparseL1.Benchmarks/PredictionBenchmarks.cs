// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Passes;

namespace Microsoft.ML.SparseL1.Benchmarks;

/// <summary>Console measurements of the compact predictor: CSR break-even density, single-row and batch speed.</summary>
internal static class PredictionBenchmarks
{
    /// <summary>Dense vs CSR single-row layer product on the MLP's shapes over a range of densities.</summary>
    public static List<Dictionary<string, object>> BreakEven()
    {
        var results = new List<Dictionary<string, object>>();
        var random = new Random(5);
        foreach (var (outputs, inputs) in new[] { (300, 784), (100, 300) })
        {
            float[] x = Enumerable.Range(0, inputs).Select(_ => (float)random.NextDouble()).ToArray();
            var y = new float[outputs];
            foreach (double density in new[] { 0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5 })
            {
                float[] w = Enumerable.Range(0, outputs * inputs).Select(_ => random.NextDouble() < density ? (float)(random.NextDouble() - 0.5) : 0f).ToArray();
                var bias = new float[outputs];
                var dense = CompactLayer.CreateDense(inputs, outputs, w, bias);
                var sparse = ToCsr(w, bias, outputs, inputs);
                double denseSeconds = Timing.MedianSeconds(() => { for (int i = 0; i < 200; i++) dense.Multiply(x, y); }, 15) / 200;
                double sparseSeconds = Timing.MedianSeconds(() => { for (int i = 0; i < 200; i++) sparse.Multiply(x, y); }, 15) / 200;
                // By input (models since format 0x00010004), each product whatever it costs: on this row, and on it with half its
                // inputs zero (an image's background); a layer whose dense columns would be too large has none (no figure).
                var byInputs = LayerByInputs.For(sparse);
                float[] halfZero = x.Select((v, i) => i % 2 == 0 ? 0f : v).ToArray();
                double ByInputs(float[] row) => byInputs is null ? 0
                    : Timing.MedianSeconds(() => { for (int i = 0; i < 200; i++) byInputs.Multiply(row, y, always: true); }, 15) / 200;
                double byInputsSeconds = ByInputs(x), byInputsHalfSeconds = ByInputs(halfZero);
                // The by-column scalar product over the row's nonzero inputs (measured against, not used for dense rows).
                var columns = new LayerColumns(sparse);
                double Columns(float[] row)
                {
                    int[] indices = Enumerable.Range(0, inputs).Where(c => row[c] != 0f).ToArray();
                    float[] values = indices.Select(c => row[c]).ToArray();
                    return Timing.MedianSeconds(() => { for (int i = 0; i < 200; i++) columns.Multiply(indices, values, y); }, 15) / 200;
                }

                double columnsSeconds = Columns(x), columnsHalfSeconds = Columns(halfZero);
                var row = new Dictionary<string, object>
                {
                    ["benchmark"] = "breakeven",
                    ["shape"] = $"{outputs}x{inputs}",
                    ["density"] = density,
                    ["denseMicroseconds"] = Math.Round(denseSeconds * 1e6, 3),
                    ["csrMicroseconds"] = Math.Round(sparseSeconds * 1e6, 3),
                    ["csrOverDense"] = Math.Round(sparseSeconds / denseSeconds, 3),
                };
                row["sparseColumnsMicroseconds"] = Math.Round(columnsSeconds * 1e6, 3);
                row["sparseColumnsHalfZeroRowMicroseconds"] = Math.Round(columnsHalfSeconds * 1e6, 3);
                if (byInputs is not null)
                {
                    row["denseColumnsMicroseconds"] = Math.Round(byInputsSeconds * 1e6, 3);
                    row["denseColumnsHalfZeroRowMicroseconds"] = Math.Round(byInputsHalfSeconds * 1e6, 3);
                }

                results.Add(row);
            }
        }

        return results;
    }

    /// <summary>
    /// 784-300-100-10 at about 90 % sparsity, two ways: random weights with a random 90 % removed (no neuron dies:
    /// the worst case for the compact model), and a network trained on Fashion-MNIST with l1 (Adam, λ = 3.3e-4,
    /// 4 epochs), whose dead neurons compaction removes. Compact vs the same weights dense, direct and through ML.NET.
    /// </summary>
    public static List<Dictionary<string, object>> Predict()
    {
        var random = new Random(9);
        var parameters = MlpParameters.Initialize([784, 300, 100, 10], seed: 3);
        foreach (var w in parameters.Weights)
        {
            for (int i = 0; i < w.Length; i++)
                w[i] = random.NextDouble() < 0.1 ? w[i] : 0f;
        }

        var results = Predict(parameters, "random 90 % pruned", random, mlNet: true);
        var trained = MlpParameters.Initialize([784, 300, 100, 10], seed: 3);
        ProximalTrainingLoop.Train(BenchmarkData.FashionTrainingSet(), trained, new TrainingSettings
        {
            Loss = LossKind.SoftmaxCrossEntropy, Optimizer = SparseMlpOptimizer.Adam, LearningRate = 1e-3f, BatchSize = 128, Epochs = 4,
            Seed = 1, Lambdas = [3.3e-4f, 3.3e-4f, 3.3e-4f], Threads = 2,
        });
        results.AddRange(Predict(trained, "trained on Fashion-MNIST", random, mlNet: false));
        return results;
    }

    private static List<Dictionary<string, object>> Predict(MlpParameters parameters, string origin, Random random, bool mlNet)
    {
        double sparsity = 1 - (double)parameters.CountNonZeroWeights().Sum() / parameters.WeightCount;
        var compact = CompactMlp.FromParameters(parameters);
        var dense = new CompactMlp(784, parameters.Weights.Select((w, j) => CompactLayer.CreateDense(parameters.LayerSizes[j], parameters.LayerSizes[j + 1], w, parameters.Biases[j])).ToArray());
        const int Rows = 10000;
        float[] features = Enumerable.Range(0, Rows * 784).Select(_ => (float)random.NextDouble()).ToArray();
        var outputs = new float[10];
        var results = new List<Dictionary<string, object>>();
        foreach (var (name, network) in new[] { ("compact (CSR where sparse)", compact), ("dense", dense) })
        {
            var scratch = (new float[network.MaxWidth], new float[network.MaxWidth]);
            double single = Timing.MedianSeconds(() => { for (int r = 0; r < 1000; r++) network.Predict(features.AsSpan(r * 784, 784), outputs, scratch); }, 11) / 1000;
            var batchOutputs = new float[Rows * 10];
            double batch = Timing.MedianSeconds(() => network.PredictBatch(features, Rows, batchOutputs, threads: 2), 11);
            results.Add(new()
            {
                ["benchmark"] = "predict-direct",
                ["weights"] = $"{origin}, sparsity {sparsity:P1}",
                ["network"] = name,
                ["layers"] = string.Join(", ", network.Layers.Select(l => l.IsSparse ? $"CSR nnz {l.NonZeroCount}" : $"dense {l.Outputs}x{l.Inputs}")),
                ["singleRowMicroseconds"] = Math.Round(single * 1e6, 2),
                ["rowsPerSecond"] = Math.Round(1 / single),
                ["batchRowsPerSecond"] = Math.Round(Rows / batch),
                ["referencePyTorchDense"] = "21 us single row, 410k rows/s batch (docs/kernels.md)",
            });
        }

        if (!mlNet)
            return results;
        var model = new SparseMlpModelParameters(SparseMlpTask.MulticlassClassification, compact, [], parameters.LayerSizes, [0f, 0f, 0f],
            parameters.CountNonZeroWeights(), null);
        var transformer = new SparseMlpPredictionTransformer(model, "Features");
        var ml = new MLContext();
        var rows = Enumerable.Range(0, Rows).Select(r => new Row { Features = features.AsSpan(r * 784, 784).ToArray() }).ToArray();
        var engine = ml.Model.CreatePredictionEngine<Row, Scores>(transformer);
        var prediction = new Scores();
        double engineSeconds = Timing.MedianSeconds(() => { for (int r = 0; r < 1000; r++) engine.Predict(rows[r], ref prediction); }, 11) / 1000;
        var view = ml.Data.LoadFromEnumerable(rows);
        double transformSeconds = Timing.MedianSeconds(() =>
        {
            var scored = transformer.Transform(view);
            using var cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name == "Score"));
            var getter = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
            VBuffer<float> value = default;
            while (cursor.MoveNext())
                getter(ref value);
        }, 5);
        results.Add(new()
        {
            ["benchmark"] = "predict-mlnet",
            ["network"] = "compact",
            ["predictionEngineMicroseconds"] = Math.Round(engineSeconds * 1e6, 2),
            ["transformRowsPerSecond"] = Math.Round(Rows / transformSeconds),
        });
        return results;
    }

    private static CompactLayer ToCsr(float[] w, float[] bias, int outputs, int inputs)
    {
        int nonZero = w.Count(v => v != 0f);
        var pointers = new int[outputs + 1];
        var columns = new int[nonZero];
        var values = new float[nonZero];
        CsrKernels.CompressRows(w, outputs, inputs, pointers, columns, values);
        return CompactLayer.CreateSparse(inputs, outputs, pointers, columns, values, bias);
    }

    /// <summary>Input row for the ML.NET measurements.</summary>
    public sealed class Row
    {
        /// <summary>The features.</summary>
        [VectorType(784)]
        public float[] Features { get; set; } = [];
    }

    /// <summary>Output row for the ML.NET measurements.</summary>
    public sealed class Scores
    {
        /// <summary>Class probabilities.</summary>
        public float[] Score { get; set; } = [];
    }
}
