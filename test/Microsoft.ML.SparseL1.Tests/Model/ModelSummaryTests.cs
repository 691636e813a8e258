// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Model;

/// <summary><see cref="SparseMlpModelParameters.ToString"/>: a summary whose figures are the model's own and its size is the saved entry's.</summary>
[TestClass]
public class ModelSummaryTests
{
    private sealed class Row
    {
        [VectorType(6)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    [TestMethod]
    public void Summary_NamesEveryLayer_TheInputsUsed_TheSelection_AndTheSavedEntrysSize()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(5);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 300).Select(_ =>
        {
            var x = Enumerable.Range(0, 6).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            return new Row { Features = x, Label = x[0] * x[1] + x[2] };
        }).ToArray());
        var model = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { HiddenLayerSizes = [20], NumberOfEpochs = 5 }).Fit(data);
        var network = model.Model;

        string summary = network.ToString();

        StringAssert.Contains(summary, $"trained 6-20-1: {network.NonZeroWeightCount:N0} of {network.WeightCount:N0} weights nonzero");
        for (int j = 0; j < 2; j++)
            StringAssert.Contains(summary, $"trained layer {j}: ");
        foreach (var (layer, j) in network.Layers.Select((l, j) => (l, j)))
            StringAssert.Contains(summary, $"layer {j}: {layer.InputCount}->{layer.OutputCount}, {(layer.IsSparse ? "CSR" : "dense")}, {layer.NonZeroCount:N0} nonzero");
        StringAssert.Contains(summary, $"Inputs used: {network.UsedInputIndices.Count} of 6.");
        StringAssert.Contains(summary, network.SelectionReport!.Converged ? "reached its targets" : "did NOT reach its targets");

        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        using var zip = new ZipArchive(new MemoryStream(stream.ToArray()), ZipArchiveMode.Read);
        long entry = zip.Entries.Single(e => e.FullName.EndsWith("SparseMlpModel.bin", StringComparison.Ordinal)).Length;
        StringAssert.Contains(summary, $"Model entry: {entry:N0} bytes");
    }
}
