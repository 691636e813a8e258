// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using Microsoft.ML.SparseL1.Model;

namespace Microsoft.ML.SparseL1.Format;

/// <summary>
/// Reads and validates the format described on <see cref="ModelFormat"/>: magic, version, length, checksum,
/// then every count, index, row pointer and value. Any violation is an <see cref="InvalidDataException"/> naming
/// the field; a model is returned only when all of it checks out.
/// </summary>
internal static class ModelReader
{
    /// <summary>
    /// Reads a model from <paramref name="input"/>, which must end with it. The declared payload length is checked against
    /// the bytes the stream really holds before any of it is read, the checksum is computed over the stream in chunks,
    /// and the fields are then read from the stream: memory is bounded by the real model, not by what its header declares.
    /// </summary>
    public static (SparseMlpModelParameters Model, string FeatureColumnName) Read(Stream input)
    {
        byte[] header = new byte[ModelFormat.Magic.Length + 4 + 8];
        if (input.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
            throw PayloadReader.Invalid("header", $"is shorter than {header.Length} bytes (truncated)");
        if (!header.AsSpan(0, ModelFormat.Magic.Length).SequenceEqual(ModelFormat.Magic))
            throw PayloadReader.Invalid("magic", "does not match; this is not a sparse MLP model");
        int version = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
        if (version < ModelFormat.OldestReadableVersion || version > ModelFormat.CurrentVersion)
            throw PayloadReader.Invalid("version", $"is 0x{version:X8}; this library reads 0x{ModelFormat.OldestReadableVersion:X8} to 0x{ModelFormat.CurrentVersion:X8}");
        long length = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(12));
        if (length < 0 || length > ModelFormat.MaxPayloadLength)
            throw PayloadReader.Invalid("payloadLength", $"is {length}; expected 0..{ModelFormat.MaxPayloadLength}");

        Stream source = input.CanSeek ? input : BufferRealBytes(input, length + ChecksumBytes + 1);
        long held = source.Length - source.Position;
        if (held < length + ChecksumBytes)
            throw PayloadReader.Invalid("payloadLength", $"is {length} but only {Math.Max(0, held - ChecksumBytes)} payload bytes follow (truncated, or a forged length)");
        if (held > length + ChecksumBytes)
            throw PayloadReader.Invalid("payload", "is followed by unexpected bytes");

        long start = source.Position;
        uint computed;
        Span<byte> stored = stackalloc byte[ChecksumBytes];
        try
        {
            computed = ChecksumOf(source, length);
            source.ReadExactly(stored);
        }
        catch (EndOfStreamException e)
        {
            // A stream whose Length claims more bytes than it gives.
            throw new InvalidDataException($"Sparse MLP model field 'payload' ends before the {length} bytes its stream's length promises (truncated). The model file is corrupt or was not written by this library.", e);
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(stored) != computed)
            throw PayloadReader.Invalid("checksum", "does not match the payload (altered bytes)");
        source.Position = start;
        return ReadPayload(new PayloadReader(source, length), version);
    }

    private const int ChecksumBytes = 4;

    /// <summary>The CRC-32 of the next <paramref name="length"/> bytes, read in 64 KiB chunks.</summary>
    private static uint ChecksumOf(Stream source, long length)
    {
        var crc = new System.IO.Hashing.Crc32();
        var chunk = new byte[(int)Math.Min(length, 1 << 16)];
        for (long left = length; left > 0;)
        {
            int count = (int)Math.Min(chunk.Length, left);
            source.ReadExactly(chunk, 0, count);
            crc.Append(chunk.AsSpan(0, count));
            left -= count;
        }

        return crc.GetCurrentHashAsUInt32();
    }

    /// <summary>
    /// A forward-only stream's next bytes, at most <paramref name="limit"/>, copied in bounded chunks: memory grows with
    /// the bytes that really arrive, so a forged length on a short stream costs nothing.
    /// </summary>
    private static MemoryStream BufferRealBytes(Stream input, long limit)
    {
        var copy = new MemoryStream();
        var chunk = new byte[1 << 16];
        int read;
        while (copy.Length < limit && (read = input.Read(chunk, 0, (int)Math.Min(chunk.Length, limit - copy.Length))) > 0)
            copy.Write(chunk, 0, read);
        copy.Position = 0;
        return copy;
    }

    private static (SparseMlpModelParameters, string) ReadPayload(PayloadReader reader, int version)
    {
        var task = (SparseMlpTask)reader.ReadByteInRange("task", 0, 2);
        string feature = reader.ReadString("featureColumnName");
        if (feature.Length == 0)
            throw PayloadReader.Invalid("featureColumnName", "is empty");
        int classCount = reader.ReadInt32("classNameCount", 0, ModelFormat.MaxWidth);
        var classes = new string[(int)Math.Min(classCount, reader.Remaining / 4)];
        if (classes.Length != classCount)
            throw PayloadReader.Invalid("classNameCount", $"is {classCount} but too few bytes remain (truncated)");
        for (int i = 0; i < classCount; i++)
            classes[i] = reader.ReadString($"className[{i}]");
        int inputCount = reader.ReadInt32("inputCount", 1, ModelFormat.MaxWidth);
        int layerCount = reader.ReadInt32("layerCount", 1, ModelFormat.MaxLayers);
        var layers = new List<CompactLayer>(layerCount);
        int previous = inputCount;
        for (int j = 0; j < layerCount; j++)
        {
            string name = $"layer[{j}]";
            // With an input encoding (from its version on) the first layer reads the encoded slots, checked once the encoding is read.
            bool encodedInputs = j == 0 && version >= ModelFormat.EncodingVersion;
            int inputs = reader.ReadInt32($"{name}.inputs", encodedInputs ? 1 : previous, encodedInputs ? ModelFormat.MaxWidth : previous);
            int outputs = reader.ReadInt32($"{name}.outputs", 1, ModelFormat.MaxWidth);
            float[] bias = reader.ReadFiniteFloats(outputs, $"{name}.bias");
            byte storage = reader.ReadByteInRange($"{name}.storage", 0, 1);
            layers.Add(storage == 0 ? ReadDense(reader, name, inputs, outputs, bias) : ReadSparse(reader, name, inputs, outputs, bias));
            previous = outputs;
        }

        int outputCount = previous;
        int expectedOutputs = task switch { SparseMlpTask.MulticlassClassification => Math.Max(2, outputCount), _ => 1 };
        if (outputCount != expectedOutputs)
            throw PayloadReader.Invalid($"layer[{layerCount - 1}].outputs", $"is {outputCount}; a {task} model has {(task == SparseMlpTask.MulticlassClassification ? "at least 2" : "1")}");
        if (classCount != 0 && classCount != outputCount)
            throw PayloadReader.Invalid("classNameCount", $"is {classCount}; expected 0 or {outputCount}");

        // A trained network whose input reaches no output compacts to one constant layer, so it may have more layers.
        int trainedLayers = reader.ReadInt32("summary.layerCount", layerCount, ModelFormat.MaxLayers);
        int[] sizes = reader.ReadInt32s(trainedLayers + 1, "summary.trainedLayerSizes");
        if (sizes[0] != layers[0].Inputs || sizes[^1] != outputCount)
            throw PayloadReader.Invalid("summary.trainedLayerSizes", "does not start with the first layer's input count and end with the output count");
        for (int j = 0; j < sizes.Length; j++)
        {
            // Hidden sizes bound the compact widths when the layers correspond one to one (not for a constant network).
            bool compactLayer = trainedLayers == layerCount && j > 0 && j < sizes.Length - 1;
            if (sizes[j] < 1 || sizes[j] > ModelFormat.MaxWidth || (compactLayer && sizes[j] < layers[j - 1].Outputs))
                throw PayloadReader.Invalid($"summary.trainedLayerSizes[{j}]", $"is {sizes[j]}; expected a size no smaller than the compact layer");
        }

        float[] lambdas = reader.ReadFiniteFloats(trainedLayers, "summary.lambdas");
        int[] nonZero = reader.ReadInt32s(trainedLayers, "summary.trainedNonZero");
        for (int j = 0; j < trainedLayers; j++)
        {
            if (lambdas[j] < 0)
                throw PayloadReader.Invalid($"summary.lambdas[{j}]", $"is {lambdas[j]}; expected at least 0");
            if (nonZero[j] < 0 || nonZero[j] > (long)sizes[j] * sizes[j + 1])
                throw PayloadReader.Invalid($"summary.trainedNonZero[{j}]", $"is {nonZero[j]}; expected 0..{(long)sizes[j] * sizes[j + 1]}");
        }

        SparsitySelectionReport? report = reader.ReadInt32("hasSelectionReport", 0, 1) == 1
            ? SelectionReportFormat.Read(reader, trainedLayers)
            : null;
        var inputRange = version >= ModelFormat.InputRangeVersion && reader.ReadInt32("hasInputRange", 0, 1) == 1 ? ReadRange(reader, inputCount, "inputRange") : null;
        bool scoresByInputs = version >= ModelFormat.ScoringVersion && reader.ReadInt32("scoring", 0, 1) == 1;
        var encoding = version >= ModelFormat.EncodingVersion && reader.ReadInt32("hasInputEncoding", 0, 1) == 1 ? ReadEncoding(reader, inputCount) : null;
        bool hasScoreRange = version >= ModelFormat.ScoreRangeVersion && reader.ReadInt32("hasScoreRange", 0, 1) == 1;
        // A classifier's outputs are logits: a range on them would move its probabilities.
        if (hasScoreRange && task != SparseMlpTask.Regression)
            throw PayloadReader.Invalid("hasScoreRange", $"is 1 on a {task} model; only a regression's scores have a range");
        var scoreRange = hasScoreRange ? ReadRange(reader, layers[^1].Outputs, "scoreRange") : null;
        if (!reader.AtEnd)
            throw PayloadReader.Invalid("payload", $"has {reader.Remaining} unread bytes");
        if (layers[0].Inputs != (encoding?.Width ?? inputCount))
            throw PayloadReader.Invalid("layer[0].inputs", $"is {layers[0].Inputs}; expected {(encoding is null ? $"the input count {inputCount}" : $"the {encoding.Width} slots of the input encoding")}");

        var network = new CompactMlp(inputCount, layers, inputRange, scoresByInputs, encoding, scoreRange);
        return (new SparseMlpModelParameters(task, network, classes, sizes, lambdas, nonZero, report), feature);
    }

    /// <summary>A range of <paramref name="count"/> values (the inputs', or the scores'), its fields named after <paramref name="field"/>.</summary>
    private static InputRange ReadRange(PayloadReader reader, int count, string field)
    {
        if ((long)count * 8 > reader.Remaining)
            throw PayloadReader.Invalid(field, $"needs {(long)count * 8} bytes but only {reader.Remaining} remain (truncated)");
        float[] lower = reader.ReadFiniteFloats(count, field + ".lower");
        float[] upper = reader.ReadFiniteFloats(count, field + ".upper");
        for (int i = 0; i < count; i++)
        {
            if (lower[i] > upper[i])
                throw PayloadReader.Invalid($"{field}.lower[{i}]", $"is {lower[i]}, above its upper bound {upper[i]}");
        }

        return new InputRange(lower, upper);
    }

    private static PiecewiseLinearInputs ReadEncoding(PayloadReader reader, int inputCount)
    {
        // Every input has at least its edge count: a forged input count must not allocate before the bytes are there.
        if ((long)inputCount * 4 > reader.Remaining)
            throw PayloadReader.Invalid("inputEncoding", $"needs at least {(long)inputCount * 4} bytes for {inputCount} inputs but only {reader.Remaining} remain (truncated)");
        var edges = new float[inputCount][];
        for (int i = 0; i < inputCount; i++)
        {
            int count = reader.ReadInt32($"inputEncoding[{i}].edgeCount", 0, PiecewiseLinearInputs.MaximumBins + 1);
            if (count == 1)
                throw PayloadReader.Invalid($"inputEncoding[{i}].edgeCount", "is 1; expected 0 or at least 2");
            if ((long)count * 4 > reader.Remaining)
                throw PayloadReader.Invalid($"inputEncoding[{i}].edges", $"needs {(long)count * 4} bytes but only {reader.Remaining} remain (truncated)");
            edges[i] = reader.ReadFiniteFloats(count, $"inputEncoding[{i}].edges");
            int bad = PiecewiseLinearInputs.FirstBadEdge(edges[i]);
            if (bad >= 0)
                throw PayloadReader.Invalid($"inputEncoding[{i}].edges[{bad}]", $"is {edges[i][bad]}; edges must increase strictly, with finite gaps");
        }

        return new PiecewiseLinearInputs(edges);
    }

    private static CompactLayer ReadDense(PayloadReader reader, string name, int inputs, int outputs, float[] bias)
    {
        long count = (long)inputs * outputs;
        if (count * 4 > reader.Remaining)
            throw PayloadReader.Invalid($"{name}.weights", $"needs {count * 4} bytes but only {reader.Remaining} remain (truncated)");
        return CompactLayer.CreateDense(inputs, outputs, reader.ReadFiniteFloats((int)count, $"{name}.weights"), bias);
    }

    private static CompactLayer ReadSparse(PayloadReader reader, string name, int inputs, int outputs, float[] bias)
    {
        long max = (long)inputs * outputs;
        int nonZero = reader.ReadInt32($"{name}.nonZero", 0, (int)Math.Min(max, int.MaxValue));
        int[] rowPointers = reader.ReadInt32s(outputs + 1, $"{name}.rowPointers");
        if (rowPointers[0] != 0 || rowPointers[outputs] != nonZero)
            throw PayloadReader.Invalid($"{name}.rowPointers", $"must start at 0 and end at nonZero ({nonZero})");
        for (int r = 0; r < outputs; r++)
        {
            if (rowPointers[r + 1] < rowPointers[r] || rowPointers[r + 1] - rowPointers[r] > inputs)
                throw PayloadReader.Invalid($"{name}.rowPointers[{r + 1}]", "is not monotone within the row width");
        }

        int[] columns = reader.ReadInt32s(nonZero, $"{name}.columns");
        for (int r = 0; r < outputs; r++)
        {
            for (int k = rowPointers[r]; k < rowPointers[r + 1]; k++)
            {
                if (columns[k] < 0 || columns[k] >= inputs || (k > rowPointers[r] && columns[k] <= columns[k - 1]))
                    throw PayloadReader.Invalid($"{name}.columns[{k}]", $"is {columns[k]}; expected strictly increasing indices in 0..{inputs - 1} within row {r}");
            }
        }

        float[] values = reader.ReadFiniteFloats(nonZero, $"{name}.values");
        return CompactLayer.CreateSparse(inputs, outputs, rowPointers, columns, values, bias);
    }

    private static byte ReadByteInRange(this PayloadReader reader, string field, byte min, byte max)
    {
        byte value = reader.ReadByte(field);
        if (value < min || value > max)
            throw PayloadReader.Invalid(field, $"is {value}; expected {min}..{max}");
        return value;
    }
}
