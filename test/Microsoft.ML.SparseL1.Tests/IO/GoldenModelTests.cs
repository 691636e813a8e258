// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.IO;

/// <summary>
/// Old models keep loading (ML.NET's rule): model zips written by released versions are checked in under IO/Golden with
/// the scores they gave when written, and every later version must load them and reproduce those scores bit for bit.
/// The scores are the single-row path's (a PredictionEngine, as when 0.1.0 wrote them through Transform); Transform now
/// scores blocks of rows through the batch kernel, which sums in another order and is tested against PredictRaw's batch
/// path by BlockScoringTests.
/// </summary>
/// <remarks>
/// To add the zips of a new release: <c>SPARSEL1_WRITE_GOLDEN=&lt;folder&gt; dotnet test --filter GoldenModel</c> writes them
/// (with a version suffix) into that folder; copy them into IO/Golden and commit. Never regenerate an existing file.
/// </remarks>
[TestClass]
public class GoldenModelTests
{
    private const string Version = "0.1.0";

    private const string PathPrefix = "# kernel path ";

    private sealed class Row
    {
        [VectorType(5)]
        public float[] Features { get; set; } = [];

        public float Value { get; set; }

        public bool Positive { get; set; }
    }

    private static Row[] Rows()
    {
        var random = new Random(11);
        return Enumerable.Range(0, 64).Select(_ =>
        {
            var x = Enumerable.Range(0, 5).Select(_ => (float)(random.NextDouble() * 10 - 5)).ToArray();
            return new Row { Features = x, Value = x[0] * x[1] + 3 * x[2], Positive = x[0] + x[3] > 0 };
        }).ToArray();
    }

    [TestMethod]
    [DataRow("regression")]
    [DataRow("binary")]
    public void CheckedInModels_LoadAndScoreAsWhenWritten(string task)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows());
        if (Environment.GetEnvironmentVariable("SPARSEL1_WRITE_GOLDEN") is string folder)
        {
            ITransformer trained = task == "regression"
                ? ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { LabelColumnName = "Value", HiddenLayerSizes = [8, 4], TargetSparsity = 0.6f }).Fit(data)
                : ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { LabelColumnName = "Positive", HiddenLayerSizes = [6], TargetSparsity = 0.5f }).Fit(data);
            ml.Model.Save(trained, data.Schema, Path.Combine(folder, $"{task}-{Version}.zip"));
            File.WriteAllLines(Path.Combine(folder, $"{task}-{Version}.scores.txt"),
                Scores(ml, trained, data).Select(s => s.ToString("R", CultureInfo.InvariantCulture)).Prepend($"{PathPrefix}{KernelDispatch.Current}"));
        }

        string directory = Path.Combine(AppContext.BaseDirectory, "IO", "Golden");
        var zips = Directory.GetFiles(directory, $"{task}-*.zip");
        Assert.IsNotEmpty(zips, $"no checked-in {task} model in {directory}");
        foreach (string zip in zips)
        {
            var loaded = new MLContext().Model.Load(zip, out _);
            string[] lines = File.ReadAllLines(Path.ChangeExtension(zip, ".scores.txt"));
            string writtenOn = lines[0][PathPrefix.Length..];
            float[] expected = lines.Skip(1).Select(l => float.Parse(l, CultureInfo.InvariantCulture)).ToArray();
            float[] actual = Scores(ml, loaded, data);
            if (writtenOn == KernelDispatch.Current.ToString())
            {
                CollectionAssert.AreEqual(expected, actual, $"{Path.GetFileName(zip)}: scores differ from when it was written");
                continue;
            }

            // Another vector width sums the products in another order: equal up to float rounding, not bit for bit.
            Assert.HasCount(expected.Length, actual);
            for (int i = 0; i < expected.Length; i++)
                Assert.AreEqual(expected[i], actual[i], 1e-5f * Math.Max(1f, Math.Abs(expected[i])), $"{Path.GetFileName(zip)} row {i}, written on {writtenOn}, read on {KernelDispatch.Current}");
        }
    }

    private sealed class Scored
    {
        public float Score { get; set; }
    }

    /// <summary>Each row's score through a PredictionEngine (the single-row path).</summary>
    private static float[] Scores(MLContext ml, ITransformer model, IDataView data)
    {
        var engine = ml.Model.CreatePredictionEngine<Row, Scored>(model, data.Schema);
        return ml.Data.CreateEnumerable<Row>(data, reuseRowObject: false).Select(r => engine.Predict(r).Score).ToArray();
    }
}
