// Licensed under the MIT License. See LICENSE in the repository root.

using System.IO;
using Microsoft.ML.SparseL1.Format;

namespace Microsoft.ML.SparseL1.Tests.Infrastructure;

/// <summary>A model's entry in the format (<see cref="ModelWriter"/>, feature column "Features"), and the model read back from it.</summary>
internal static class ModelBytes
{
    /// <summary>The bytes <see cref="ModelWriter"/> writes for <paramref name="model"/>.</summary>
    public static byte[] Of(SparseMlpModelParameters model)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            ModelWriter.Write(writer, model, "Features");
        return stream.ToArray();
    }

    /// <summary><paramref name="model"/> written and read back by <see cref="ModelReader"/>.</summary>
    public static SparseMlpModelParameters Reload(SparseMlpModelParameters model) => ModelReader.Read(new MemoryStream(Of(model))).Model;
}
