// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Model;

namespace Microsoft.ML.SparseL1.Onnx;

/// <summary>
/// Writes the compact network into ML.NET's ONNX export: per layer one <c>Gemm</c> (weights outputs x inputs, transB)
/// and a <c>Relu</c> on hidden layers, as <see cref="CompactMlp.Predict"/> computes; then the task's output columns
/// (<see cref="TaskDescriptor.WriteOnnxOutputs"/>). Standardization is folded into the first and last layers, so the
/// graph needs nothing else. CSR layers are written dense here; <see cref="CompactOnnx"/> makes them sparse initializers.
/// </summary>
internal static class OnnxNetworkWriter
{
    public static void Write(OnnxGraph graph, SparseMlpModelParameters model, string featureColumn)
    {
        if (!graph.HasColumn(featureColumn))
            throw new InvalidOperationException($"The feature column '{featureColumn}' has no ONNX variable: a step before the sparse MLP could not be exported.");
        string x = graph.Input(featureColumn);
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

        TaskDescriptor.For(model.Task).WriteOnnxOutputs(graph, x);
    }
}
