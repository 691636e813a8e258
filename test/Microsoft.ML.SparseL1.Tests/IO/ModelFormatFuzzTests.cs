// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Microsoft.ML.SparseL1.IO;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.IO;

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

    [TestMethod]
    public void Mutations_WithRecomputedChecksum_ThrowOrGiveUsableModel()
    {
        byte[] original = Serialize(out var reference);
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
        Assert.IsLessThan(30_000, clock.ElapsedMilliseconds, "fuzzing must not hang");
        var (unchanged, feature) = Read(original);
        Assert.AreEqual("Features", feature);
        CollectionAssert.AreEqual(reference.PredictRaw(Enumerable.Repeat(0.5f, 20).ToArray()), unchanged.PredictRaw(Enumerable.Repeat(0.5f, 20).ToArray()));
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

    private static (SparseMlpModelParameters, string) Read(byte[] bytes) => ModelReader.Read(new MemoryStream(bytes));

    private static byte[] Serialize(out SparseMlpModelParameters model)
    {
        var parameters = MlpParameters.Initialize([20, 9, 5, 3], seed: 4);
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
        model = new SparseMlpModelParameters(SparseMlpTask.MulticlassClassification, CompactMlp.FromParameters(parameters), ["a", "b", "c"],
            parameters.LayerSizes, [1e-3f, 2e-3f, 3e-3f], parameters.CountNonZeroWeights(), null);
        Assert.IsTrue(model.Layers[0].IsSparse, "the fixture must cover the CSR branch");
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            ModelWriter.Write(writer, model, "Features");
        return stream.ToArray();
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
    private static byte[] Reseal(byte[] bytes)
    {
        int payloadLength = bytes.Length - 20 - 4;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(12), payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32.Compute(bytes.AsSpan(20, payloadLength)));
        return bytes;
    }
}
