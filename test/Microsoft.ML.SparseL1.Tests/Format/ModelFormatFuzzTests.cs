// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Microsoft.ML.SparseL1.Format;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Format;

/// <summary>
/// Seeded, bounded fuzzing of the model entry: truncations, byte flips and shuffled spans, both as stored (the
/// checksum must catch them) and with the checksum recomputed (a forged file: the field validation must catch it
/// or the model must be safe to use). Never an out-of-range read, a hang or a huge allocation.
/// </summary>
[TestClass]
public class ModelFormatFuzzTests
{
    private const int Mutations = 400;

    [TestMethod]
    public void Truncations_AlwaysThrowInvalidData()
    {
        byte[] original = Serialize(out _);
        for (int length = 0; length < original.Length; length += Math.Max(1, length / 16))
            Assert.ThrowsExactly<InvalidDataException>(() => Read(original.AsSpan(0, length).ToArray()), $"length {length}");
    }

    [TestMethod]
    public void Mutations_WithStoredChecksum_AreAllRejected()
    {
        byte[] original = Serialize(out _);
        var random = new Random(1234);
        for (int i = 0; i < Mutations; i++)
        {
            byte[] mutated = Mutate(original, random);
            if (mutated.AsSpan().SequenceEqual(original))
                continue;
            Assert.ThrowsExactly<InvalidDataException>(() => Read(mutated), $"mutation {i}");
        }
    }

    /// <summary>
    /// Two fixtures: a classifier, and a regression network with an input range and a score range, so that forged files
    /// also reach those fields' validation.
    /// </summary>
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void Mutations_WithRecomputedChecksum_ThrowOrGiveUsableModel(bool regression)
    {
        byte[] original = Serialize(out var reference, regression);
        var random = new Random(99);
        int rejected = 0, accepted = 0;
        var fields = new System.Collections.Generic.HashSet<string>();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Mutations; i++)
        {
            byte[] forged = Reseal(Mutate(original, random));
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                var (model, _) = Read(forged);
                accepted++;

                // A forged file that validates must still be a well-formed network: it predicts without errors.
                var output = model.PredictRaw(new float[model.InputCount]);
                Assert.AreEqual(model.OutputCount, output.Length);
            }
            catch (InvalidDataException error)
            {
                rejected++;
                fields.Add(error.Message.Split('\'')[1].Split('[')[0]);
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.IsLessThan(64L * original.Length + (1 << 22), allocated, $"mutation {i} allocated {allocated} bytes");
        }

        // Not vacuous: the forged files reach many different validated fields, and some forge a valid model.
        Assert.IsGreaterThanOrEqualTo(8, fields.Count, $"rejected {rejected} in fields {string.Join(", ", fields)}; accepted {accepted}");
        Assert.IsGreaterThan(0, accepted);
        if (regression)
            Assert.IsTrue(fields.Any(f => f.StartsWith("inputRange", StringComparison.Ordinal)), string.Join(", ", fields));

        Assert.IsLessThan(30_000, clock.ElapsedMilliseconds, "fuzzing must not hang");
        var (unchanged, feature) = Read(original);
        Assert.AreEqual("Features", feature);
        CollectionAssert.AreEqual(reference.PredictRaw(Enumerable.Repeat(0.5f, 20).ToArray()), unchanged.PredictRaw(Enumerable.Repeat(0.5f, 20).ToArray()));
    }

    /// <summary>
    /// Every bit of the score range (the payload's last 8 bytes: the lower and upper bound of the one output) flipped in a
    /// forged file: refused naming the field, or read as a range that is finite and ordered, which the scores then keep to.
    /// </summary>
    [TestMethod]
    public void ScoreRangeBitFlips_AreRefusedNamingTheField_OrReadAsAnOrderedRange()
    {
        byte[] original = Serialize(out var reference, regression: true);
        Assert.AreEqual(-3f, reference.Network.ScoreRange!.Lower[0]);
        int end = original.Length - 4;
        Assert.AreEqual(4f, BinaryPrimitives.ReadSingleLittleEndian(original.AsSpan(end - 4)), "fixture: the payload ends with the upper bound");
        int rejected = 0, accepted = 0;
        for (int bit = 0; bit < 64; bit++)
        {
            byte[] forged = (byte[])original.Clone();
            forged[end - 8 + bit / 8] ^= (byte)(1 << (bit % 8));
            try
            {
                var (model, _) = Read(Reseal(forged));
                var range = model.Network.ScoreRange!;
                accepted++;
                Assert.IsTrue(float.IsFinite(range.Lower[0]) && float.IsFinite(range.Upper[0]) && range.Lower[0] <= range.Upper[0], $"bit {bit}");
                float score = model.PredictRaw(Enumerable.Repeat(0.5f, 20).ToArray())[0];
                Assert.IsTrue(score >= range.Lower[0] && score <= range.Upper[0], $"bit {bit}: {score} outside [{range.Lower[0]}, {range.Upper[0]}]");
            }
            catch (InvalidDataException error)
            {
                rejected++;
                StringAssert.Contains(error.Message, "scoreRange", $"bit {bit}");
            }
        }

        Assert.IsGreaterThan(0, rejected);
        Assert.IsGreaterThan(0, accepted);
    }

    [TestMethod]
    public void ForgedHugeLengths_AreRejectedWithoutAllocating()
    {
        byte[] original = Serialize(out _);
        byte[] forged = (byte[])original.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(forged.AsSpan(12), int.MaxValue);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.ThrowsExactly<InvalidDataException>(() => Read(forged));
        StringAssert.Contains(error.Message, "truncated");
        Assert.IsLessThan(4L << 20, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>
    /// The writer writes the current version; the reader reads every version from the oldest released one (the checked-in
    /// golden zips) to the current one, each with its own layout, and refuses one outside them naming the field.
    /// </summary>
    [TestMethod]
    public void Versions_FromTheOldestReleasedToTheCurrent_AreRead()
    {
        byte[] original = Serialize(out var model);
        Assert.AreEqual(ModelFormat.CurrentVersion, BinaryPrimitives.ReadInt32LittleEndian(original.AsSpan(8)));
        foreach (int version in new[] { ModelFormat.ScoreRangeVersion, ModelFormat.CurrentVersion })
        {
            byte[] bytes = (byte[])original.Clone();
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), version);
            Assert.AreEqual(model.NonZeroWeightCount, Read(bytes).Item1.NonZeroWeightCount, $"version 0x{version:X8}");
        }

        // A version before the score range (or the input encoding, the scoring, the input range) has fewer fields after the
        // report: the current payload read as one has bytes left. (Files of those versions are read by GoldenModelTests.)
        foreach (int version in new[] { ModelFormat.ScoreRangeVersion - 1, ModelFormat.EncodingVersion - 1, ModelFormat.ScoringVersion - 1, ModelFormat.InputRangeVersion - 1 })
        {
            byte[] older = (byte[])original.Clone();
            BinaryPrimitives.WriteInt32LittleEndian(older.AsSpan(8), version);
            StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => Read(older)).Message, "unread bytes", $"version 0x{version:X8}");
        }

        foreach (int version in new[] { ModelFormat.OldestReadableVersion - 1, ModelFormat.CurrentVersion + 1 })
        {
            byte[] bytes = (byte[])original.Clone();
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), version);
            var error = Assert.ThrowsExactly<InvalidDataException>(() => Read(bytes), $"version 0x{version:X8}");
            StringAssert.Contains(error.Message, "version");
        }
    }

    private static (SparseMlpModelParameters, string) Read(byte[] bytes) => ModelReader.Read(new MemoryStream(bytes));

    private static byte[] Serialize(out SparseMlpModelParameters model, bool regression = false)
    {
        var parameters = MlpParameters.Initialize([20, 9, 5, regression ? 1 : 3], seed: 4);
        for (int j = 1; j < parameters.LayerCount; j++)
        {
            for (int i = 0; i < parameters.Weights[j].Length; i += 2)
                parameters.Weights[j][i] = 0f;
        }

        // First layer: one nonzero per neuron (density 0.05), so the file holds a CSR layer and dense ones.
        for (int o = 0; o < 9; o++)
        {
            for (int i = 0; i < 20; i++)
            {
                if (i != (3 * o) % 20)
                    parameters.Weights[0][o * 20 + i] = 0f;
            }
        }
        var network = regression
            ? CompactMlp.FromParameters(parameters, new InputRange(Enumerable.Repeat(-1f, 20).ToArray(), Enumerable.Repeat(2f, 20).ToArray()),
                scoreRange: new InputRange([-3f], [4f]))
            : CompactMlp.FromParameters(parameters);
        model = new SparseMlpModelParameters(regression ? SparseMlpTask.Regression : SparseMlpTask.MulticlassClassification, network,
            regression ? [] : ["a", "b", "c"], parameters.LayerSizes, [1e-3f, 2e-3f, 3e-3f], parameters.CountNonZeroWeights(), null);
        Assert.IsTrue(model.Layers[0].IsSparse, "the fixture must cover the CSR branch");
        return Infrastructure.ModelBytes.Of(model);
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        byte[] bytes = (byte[])original.Clone();
        switch (random.Next(3))
        {
            case 0:
                for (int k = random.Next(1, 4); k > 0; k--)
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                break;
            case 1:
                int a = random.Next(bytes.Length - 8), b = random.Next(bytes.Length - 8);
                for (int k = 0; k < 8; k++)
                    (bytes[a + k], bytes[b + k]) = (bytes[b + k], bytes[a + k]);
                break;
            default:
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(20 + random.Next(bytes.Length - 28)), random.Next(int.MinValue, int.MaxValue));
                break;
        }

        return bytes;
    }

    /// <summary>Recomputes length and checksum so the mutation reaches the field validation.</summary>
    internal static byte[] Reseal(byte[] bytes)
    {
        int payloadLength = bytes.Length - 20 - 4;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(12), payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), BitwiseCrc32(bytes.AsSpan(20, payloadLength)));
        return bytes;
    }

    /// <summary>CRC-32 (IEEE, reflected 0xEDB88320) bit by bit: the reference the library's checksum must equal.</summary>
    private static uint BitwiseCrc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }

        return ~crc;
    }

    /// <summary>
    /// A forged entry whose header declares a large payload that really follows (zeros, then a checksum): the checksum is
    /// streamed over it in chunks, so the refusal allocates a bounded amount, not the declared size (it allocated the
    /// payload twice over before: 4.9 GB at peak for a 1.5 GB entry).
    /// </summary>
    [TestMethod]
    public void ForgedLargePayload_IsRefusedWithoutAllocatingIt()
    {
        const long declared = 256L << 20;
        byte[] header = Serialize(out _).AsSpan(0, 20).ToArray();
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(12), declared);
        using var stream = new ZeroTailStream(header, declared + 4);
        long before = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.ThrowsExactly<InvalidDataException>(() => ModelReader.Read(stream));

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        StringAssert.Contains(error.Message, "checksum");
        Assert.IsLessThan(1L << 20, allocated, $"{allocated} bytes allocated to refuse a {declared}-byte payload");
    }

    /// <summary>A forward-only stream (no Length) gets the same checks, with memory bounded by the bytes that arrive.</summary>
    [TestMethod]
    public void ForwardOnlyStream_ReadsAModelAndRefusesAForgedLength()
    {
        byte[] original = Serialize(out var model);
        var (read, feature) = ModelReader.Read(new ForwardOnlyStream(original));
        Assert.AreEqual("Features", feature);
        Assert.AreEqual(model.NonZeroWeightCount, read.NonZeroWeightCount);

        byte[] forged = (byte[])original.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(forged.AsSpan(12), int.MaxValue);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.ThrowsExactly<InvalidDataException>(() => ModelReader.Read(new ForwardOnlyStream(forged)));
        StringAssert.Contains(error.Message, "payloadLength");
        Assert.IsLessThan(1L << 20, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>The library's checksum is the standard CRC-32 (golden zips written before the change keep loading).</summary>
    [TestMethod]
    public void StoredChecksum_IsTheStandardCrc32()
    {
        byte[] bytes = Serialize(out _);
        int payloadLength = bytes.Length - 24;
        Assert.AreEqual(BitwiseCrc32(bytes.AsSpan(20, payloadLength)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)));
    }

    /// <summary>A seekable stream of a prefix followed by zeros up to a length, without holding the zeros.</summary>
    private sealed class ZeroTailStream(byte[] prefix, long tail) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => prefix.Length + tail;

        public override long Position { get; set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, Math.Max(0, Length - Position));
            for (int i = 0; i < n; i++)
                buffer[offset + i] = Position + i < prefix.Length ? prefix[Position + i] : (byte)0;
            Position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            _ => Length + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A stream that can only be read forward (as a network or deflate stream).</summary>
    private sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(count, data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
