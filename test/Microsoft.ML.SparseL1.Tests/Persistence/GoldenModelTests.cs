// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Persistence;

/// <summary>
/// Old models keep loading (ML.NET's rule): model zips written by released versions are checked in under Persistence/Golden with
/// the scores they gave when written, and every later version must load them and reproduce those scores bit for bit.
/// The scores are the single-row path's (a PredictionEngine, as when 0.1.0 wrote them through Transform); Transform now
/// scores blocks of rows through the batch kernel, which sums in another order and is tested against PredictRaw's batch
/// path by BlockScoringTests.
/// </summary>
/// <remarks>
/// <para>Zips are written under each supported ML.NET (Directory.Packages.props) and every leg loads all of them, so a zip
/// written under 5.0.1 is scored on 6.0.0 and the reverse. The same training under two ML.NET versions must write the same
/// network: the payloads and scores of one release's zips are compared across versions.</para>
/// <para>To add the zips of a new release or a new ML.NET version, once per supported ML.NET:
/// <c>SPARSEL1_WRITE_GOLDEN=&lt;folder&gt; dotnet test test/Microsoft.ML.SparseL1.Tests -c Release -p:MlNetVersion=&lt;version&gt; --filter GoldenModel</c>
/// writes <c>{task}-{release}-mlnet{ML.NET}.zip</c> and its scores into that folder (docs/persistence.md); copy them into
/// Persistence/Golden and commit. Never regenerate an existing file. The first zips (<c>{task}-0.1.0.zip</c>) were written under 5.0.1.</para>
/// </remarks>
[TestClass]
public class GoldenModelTests
{
    private const string Version = "0.1.0";

    private const string PathPrefix = "# kernel path ";

    private const string MlNetPrefix = "# ML.NET ";

    private const string PayloadEntry = "SparseMlpModel.bin";

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
            string stem = $"{task}-{Version}-mlnet{MlNetVersions.Running}";
            ml.Model.Save(trained, data.Schema, Path.Combine(folder, stem + ".zip"));
            File.WriteAllLines(Path.Combine(folder, stem + ".scores.txt"),
                Scores(ml, trained, data).Select(s => s.ToString("R", CultureInfo.InvariantCulture))
                    .Prepend($"{MlNetPrefix}{MlNetVersions.Running}").Prepend($"{PathPrefix}{KernelDispatch.Current}"));
        }

        string directory = Path.Combine(AppContext.BaseDirectory, "Persistence", "Golden");
        var zips = Directory.GetFiles(directory, $"{task}-*.zip");
        Assert.IsNotEmpty(zips, $"no checked-in {task} model in {directory}");
        foreach (string zip in zips)
        {
            var loaded = new MLContext().Model.Load(zip, out _);
            var (writtenOn, writtenUnder, expected) = ReadScores(zip);
            float[] actual = Scores(ml, loaded, data);
            if (writtenOn == KernelDispatch.Current.ToString())
            {
                CollectionAssert.AreEqual(expected, actual, $"{Path.GetFileName(zip)} (ML.NET {writtenUnder}): scores on ML.NET {MlNetVersions.Running} differ from when it was written");
                continue;
            }

            // Another vector width sums the products in another order: equal up to float rounding, not bit for bit.
            Assert.HasCount(expected.Length, actual);
            for (int i = 0; i < expected.Length; i++)
                Assert.AreEqual(expected[i], actual[i], 1e-5f * Math.Max(1f, Math.Abs(expected[i])), $"{Path.GetFileName(zip)} row {i}, written on {writtenOn}, read on {KernelDispatch.Current}");
        }
    }

    /// <summary>
    /// Every supported ML.NET has written a golden zip of each task, and the zips that one release wrote under different
    /// ML.NET versions hold the same network (every weight, bias and selection run bit for bit; only the runs' wall times
    /// differ) with the same scores: the ML.NET version does not leak into training, so a zip from either is the same model
    /// under the other (each leg loads and scores all of them in the test above).
    /// </summary>
    [TestMethod]
    [DataRow("regression")]
    [DataRow("binary")]
    public void GoldenModelsOfEverySupportedMlNet_HoldTheSameNetwork(string task)
    {
        string directory = Path.Combine(AppContext.BaseDirectory, "Persistence", "Golden");
        foreach (string version in MlNetVersions.Supported)
            Assert.IsNotEmpty(Directory.GetFiles(directory, $"{task}-*-mlnet{version}.zip"), $"no {task} model written under ML.NET {version} in {directory}");

        var releases = Directory.GetFiles(directory, $"{task}-*-mlnet*.zip")
            .GroupBy(zip => Path.GetFileName(zip)[..Path.GetFileName(zip).IndexOf("-mlnet", StringComparison.Ordinal)]);
        foreach (var release in releases)
        {
            string[] zips = release.OrderBy(z => z, StringComparer.Ordinal).ToArray();
            string[] network = Network(zips[0]);
            var (path, under, scores) = ReadScores(zips[0]);
            foreach (string other in zips.Skip(1))
            {
                var (otherPath, otherUnder, otherScores) = ReadScores(other);
                Assert.AreNotEqual(under, otherUnder, $"{release.Key}: two zips say they were written under ML.NET {under}");
                CollectionAssert.AreEqual(network, Network(other), $"{release.Key}: the network written under ML.NET {under} and under {otherUnder} differ");
                if (path == otherPath)
                    CollectionAssert.AreEqual(scores, otherScores, $"{release.Key}: the scores written under ML.NET {under} and under {otherUnder} differ");
            }
        }
    }

    /// <summary>The kernel path and ML.NET a scores file was written on (ML.NET 5.0.1 for files that predate the line), and its scores.</summary>
    private static (string KernelPath, string MlNet, float[] Scores) ReadScores(string zip)
    {
        string[] lines = File.ReadAllLines(Path.ChangeExtension(zip, ".scores.txt"));
        string[] header = lines.TakeWhile(l => l.StartsWith('#')).ToArray();
        string kernelPath = header.Single(l => l.StartsWith(PathPrefix, StringComparison.Ordinal))[PathPrefix.Length..];
        string mlNet = header.SingleOrDefault(l => l.StartsWith(MlNetPrefix, StringComparison.Ordinal))?[MlNetPrefix.Length..] ?? "5.0.1";
        float[] scores = lines.Skip(header.Length).Select(l => float.Parse(l, CultureInfo.InvariantCulture)).ToArray();
        return (kernelPath, mlNet, scores);
    }

    /// <summary>
    /// The network in a zip, one line per field, floats and doubles by their bits: every layer's shape, storage, biases and
    /// weights, and the selection report without the runs' wall times. Read from our entry's bytes (which must be present).
    /// </summary>
    private static string[] Network(string zip)
    {
        using (var archive = ZipFile.OpenRead(zip))
            Assert.ContainsSingle(archive.Entries.Where(e => e.Name == PayloadEntry), $"{Path.GetFileName(zip)}: one {PayloadEntry}");
        // A lone transformer is saved inside a chain of one, and Model.Load unwraps it.
        var model = ((SparseMlpPredictionTransformer)new MLContext().Model.Load(zip, out _)).Model;
        var lines = new System.Collections.Generic.List<string> { $"inputs {model.InputCount} outputs {model.OutputCount}" };
        static string Bits(ReadOnlySpan<float> values) => string.Join(' ', values.ToArray().Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8", CultureInfo.InvariantCulture)));
        foreach (var layer in model.Layers)
        {
            lines.Add($"layer {layer.InputCount} x {layer.OutputCount}, sparse {layer.IsSparse}, nonzero {layer.NonZeroCount}");
            lines.Add("biases " + Bits(layer.Biases));
            if (layer.IsSparse)
            {
                lines.Add("rows " + string.Join(' ', layer.RowPointers.ToArray()));
                lines.Add("columns " + string.Join(' ', layer.ColumnIndices.ToArray()));
                lines.Add("values " + Bits(layer.Values));
            }
            else
            {
                lines.Add("weights " + Bits(layer.DenseWeights));
            }
        }

        if (model.SelectionReport is { } report)
        {
            lines.Add($"selection {report.Strategy} layer-wise {report.LayerWise} tolerance {BitConverter.SingleToInt32Bits(report.Tolerance):x8} targets {string.Join(' ', report.TargetNonZeroCounts)} chosen {report.ChosenIteration} converged {report.Converged}");
            foreach (var run in report.Iterations)
                lines.Add($"run {run.Iteration}: lambdas {Bits(run.Lambdas.ToArray())} nonzero {string.Join(' ', run.LayerNonZeroCounts)} loss {BitConverter.DoubleToInt64Bits(run.TrainingLoss):x16} epochs {run.Epochs} stopped {run.StoppedAtTarget} note {run.Note}");
        }

        return lines.ToArray();
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
