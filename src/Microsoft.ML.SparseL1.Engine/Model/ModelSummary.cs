// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.ML.SparseL1.Format;

namespace Microsoft.ML.SparseL1.Model;

/// <summary>The text of <see cref="SparseMlpModelParameters.ToString"/>: what a trained model is, for a log or a console.</summary>
internal static class ModelSummary
{
    public static string Describe(SparseMlpModelParameters model)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"Sparse MLP ({model.Task}), trained {string.Join("-", model.TrainedLayerSizes)}: {model.NonZeroWeightCount:N0} of {model.WeightCount:N0} weights nonzero ({model.Sparsity:P2} sparse).");
        var trained = model.TrainedLayerSizes;
        for (int j = 0; j < model.LayerNonZeroCounts.Count; j++)
        {
            long weights = (long)trained[j] * trained[j + 1];
            text.AppendLine(c, $"  trained layer {j}: {trained[j]}->{trained[j + 1]}, {model.LayerNonZeroCounts[j]:N0} of {weights:N0} nonzero ({1 - (double)model.LayerNonZeroCounts[j] / weights:P1} sparse), λ {model.Lambdas[j]:G4}");
        }

        if (model.Network.Encoding is { } encoding)
            text.AppendLine(c, $"Inputs encoded piecewise-linearly: {model.InputCount} inputs into {encoding.Width} slots ({encoding.Edges.Count(e => e.Length > 0)} inputs cut into bins, the others passed on).");
        text.AppendLine(c, $"Compact network for prediction (neurons without effect removed): {string.Join("-", new[] { model.Layers[0].InputCount }.Concat(model.Layers.Select(l => l.OutputCount)))}");
        foreach (var (layer, j) in model.Layers.Select((l, j) => (l, j)))
        {
            long cells = (long)layer.InputCount * layer.OutputCount;
            text.AppendLine(c, $"  layer {j}: {layer.InputCount}->{layer.OutputCount}, {(layer.IsSparse ? "CSR" : "dense")}, {layer.NonZeroCount:N0} nonzero (density {(cells == 0 ? 0 : (double)layer.NonZeroCount / cells):P1})");
        }

        text.AppendLine(c, $"Inputs used: {model.UsedInputIndices.Count} of {model.InputCount}.");
        if (model.SelectionReport is { } report)
        {
            var chosen = report.Iterations[report.ChosenIteration];
            text.AppendLine(c, $"Selection ({report.Strategy}): {(report.Converged ? "reached its targets" : "did NOT reach its targets")} [{string.Join(", ", report.TargetNonZeroCounts)}] ±{report.Tolerance:P1} in {report.Iterations.Count} run(s), {report.TotalEpochs} epochs; delivered run {chosen.Iteration}.");
        }
        else
        {
            text.AppendLine(c, $"Fixed λ (no selection).");
        }

        text.Append(c, $"Model entry: {EntryBytes(model):N0} bytes before the zip's compression.");
        return text.ToString();
    }

    /// <summary>The size of the model's entry in the ML.NET zip (with a feature column name of 8 characters).</summary>
    private static long EntryBytes(SparseMlpModelParameters model)
    {
        using var counter = new MemoryStream();
        using (var writer = new BinaryWriter(counter, Encoding.UTF8, leaveOpen: true))
            ModelWriter.Write(writer, model, "Features");
        return counter.Length;
    }
}
