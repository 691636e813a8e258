// Licensed under the MIT License. See LICENSE in the repository root.

using System.IO;
using System.Linq;
using System.Text;
using Microsoft.ML.SparseL1.Model;

namespace Microsoft.ML.SparseL1.Format;

/// <summary>Writes <see cref="SparseMlpModelParameters"/> in the format described on <see cref="ModelFormat"/>.</summary>
internal static class ModelWriter
{
    public static void Write(BinaryWriter output, SparseMlpModelParameters model, string featureColumnName)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
            WritePayload(writer, model, featureColumnName);
        byte[] payload = buffer.ToArray();
        output.Write(ModelFormat.Magic);
        output.Write(ModelFormat.CurrentVersion);
        output.Write((long)payload.Length);
        output.Write(payload);
        output.Write(System.IO.Hashing.Crc32.HashToUInt32(payload));
    }

    private static void WritePayload(BinaryWriter writer, SparseMlpModelParameters model, string featureColumnName)
    {
        writer.Write((byte)model.Task);
        WriteString(writer, featureColumnName);
        writer.Write(model.ClassNames.Count);
        foreach (string name in model.ClassNames)
            WriteString(writer, name);
        writer.Write(model.InputCount);
        writer.Write(model.Network.Layers.Length);
        foreach (CompactLayer layer in model.Network.Layers)
        {
            writer.Write(layer.Inputs);
            writer.Write(layer.Outputs);
            WriteFloats(writer, layer.Bias);
            writer.Write(layer.IsSparse ? (byte)1 : (byte)0);
            if (layer.IsSparse)
            {
                writer.Write(layer.Values.Length);
                foreach (int p in layer.RowPointers)
                    writer.Write(p);
                foreach (int c in layer.ColumnIndices)
                    writer.Write(c);
                WriteFloats(writer, layer.Values.ToArray());
            }
            else
            {
                WriteFloats(writer, layer.DenseWeights.ToArray());
            }
        }

        writer.Write(model.Lambdas.Count);
        foreach (int size in model.TrainedLayerSizes)
            writer.Write(size);
        WriteFloats(writer, model.Lambdas.ToArray());
        foreach (int count in model.LayerNonZeroCounts)
            writer.Write(count);

        writer.Write(model.SelectionReport is null ? 0 : 1);
        if (model.SelectionReport is SparsitySelectionReport report)
            SelectionReportFormat.Write(writer, report);

        WriteRange(writer, model.Network.InputRange);

        writer.Write(model.Network.ScoresByInputs ? 1 : 0);
        writer.Write(model.Network.Encoding is null ? 0 : 1);
        foreach (float[] edges in model.Network.Encoding?.Edges ?? [])
        {
            writer.Write(edges.Length);
            WriteFloats(writer, edges);
        }

        WriteRange(writer, model.Network.ScoreRange);
    }

    internal static void WriteString(BinaryWriter writer, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    /// <summary>A range (the inputs', or the scores'): 0 without one, else 1 and its lower then upper bounds.</summary>
    private static void WriteRange(BinaryWriter writer, InputRange? range)
    {
        writer.Write(range is null ? 0 : 1);
        if (range is not null)
        {
            WriteFloats(writer, range.Lower);
            WriteFloats(writer, range.Upper);
        }
    }

    internal static void WriteFloats(BinaryWriter writer, float[] values)
    {
        foreach (float v in values)
            writer.Write(v);
    }
}
