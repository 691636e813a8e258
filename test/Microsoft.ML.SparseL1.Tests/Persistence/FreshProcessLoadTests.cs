// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Persistence;

/// <summary>
/// Saves models and loads them in a separate process (test/Microsoft.ML.SparseL1.LoadCheck) that has never
/// touched our assembly: ML.NET must find the loader by itself, and the scores must be bit-identical.
/// </summary>
[TestClass]
public class FreshProcessLoadTests
{
    private sealed class Row
    {
        [VectorType(5)]
        public float[] Raw { get; set; } = [];

        public string Label { get; set; } = string.Empty;

        public bool Positive { get; set; }

        public float Target { get; set; }
    }

    [TestMethod]
    public void AllThreeTasks_LoadInFreshProcessWithBitIdenticalScores()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows(300, seed: 21);
        // Keys are made outside the saved pipeline, so the fresh process needs only the feature column.
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
        var normalize = ml.Transforms.NormalizeMinMax("Features", "Raw");
        var models = new (string Name, IEstimator<ITransformer> Pipeline)[]
        {
            ("multiclass", normalize.Append(ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options { HiddenLayerSizes = [12, 6], Lambda = 2e-3f, NumberOfEpochs = 10, BatchSize = 32 }))),
            ("binary", normalize.Append(ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { LabelColumnName = "Positive", HiddenLayerSizes = [8], Lambda = 2e-3f, NumberOfEpochs = 10, BatchSize = 32 }))),
            ("regression", normalize.Append(ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { LabelColumnName = "Target", HiddenLayerSizes = [8], TargetSparsity = 0.5f, SparsityTolerance = 0.05f, NumberOfEpochs = 40, BatchSize = 0 }))),
        };

        string directory = Directory.CreateTempSubdirectory("sparsel1-load").FullName;
        try
        {
            string rowsPath = Path.Combine(directory, "rows.bin");
            WriteRows(rowsPath, rows);
            foreach (var (name, pipeline) in models)
            {
                var model = pipeline.Fit(data);
                string zip = Path.Combine(directory, name + ".zip");
                ml.Model.Save(model, data.Schema, zip);
                string[] lines = RunLoadCheck(zip, rowsPath, "Raw");
                StringAssert.Contains(lines[0], "loaded-before=False loaded-after=True", $"{name}: our assembly must be loaded by ML.NET itself");
                StringAssert.Contains(lines[0], "type=Microsoft.ML.SparseL1.SparseMlpPredictionTransformer", name);
                CollectionAssert.AreEqual(ScoreBits(model.Transform(data)), lines.Skip(1).ToArray(), $"{name}: scores in the fresh process");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string[] RunLoadCheck(string zip, string rowsPath, string column)
    {
        string tool = Path.Combine(AppContext.BaseDirectory, "Microsoft.ML.SparseL1.LoadCheck.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { tool, zip, rowsPath, column })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        Assert.IsTrue(process.WaitForExit(120_000), "LoadCheck did not finish");
        Assert.AreEqual(0, process.ExitCode, error);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static string[] ScoreBits(IDataView scored)
    {
        var column = scored.Schema["Score"];
        return column.Type is VectorDataViewType
            ? scored.GetColumn<float[]>("Score").Select(v => string.Join(" ", v.Select(Bits))).ToArray()
            : scored.GetColumn<float>("Score").Select(Bits).ToArray();
    }

    private static string Bits(float v) => BitConverter.SingleToInt32Bits(v).ToString("X8", CultureInfo.InvariantCulture);

    private static void WriteRows(string path, Row[] rows)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(rows.Length);
        writer.Write(5);
        foreach (var row in rows)
        {
            foreach (float v in row.Raw)
                writer.Write(v);
        }
    }

    private static Row[] Rows(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var x = Enumerable.Range(0, 5).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
            float s = x[0] - 0.5f * x[3];
            return new Row { Raw = x, Label = s > 0.5f ? "hi" : s < -0.5f ? "lo" : "mid", Positive = x[1] + x[2] > 0, Target = MathF.Sin(x[0]) + 0.3f * x[4] };
        }).ToArray();
    }
}
