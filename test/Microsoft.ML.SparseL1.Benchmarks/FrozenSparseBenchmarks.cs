// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Passes;

namespace Microsoft.ML.SparseL1.Benchmarks;

/// <summary>
/// The frozen first layer on sparse rows, resident kept weights against the whole-layer gather and scatter, side by side
/// in one run on text-shaped data: 60,000 slots, 60 nonzeros per row drawn with Zipf-like frequencies (a few slots in
/// most rows, most in few), 12,000 rows, 60000-100-20, 10 % of the first layer kept and frozen, Adam.
/// </summary>
internal static class FrozenSparseBenchmarks
{
    private const int Slots = 60_000, NonZerosPerRow = 60, Rows = 12_000, Classes = 20;

    public static List<Dictionary<string, object>> Run(int threads)
    {
        var data = TextShaped();
        int[] sizes = [Slots, 100, Classes];
        var seconds = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        var weights = new Dictionary<bool, float[]>();
        // Alternated, so that a slow spell of the machine hits both.
        for (int round = 0; round < 3; round++)
        {
            foreach (bool resident in new[] { false, true })
            {
                var parameters = MlpParameters.Initialize(sizes, seed: 1);
                var random = new Random(2);
                for (int i = 0; i < parameters.Weights[0].Length; i++)
                    parameters.Weights[0][i] = random.NextDouble() < 0.10 ? parameters.Weights[0][i] : 0f;
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                ProximalTrainingLoop.Train(data, parameters, new TrainingSettings
                {
                    Loss = LossKind.SoftmaxCrossEntropy, Optimizer = SparseMlpOptimizer.Adam, LearningRate = 1e-3f, BatchSize = 128,
                    Epochs = 2, Seed = 3, Threads = threads, Lambdas = [0f, 0f], FreezeZeroWeights = true, ResidentFrozenFirstLayer = resident,
                });
                seconds[resident].Add(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds / 2);
                weights[resident] = parameters.Weights[0];
            }
        }

        double layer = seconds[false].Min(), kept = seconds[true].Min();
        return
        [
            new()
            {
                ["benchmark"] = "frozen-sparse",
                ["data"] = $"{Rows} rows, {Slots} slots, {NonZerosPerRow} nonzeros per row (Zipf-like); {Slots}-100-{Classes}, 10 % of the first layer kept, frozen; Adam, batch 128",
                ["threads"] = threads,
                ["wholeLayerSecondsPerEpoch"] = Math.Round(layer, 3),
                ["residentSecondsPerEpoch"] = Math.Round(kept, 3),
                ["speedup"] = Math.Round(layer / kept, 2),
                ["sameWeights"] = weights[false].AsSpan().SequenceEqual(weights[true]),
            },
        ];
    }

    /// <summary>Rows whose slots are drawn with probability ∝ 1/(rank + 10), one value each in (0, 1], labels from a random linear teacher.</summary>
    private static TrainingData TextShaped()
    {
        var random = new Random(4);
        var cumulative = new double[Slots];
        double total = 0;
        for (int s = 0; s < Slots; s++)
            cumulative[s] = total += 1.0 / (s + 10);
        var teacher = Enumerable.Range(0, Slots * Classes).Select(_ => random.NextDouble() - 0.5).ToArray();
        var builder = new CsrFeaturesBuilder(Slots, Rows);
        var labels = new float[Rows];
        var row = new float[Slots];
        var scores = new double[Classes];
        for (int r = 0; r < Rows; r++)
        {
            Array.Clear(row);
            Array.Clear(scores);
            for (int k = 0; k < NonZerosPerRow; k++)
            {
                int slot = Array.BinarySearch(cumulative, random.NextDouble() * total);
                slot = slot < 0 ? ~slot : slot;
                row[Math.Min(slot, Slots - 1)] = (float)(1 - random.NextDouble());
            }

            for (int s = 0; s < Slots; s++)
            {
                if (row[s] == 0f)
                    continue;
                for (int c = 0; c < Classes; c++)
                    scores[c] += row[s] * teacher[s * Classes + c];
            }

            builder.Add(row);
            labels[r] = Array.IndexOf(scores, scores.Max());
        }

        return new TrainingData(builder.Build(), labels);
    }
}
