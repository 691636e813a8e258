// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Model;

namespace Microsoft.ML.SparseL1.Onnx;

/// <summary>
/// Writes the compact network into ML.NET's ONNX export: per layer one <c>Gemm</c> (weights outputs x inputs, transB)
/// and a <c>Relu</c> on hidden layers, as <see cref="CompactMlp.Predict"/> computes; then the task's output columns
/// (<see cref="TaskDescriptor.WriteOnnxOutputs"/>), after the inputs are clamped to the training range when the model has one
/// (and before them, the scores to theirs).
/// Standardization is folded into the first and last layers, so the
/// graph needs nothing else. CSR layers are written dense here; <see cref="CompactOnnx"/> makes them sparse initializers.
/// </summary>
internal static class OnnxNetworkWriter
{
    public static void Write(OnnxGraph graph, SparseMlpModelParameters model, string featureColumn)
    {
        if (!graph.HasColumn(featureColumn))
            throw new InvalidOperationException($"The feature column '{featureColumn}' has no ONNX variable: a step before the sparse MLP could not be exported.");
        string x = graph.Input(featureColumn);
        if (model.Network.InputRange is InputRange range)
            x = Clamp(graph, x, range, "Input");
        if (model.Network.Encoding is PiecewiseLinearInputs encoding)
            x = Encode(graph, x, encoding);
        var layers = model.Network.Layers;
        for (int j = 0; j < layers.Length; j++)
        {
            var layer = layers[j];
            string weights = graph.Initializer($"W{j}", layer.ToDenseArray(), layer.Outputs, layer.Inputs);
            string bias = graph.Initializer($"B{j}", layer.Bias, layer.Outputs);
            string y = graph.Temporary($"Z{j}");
            graph.Node("Gemm", y, x, weights, bias).AddAttribute("transB", 1L);
            x = y;
            if (j < layers.Length - 1)
            {
                x = graph.Temporary($"H{j}");
                graph.Node("Relu", x, y);
            }
        }

        if (model.Network.ScoreRange is InputRange scoreRange)
            x = Clamp(graph, x, scoreRange, "Score");
        TaskDescriptor.For(model.Task).WriteOnnxOutputs(graph, x);
    }

    /// <summary>
    /// The encoded slots as <see cref="PiecewiseLinearInputs.Encode"/> computes them:
    /// <c>Min(Max((Gather(x, sources) − left) / width, lower), upper)</c>, with NaN kept (<c>Where(IsNaN(v), v, …)</c>: ONNX
    /// leaves Max and Min of NaN to the runtime, where .NET's propagate it).
    /// </summary>
    private static string Encode(OnnxGraph graph, string x, PiecewiseLinearInputs encoding)
    {
        int width = encoding.Width;
        string sources = graph.Initializer("EncodingSources", encoding.SlotSources.Select(s => (long)s), width);
        string left = graph.Initializer("EncodingLeft", encoding.SlotLefts, width);
        string widths = graph.Initializer("EncodingWidth", encoding.SlotWidths, width);
        string lower = graph.Initializer("EncodingLower", encoding.SlotLowers, width);
        string upper = graph.Initializer("EncodingUpper", encoding.SlotUppers, width);
        string gathered = graph.Temporary("EncodingGathered"), shifted = graph.Temporary("EncodingShifted"), scaled = graph.Temporary("EncodingScaled");
        graph.Node("Gather", gathered, x, sources).AddAttribute("axis", 1L);
        graph.Node("Sub", shifted, gathered, left);
        graph.Node("Div", scaled, shifted, widths);
        string raised = graph.Temporary("EncodingRaised"), clamped = graph.Temporary("EncodingClamped");
        graph.Node("Max", raised, scaled, lower);
        graph.Node("Min", clamped, raised, upper);
        string nan = graph.Temporary("EncodingIsNaN"), result = graph.Temporary("EncodingSlots");
        graph.Node("IsNaN", nan, scaled);
        graph.Node("Where", result, nan, scaled, clamped);
        return result;
    }

    /// <summary>
    /// The inputs (or the scores) clamped to their training range as <see cref="InputRange.Clamp"/> does: finite values into
    /// [lower, upper], NaN and infinities left as they are (<c>Where(IsNaN(x) or IsInf(x), x, Min(Max(x, lower), upper))</c>);
    /// the graph's names start with <paramref name="name"/>.
    /// </summary>
    private static string Clamp(OnnxGraph graph, string x, InputRange range, string name)
    {
        string lower = graph.Initializer(name + "Lower", range.Lower, range.Count);
        string upper = graph.Initializer(name + "Upper", range.Upper, range.Count);
        string raised = graph.Temporary(name + "Raised"), clamped = graph.Temporary(name + "Clamped");
        graph.Node("Max", raised, x, lower);
        graph.Node("Min", clamped, raised, upper);
        string nan = graph.Temporary(name + "IsNaN"), infinite = graph.Temporary(name + "IsInf"), nonFinite = graph.Temporary(name + "NonFinite");
        graph.Node("IsNaN", nan, x);
        graph.Node("IsInf", infinite, x);
        graph.Node("Or", nonFinite, nan, infinite);
        string result = graph.Temporary(name + "InRange");
        graph.Node("Where", result, nonFinite, x, clamped);
        return result;
    }
}
