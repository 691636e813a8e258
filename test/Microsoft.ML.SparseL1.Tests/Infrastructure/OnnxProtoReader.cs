// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using Google.Protobuf;

namespace Microsoft.ML.SparseL1.Tests.Infrastructure;

/// <summary>
/// Reads an ONNX file with the protobuf classes ML.NET's exporter generated from onnx.proto (internal to
/// Microsoft.ML.OnnxConverter, reached by reflection): an independent parser for checking what our rewrite wrote.
/// </summary>
internal static class OnnxProtoReader
{
    private static readonly Type s_modelProto = Type.GetType("Microsoft.ML.Model.OnnxConverter.OnnxCSharpToProtoWrapper+ModelProto, Microsoft.ML.OnnxConverter", throwOnError: true)!;

    /// <summary>Every sparse initializer: the values' name, the dense shape, the linear indices and the values.</summary>
    public static List<(string Name, long[] Dims, long[] Indices, float[] Values)> SparseInitializers(byte[] model)
    {
        var parser = (MessageParser)s_modelProto.GetProperty("Parser")!.GetValue(null)!;
        object graph = Get(parser.ParseFrom(model), "Graph");
        var result = new List<(string, long[], long[], float[])>();
        foreach (object sparse in (IEnumerable)Get(graph, "SparseInitializer"))
        {
            object values = Get(sparse, "Values"), indices = Get(sparse, "Indices");
            result.Add(((string)Get(values, "Name"), ((IEnumerable<long>)Get(sparse, "Dims")).ToArray(),
                ((IEnumerable<long>)Get(indices, "Int64Data")).ToArray(), ((IEnumerable<float>)Get(values, "FloatData")).ToArray()));
        }

        return result;
    }

    /// <summary>Names of the dense initializers.</summary>
    public static string[] DenseInitializerNames(byte[] model)
    {
        var parser = (MessageParser)s_modelProto.GetProperty("Parser")!.GetValue(null)!;
        object graph = Get(parser.ParseFrom(model), "Graph");
        return ((IEnumerable)Get(graph, "Initializer")).Cast<object>().Select(t => (string)Get(t, "Name")).ToArray();
    }

    private static object Get(object message, string property) => message.GetType().GetProperty(property)!.GetValue(message)!;
}
