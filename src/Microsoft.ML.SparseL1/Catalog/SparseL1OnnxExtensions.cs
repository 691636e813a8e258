// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using Microsoft.ML.SparseL1.Onnx;

namespace Microsoft.ML.SparseL1;

/// <summary>
/// ONNX export of pipelines ending in a sparse MLP. ML.NET's own <c>mlContext.Model.ConvertToOnnx</c> exports them as
/// they are (dense weight matrices); <see cref="ConvertToCompactOnnx"/> writes the same graph with the sparse weight
/// matrices as ONNX sparse initializers, so the file is about as small as the sparsity allows.
/// </summary>
public static class SparseL1OnnxExtensions
{
    /// <summary>
    /// Writes <paramref name="model"/> as ONNX like <c>ConvertToOnnx</c>, with every weight matrix of a sparse MLP whose
    /// density is below 1/3 stored as a sparse initializer (nonzero values and their int64 linear indices). ONNX
    /// Runtime densifies sparse initializers when it loads the model: the file is smaller, the loaded graph and its
    /// outputs are those of the dense export.
    /// </summary>
    /// <param name="catalog">The model catalog (<c>mlContext.Model</c>).</param>
    /// <param name="model">The fitted pipeline.</param>
    /// <param name="inputData">Data with the pipeline's input schema; every column of it becomes a graph input.</param>
    /// <param name="stream">Where the ONNX model is written.</param>
    /// <param name="outputColumns">The columns to keep as graph outputs; none means every column, as ConvertToOnnx does.</param>
    public static void ConvertToCompactOnnx(this ModelOperationsCatalog catalog, ITransformer model, IDataView inputData, Stream stream, params string[] outputColumns)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(stream);
        using var dense = new MemoryStream();
        if (outputColumns is null || outputColumns.Length == 0)
            catalog.ConvertToOnnx(model, inputData, dense);
        else
            catalog.ConvertToOnnx(model, inputData, dense, outputColumns);
        stream.Write(CompactOnnx.SparsifyWeights(dense.ToArray()));
    }
}
