// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.Generic;
using Microsoft.ML.Model.OnnxConverter;

namespace Microsoft.ML.SparseL1.Onnx;

/// <summary>
/// The part of ML.NET's <see cref="OnnxContext"/> the sparse MLP's export uses, with its rules applied once: standard
/// operators are created in the default domain (a null domain means ai.onnx.ml there), and every initializer and
/// intermediate carries the <see cref="Prefix"/>, because their names share one map with the data view's columns.
/// </summary>
internal sealed class OnnxGraph(OnnxContext context, DataViewSchema outputSchema)
{
    /// <summary>The prefix of every name the export adds besides the output columns (the compact export finds weights by it).</summary>
    public const string Prefix = "SparseMlp_";

    /// <summary>The prefix of the weight matrices' initializers.</summary>
    public const string WeightPrefix = Prefix + "W";

    /// <summary>The variable now holding column <paramref name="name"/> of the input.</summary>
    public string Input(string name) => context.GetVariableName(name);

    /// <summary>Whether the graph has a variable for column <paramref name="name"/>.</summary>
    public bool HasColumn(string name) => context.ContainsColumn(name);

    /// <summary>A new variable for output column <paramref name="name"/>, typed as the scored schema types it.</summary>
    public string Column(string name) => context.AddIntermediateVariable(outputSchema[name].Type, name, skip: false);

    /// <summary>A new intermediate variable.</summary>
    public string Temporary(string name) => context.AddIntermediateVariable(null, Prefix + name, skip: true);

    /// <summary>A float tensor initializer.</summary>
    public string Initializer(string name, IEnumerable<float> values, params long[] dims) => context.AddInitializer(values, dims, Prefix + name);

    /// <summary>An int64 tensor initializer.</summary>
    public string Initializer(string name, IEnumerable<long> values, params long[] dims) => context.AddInitializer(values, dims, Prefix + name);

    /// <summary>A float scalar initializer.</summary>
    public string Initializer(string name, float value) => context.AddInitializer(value, Prefix + name);

    /// <summary>An int64 scalar initializer.</summary>
    public string Initializer(string name, long value) => context.AddInitializer(value, Prefix + name);

    /// <summary>A node of the standard ONNX domain computing <paramref name="output"/> from <paramref name="inputs"/>.</summary>
    public OnnxNode Node(string operatorType, string output, params string[] inputs) =>
        context.CreateNode(operatorType, inputs, [output], context.GetNodeName(operatorType), "");
}
