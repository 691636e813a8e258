// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using Microsoft.ML.Data;
using SparseL1.Examples.Shared;

namespace Microsoft.ML.SparseL1.Benchmarks;

/// <summary>
/// Peak working set of training through ML.NET on a large input, run in its own process (peak is per process):
/// the data streams from a lazy enumerable (never materialised by ML.NET) into the trainer's single copy.
/// </summary>
internal static class MemoryBenchmarks
{
    public static List<Dictionary<string, object>> Synthetic(int rows = 1_000_000, int columns = 200)
    {
        var ml = new MLContext(seed: 1);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, columns);
        var data = ml.Data.LoadFromEnumerable(Generate(rows, columns), schema);
        return Measure(ml, data, "synthetic", rows, columns);
    }

    public static List<Dictionary<string, object>> Fashion()
    {
        var ml = new MLContext(seed: 1);
        var (pixels, labels, count) = FashionMnist.Load(train: true);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 784);

        // Rows are produced on demand from the loaded pixels, as a streaming loader would.
        IEnumerable<Row> Rows()
        {
            var buffer = new float[784];
            for (int i = 0; i < count; i++)
            {
                pixels.AsSpan(i * 784, 784).CopyTo(buffer);
                yield return new Row { Features = buffer, Label = labels[i] };
            }
        }

        return Measure(ml, ml.Data.LoadFromEnumerable(Rows(), schema), "fashion-mnist (IDX arrays held by the caller)", count, 784);
    }

    private static List<Dictionary<string, object>> Measure(MLContext ml, IDataView data, string name, int rows, int columns)
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        long before = process.PeakWorkingSet64;
        var clock = Stopwatch.StartNew();
        var model = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options
        {
            HiddenLayerSizes = [64], Lambda = 1e-4f, NumberOfEpochs = 1, BatchSize = 256, LearningRate = 0.01f,
        }).Fit(data);
        process.Refresh();
        return
        [
            new()
            {
                ["benchmark"] = "memory",
                ["data"] = name,
                ["rows"] = rows,
                ["columns"] = columns,
                ["featureMegabytes"] = Math.Round(rows * (double)columns * 4 / (1 << 20)),
                ["peakWorkingSetMegabytesBeforeFit"] = before >> 20,
                ["peakWorkingSetMegabytes"] = process.PeakWorkingSet64 >> 20,
                ["fitSeconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
                ["nonZeroWeights"] = model.Model.NonZeroWeightCount,
            },
        ];
    }

    private static IEnumerable<Row> Generate(int rows, int columns)
    {
        var random = new Random(5);
        var buffer = new float[columns];
        for (int r = 0; r < rows; r++)
        {
            float label = 0;
            for (int c = 0; c < columns; c++)
            {
                buffer[c] = (float)random.NextDouble();
                if (c < 5)
                    label += buffer[c];
            }

            yield return new Row { Features = buffer, Label = label };
        }
    }

    /// <summary>A generated row; the feature buffer is reused, as ML.NET copies it out.</summary>
    public sealed class Row
    {
        /// <summary>Features (size set by the schema definition).</summary>
        public float[] Features { get; set; } = [];

        /// <summary>Regression target.</summary>
        public float Label { get; set; }
    }
}
