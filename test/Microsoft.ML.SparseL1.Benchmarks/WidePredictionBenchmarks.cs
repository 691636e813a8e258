// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Training;

namespace Microsoft.ML.SparseL1.Benchmarks;

/// <summary>
/// Issue 29's prediction rows: the narrow 784-300-100-10 at 90 % and the wide 784-1200-400-10 at the same 26,620
/// nonzeros (98.1 %), trained as <c>fit-cost</c> trains them (two threads), compacted as the trainer delivers them; each
/// model's single-row time (by input where cheaper, and row-wise), each layer's time and shape side by side in one run.
/// The trained weights can be kept in a directory (<c>predict-wide=DIR</c>) so that a kernel change is measured on the
/// same models without training them again.
/// </summary>
internal static class WidePredictionBenchmarks
{
    private const int Target = 26_620;

    public static List<Dictionary<string, object>> Run(string? cacheDirectory)
    {
        var (train, test) = FitCostBenchmarks.Load();
        var results = new List<Dictionary<string, object>>();
        var models = new List<(string Name, CompactMlp Compact)>();
        foreach (int[] sizes in new[] { new[] { 784, 300, 100, 10 }, [784, 1200, 400, 10] })
        {
            string name = string.Join("-", sizes);
            var parameters = Cached(cacheDirectory, name, sizes) ?? Trained(cacheDirectory, name, sizes, train);
            models.Add((name, FitCostBenchmarks.Compact(parameters)));
        }

        // Alternate the models' timings so that the machine's speed moves both alike.
        var times = models.ToDictionary(m => m.Name, _ => new List<double>());
        var rowWise = models.ToDictionary(m => m.Name, _ => new List<double>());
        for (int round = 0; round < 3; round++)
        {
            foreach (var (name, compact) in models)
            {
                times[name].Add(FitCostBenchmarks.SingleRowMicroseconds(compact));
                rowWise[name].Add(FitCostBenchmarks.SingleRowMicroseconds(new CompactMlp(compact.InputCount, compact.Layers, compact.InputRange)));
            }
        }

        foreach (var (name, compact) in models)
        {
            var clamped = FitCostBenchmarks.RawTest;
            var (layerMicroseconds, layerNonZeroInputs) = DeploymentBenchmarks.LayerParts(compact, clamped, rows: 1000);
            var byColumns = ByColumnsMicroseconds(compact, clamped, rows: 1000);
            results.Add(new()
            {
                ["benchmark"] = "predict-wide",
                ["network"] = name,
                ["compactShape"] = string.Join("->", new[] { compact.Layers[0].Inputs }.Concat(compact.Layers.Select(l => l.Outputs))),
                ["layerNonZero"] = string.Join(", ", compact.Layers.Select(l => l.NonZeroCount)),
                ["layerStorage"] = string.Join(", ", compact.Layers.Select(l => l.IsSparse ? "CSR" : "dense")),
                ["layerUsedInputs"] = string.Join(", ", compact.Layers.Select(l => l.UsedInputs().Length)),
                ["layerBlocksOf16"] = string.Join(", ", compact.Layers.Select(l => OccupiedBlocks(l, 16))),
                ["singleRowMicroseconds"] = times[name].Select(t => Math.Round(t, 2)).ToArray(),
                ["singleRowRowWiseMicroseconds"] = rowWise[name].Select(t => Math.Round(t, 2)).ToArray(),
                ["layerMicroseconds"] = layerMicroseconds.Select(m => Math.Round(m, 2)).ToArray(),
                ["layerByColumnsMicroseconds"] = byColumns.Select(m => Math.Round(m, 2)).ToArray(),
                ["layerNonZeroInputs"] = layerNonZeroInputs.Select(n => Math.Round(n, 1)).ToArray(),
            });
        }

        return results;
    }

    /// <summary>
    /// Each layer alone by its nonzero weights' columns (<see cref="LayerColumns"/>: one scalar multiply-add and scattered
    /// store a weight of the row's nonzero inputs), on the inputs of <see cref="DeploymentBenchmarks.LayerParts"/>; each
    /// row's nonzero inputs are listed before the clock starts.
    /// </summary>
    private static double[] ByColumnsMicroseconds(CompactMlp mlp, float[] features, int rows)
    {
        var layers = mlp.Layers;
        var inputs = DeploymentBenchmarks.LayerInputs(mlp, features, rows);
        var microseconds = new double[layers.Length];
        for (int j = 0; j < layers.Length; j++)
        {
            var (layer, x) = (layers[j], inputs[j]);
            var columns = new LayerColumns(layer);
            var indices = new int[rows][];
            var values = new float[rows][];
            for (int r = 0; r < rows; r++)
            {
                int start = r * layer.Inputs;
                indices[r] = Enumerable.Range(0, layer.Inputs).Where(i => x[start + i] != 0f).ToArray();
                values[r] = indices[r].Select(i => x[start + i]).ToArray();
            }

            var y = new float[layer.Outputs];
            microseconds[j] = 1e6 / rows * Timing.MedianSeconds(() =>
            {
                for (int r = 0; r < rows; r++)
                    columns.Multiply(indices[r], values[r], y);
            }, 11);
        }

        return microseconds;
    }

    /// <summary>The (input, block of <paramref name="block"/> outputs) pairs holding at least one nonzero weight.</summary>
    private static int OccupiedBlocks(CompactLayer layer, int block)
    {
        var occupied = new HashSet<long>();
        for (int o = 0; o < layer.Outputs; o++)
        {
            for (int i = 0; i < layer.Inputs; i++)
            {
                if (layer.GetWeight(o, i) != 0f)
                    occupied.Add((long)i * layer.Outputs + o / block);
            }
        }

        return occupied.Count;
    }

    /// <summary>The arrays a cache file holds, in its order: each layer's weights, then its biases.</summary>
    private static IEnumerable<float[]> CachedArrays(MlpParameters parameters) =>
        Enumerable.Range(0, parameters.LayerCount).SelectMany(j => new[] { parameters.Weights[j], parameters.Biases[j] });

    private static MlpParameters? Cached(string? directory, string name, int[] sizes)
    {
        string? path = directory is null ? null : Path.Combine(directory, name + ".bin");
        if (path is null || !File.Exists(path))
            return null;
        using var reader = new BinaryReader(File.OpenRead(path));
        var parameters = new MlpParameters(sizes);
        foreach (var array in CachedArrays(parameters))
        {
            for (int i = 0; i < array.Length; i++)
                array[i] = reader.ReadSingle();
        }

        return parameters;
    }

    private static MlpParameters Trained(string? directory, string name, int[] sizes, Training.Data.TrainingData train)
    {
        var (parameters, _) = FitCostBenchmarks.Train(sizes, threads: 2, train, sparse: true, Trainers.DataDefaults.DenseGradientEvery, Target, seed: 123, epochDone: null);
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
            using var writer = new BinaryWriter(File.Create(Path.Combine(directory, name + ".bin")));
            foreach (float value in CachedArrays(parameters).SelectMany(array => array))
                writer.Write(value);
        }

        return parameters;
    }
}
