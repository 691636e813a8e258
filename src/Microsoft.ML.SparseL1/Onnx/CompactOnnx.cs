// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;

namespace Microsoft.ML.SparseL1.Onnx;

/// <summary>
/// Rewrites an ONNX model written by ML.NET's exporter so that the sparse MLP's weight matrices (the initializers named
/// <see cref="OnnxGraph.WeightPrefix"/>…) become <c>graph.sparse_initializer</c> entries (ONNX's COO SparseTensorProto:
/// the nonzero values, their int64 row-major linear indices in ascending order, and the dense shape). ONNX Runtime
/// turns sparse initializers back into dense tensors when it loads the model, so the graph's operators are unchanged and
/// only the file shrinks; a matrix is converted only when that makes it smaller (density below 1/3: 12 bytes per
/// nonzero against 4 per weight). Works on the protobuf wire format: every other field is copied as it was.
/// </summary>
internal static class CompactOnnx
{
    // Field numbers of onnx.proto (IR version 6, the one ML.NET writes).
    private const int ModelGraph = 7;
    private const int GraphInitializer = 5;
    private const int GraphSparseInitializer = 15;
    private const int TensorDims = 1;
    private const int TensorDataType = 2;
    private const int TensorFloatData = 4;
    private const int TensorInt64Data = 7;
    private const int TensorName = 8;
    private const int SparseValues = 1;
    private const int SparseIndices = 2;
    private const int SparseDims = 3;
    private const int FloatType = 1;
    private const int Int64Type = 7;

    /// <summary>The model with the sparse MLP's weight matrices stored sparse where that is smaller.</summary>
    public static byte[] SparsifyWeights(byte[] model) =>
        Rewrite(model, (tag, value, writer) =>
        {
            if (WireFormat.GetTagFieldNumber(tag) != ModelGraph)
                return false;
            WriteField(writer, ModelGraph, RewriteGraph(value));
            return true;
        }, _ => { });

    private static ByteString RewriteGraph(ByteString graph)
    {
        var sparse = new List<ByteString>();
        var rewritten = Rewrite(graph.ToByteArray(), (tag, value, writer) =>
        {
            if (WireFormat.GetTagFieldNumber(tag) != GraphInitializer || ToSparse(value) is not { } tensor)
                return false;
            sparse.Add(tensor);
            return true;
        }, writer =>
        {
            foreach (var tensor in sparse)
                WriteField(writer, GraphSparseInitializer, tensor);
        });
        return ByteString.CopyFrom(rewritten);
    }

    /// <summary>
    /// Copies a message field by field; <paramref name="replace"/> sees each length-delimited field first and returns
    /// true when it wrote a replacement (or dropped it); <paramref name="append"/> writes fields at the end.
    /// </summary>
    private static byte[] Rewrite(byte[] message, Func<uint, ByteString, CodedOutputStream, bool> replace, Action<CodedOutputStream> append)
    {
        var reader = new CodedInputStream(message);
        using var output = new MemoryStream();
        var writer = new CodedOutputStream(output);
        uint tag;
        while ((tag = reader.ReadTag()) != 0)
        {
            var wireType = WireFormat.GetTagWireType(tag);
            if (wireType == WireFormat.WireType.LengthDelimited)
            {
                var value = reader.ReadBytes();
                if (!replace(tag, value, writer))
                {
                    writer.WriteTag(tag);
                    writer.WriteBytes(value);
                }

                continue;
            }

            writer.WriteTag(tag);
            switch (wireType)
            {
                case WireFormat.WireType.Varint:
                    writer.WriteUInt64(reader.ReadUInt64());
                    break;
                case WireFormat.WireType.Fixed64:
                    writer.WriteFixed64(reader.ReadFixed64());
                    break;
                case WireFormat.WireType.Fixed32:
                    writer.WriteFixed32(reader.ReadFixed32());
                    break;
                default:
                    throw new InvalidDataException($"The ONNX model has field {WireFormat.GetTagFieldNumber(tag)} of wire type {wireType}, which ONNX does not use.");
            }
        }

        append(writer);
        writer.Flush();
        return output.ToArray();
    }

    /// <summary>The SparseTensorProto of a weight-matrix TensorProto, or null when it is not one or would not be smaller.</summary>
    private static ByteString? ToSparse(ByteString tensorProto)
    {
        if (!TryReadFloatTensor(tensorProto, out string name, out long[] dims, out float[] values)
            || !name.StartsWith(OnnxGraph.WeightPrefix, StringComparison.Ordinal) || dims.Length != 2 || dims[0] * dims[1] != values.Length)
            return null;
        var nonZero = Enumerable.Range(0, values.Length).Where(i => values[i] != 0f).ToArray();
        if (12L * nonZero.Length >= 4L * values.Length)
            return null;

        var sparseValues = Message(w =>
        {
            WriteVectorHeader(w, nonZero.Length, FloatType);
            var floats = new byte[4 * nonZero.Length];
            for (int k = 0; k < nonZero.Length; k++)
                BinaryPrimitives.WriteSingleLittleEndian(floats.AsSpan(4 * k), values[nonZero[k]]);
            WriteField(w, TensorFloatData, ByteString.CopyFrom(floats));
            WriteField(w, TensorName, ByteString.CopyFromUtf8(name));
        });
        var indices = Message(w =>
        {
            WriteVectorHeader(w, nonZero.Length, Int64Type);
            WriteField(w, TensorInt64Data, Message(w2 =>
            {
                foreach (int index in nonZero)
                    w2.WriteInt64(index);
            }));
        });
        return Message(w =>
        {
            WriteField(w, SparseValues, sparseValues);
            WriteField(w, SparseIndices, indices);
            WriteField(w, SparseDims, Message(w2 =>
            {
                foreach (long d in dims)
                    w2.WriteInt64(d);
            }));
        });
    }

    /// <summary>Reads a TensorProto holding only a name, float data type, dims and float_data (what ML.NET writes for float initializers).</summary>
    private static bool TryReadFloatTensor(ByteString tensorProto, out string name, out long[] dims, out float[] values)
    {
        name = string.Empty;
        var dimList = new List<long>();
        var valueList = new List<float>();
        int dataType = 0;
        var reader = new CodedInputStream(tensorProto.ToByteArray());
        uint tag;
        while ((tag = reader.ReadTag()) != 0)
        {
            var wireType = WireFormat.GetTagWireType(tag);
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case TensorDims when wireType == WireFormat.WireType.LengthDelimited:
                    var packedDims = new CodedInputStream(reader.ReadBytes().ToByteArray());
                    while (!packedDims.IsAtEnd)
                        dimList.Add(packedDims.ReadInt64());
                    break;
                case TensorDims when wireType == WireFormat.WireType.Varint:
                    dimList.Add(reader.ReadInt64());
                    break;
                case TensorDataType when wireType == WireFormat.WireType.Varint:
                    dataType = reader.ReadInt32();
                    break;
                case TensorFloatData when wireType == WireFormat.WireType.LengthDelimited:
                    var bytes = reader.ReadBytes().Span;
                    for (int k = 0; k + 4 <= bytes.Length; k += 4)
                        valueList.Add(BinaryPrimitives.ReadSingleLittleEndian(bytes[k..]));
                    break;
                case TensorFloatData when wireType == WireFormat.WireType.Fixed32:
                    valueList.Add(reader.ReadFloat());
                    break;
                case TensorName when wireType == WireFormat.WireType.LengthDelimited:
                    name = reader.ReadString();
                    break;
                default:
                    // raw_data, external data, segments, doc strings: not a tensor this rewrite understands; keep it dense.
                    dims = [];
                    values = [];
                    return false;
            }
        }

        dims = dimList.ToArray();
        values = valueList.ToArray();
        return dataType == FloatType;
    }

    /// <summary>The dims and data type of a 1-D TensorProto of <paramref name="length"/> values.</summary>
    private static void WriteVectorHeader(CodedOutputStream writer, int length, int dataType)
    {
        WriteField(writer, TensorDims, Message(w => w.WriteInt64(length)));
        writer.WriteTag(TensorDataType, WireFormat.WireType.Varint);
        writer.WriteInt32(dataType);
    }

    private static void WriteField(CodedOutputStream writer, int field, ByteString value)
    {
        writer.WriteTag(field, WireFormat.WireType.LengthDelimited);
        writer.WriteBytes(value);
    }

    private static ByteString Message(Action<CodedOutputStream> write)
    {
        using var output = new MemoryStream();
        var writer = new CodedOutputStream(output);
        write(writer);
        writer.Flush();
        return ByteString.CopyFrom(output.ToArray());
    }
}
