// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Persistence;

/// <summary>The invariant "every model that trains also saves, loads and scores bit-identically", over generated configurations.</summary>
[TestClass]
public class SaveLoadPropertyTests
{
    private const int Width = 5;

    private sealed class Row
    {
        [VectorType(Width)]
        public float[] Features { get; set; } = [];

        public float Value { get; set; }

        public bool Positive { get; set; }

        public uint Class { get; set; }
    }

    /// <summary>The Score column as one array per row, whether it is a vector (multiclass) or a scalar.</summary>
    private static float[][] ScoresOf(IDataView view)
    {
        var column = view.Schema["Score"];
        return column.Type is VectorDataViewType
            ? view.GetColumn<float[]>(column).ToArray()
            : view.GetColumn<float>(column).Select(v => new[] { v }).ToArray();
    }

    [TestMethod]
    public void EveryTrainedModel_SavesLoadsAndScoresBitIdentically_GeneratedConfigurations()
    {
        var random = new Random(20261125);
        int checkedConfigurations = 0, constantModels = 0, rejected = 0;
        for (int configuration = 0; checkedConfigurations < 200; configuration++)
        {
            var ml = new MLContext(seed: configuration);
            int rows = random.Next(4) == 0 ? 1 : random.Next(1, 60);
            int task = random.Next(3);
            int classes = random.Next(1, 4); // 1: only one class observed
            bool constantFeatures = random.Next(5) == 0;
            var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(r =>
            {
                var features = Enumerable.Range(0, Width).Select(c => constantFeatures ? 0.5f : (float)(random.NextDouble() * 4 - 2)).ToArray();
                return new Row { Features = features, Value = features[0] * 3 + 10, Positive = features[1] > 0 || r == 0, Class = (uint)(r % classes) + 1 };
            }).ToArray());
            int[] hidden = Enumerable.Range(0, random.Next(3)).Select(_ => random.Next(1, 5)).ToArray();
            string what = $"configuration {configuration}: task {task}, {rows} rows, hidden [{string.Join(",", hidden)}]";
            var (estimator, layers) = (Build(ml, task, hidden, random, classes), hidden.Length + 1);
            ITransformer model;
            try
            {
                model = estimator.Fit(data);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException && e.Message.Contains("abel column", StringComparison.Ordinal))
            {
                rejected++;
                continue; // a named rejection of the label (one class observed) is not a trained model
            }

            var network = (model as SparseMlpPredictionTransformer ?? ((System.Collections.Generic.IEnumerable<ITransformer>)model).OfType<SparseMlpPredictionTransformer>().Single()).Model;
            constantModels += network.NonZeroWeightCount == 0 ? 1 : 0;
            using var stream = new MemoryStream();
            ml.Model.Save(model, data.Schema, stream);
            stream.Position = 0;
            var loaded = new MLContext(seed: 7).Model.Load(stream, out _);

            var expected = ScoresOf(model.Transform(data));
            var actual = ScoresOf(loaded.Transform(data));
            Assert.HasCount(expected.Length, actual, what);
            for (int r = 0; r < expected.Length; r++)
                CollectionAssert.AreEqual(expected[r], actual[r], $"{what}, row {r}");
            checkedConfigurations++;
            Assert.IsGreaterThan(0, layers);
        }

        Assert.IsGreaterThan(0, rejected, "the generator must reach a single observed class too");
        Assert.IsGreaterThan(0, constantModels, "the generator must reach degenerate (constant) networks too");
    }

    [TestMethod]
    [DataRow(new[] { 10f, 10f }, DisplayName = "both layers at λ 10")]
    [DataRow(new[] { 10f, 0f }, DisplayName = "hidden layer at λ 10")]
    [DataRow(new[] { 0f, 10f }, DisplayName = "output layer at λ 10")]
    public void DeadHiddenLayer_ModelIsConstant_SavesAndLoads(float[] layerLambdas)
    {
        // Issue 11: a hidden layer whose neurons all die used to save a layer of width 0 that the reader refused.
        var ml = new MLContext(seed: 1);
        var random = new Random(3);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 300).Select(_ =>
        {
            var features = Enumerable.Range(0, Width).Select(c => (float)random.NextDouble()).ToArray();
            return new Row { Features = features, Value = features.Sum() };
        }).ToArray());
        var model = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options
        {
            LabelColumnName = "Value", HiddenLayerSizes = [16], LayerLambdas = layerLambdas, NumberOfEpochs = 20,
        }).Fit(data);
        Assert.IsTrue(model.Model.Layers.All(l => l.NonZeroCount == 0), "such a penalty leaves no path from the input to the output");
        Assert.HasCount(1, model.Model.Layers, "a constant network is stored as one layer");

        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var loaded = new MLContext().Model.Load(stream, out _);
        var expected = ScoresOf(model.Transform(data));
        var actual = ScoresOf(loaded.Transform(data));
        for (int r = 0; r < expected.Length; r++)
        {
            CollectionAssert.AreEqual(expected[r], actual[r], $"row {r}");
            Assert.AreEqual(expected[0][0], actual[r][0], $"row {r}: a constant predictor");
        }
    }

    [TestMethod]
    public void SwappedPayload_IsRefusedWithTheFieldNamed()
    {
        // Issue 11: nothing tied the payload to the model it was saved with, so a binary payload in a regression zip scored.
        var ml = new MLContext(seed: 1);
        var data = SmallData(ml);
        var regression = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { LabelColumnName = "Value", Lambda = 1e-4f, NumberOfEpochs = 2 }).Fit(data);
        var binary = ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { LabelColumnName = "Positive", Lambda = 1e-4f, NumberOfEpochs = 2 }).Fit(data);
        byte[] Save(ITransformer model)
        {
            using var stream = new MemoryStream();
            ml.Model.Save(model, data.Schema, stream);
            return stream.ToArray();
        }

        byte[] regressionZip = Save(regression), binaryZip = Save(binary);
        byte[] swapped = ReplaceEntry(regressionZip, binaryZip, "SparseMlpModel.bin");
        // ML.NET's loader calls ours through reflection and wraps what it throws.
        var error = Assert.Throws<Exception>(() => new MLContext().Model.Load(new MemoryStream(swapped), out _)).GetBaseException();
        Assert.IsInstanceOfType<InvalidDataException>(error);
        StringAssert.Contains(error.Message, "'task' is Regression");
        StringAssert.Contains(error.Message, "BinaryClassification");

        // Unchanged zips still load.
        new MLContext().Model.Load(new MemoryStream(regressionZip), out _);
        new MLContext().Model.Load(new MemoryStream(binaryZip), out _);
    }

    private static IEstimator<ITransformer> Build(MLContext ml, int task, int[] hidden, Random random, int classes)
    {
        // Regularization from none to strong enough to kill whole layers; sometimes a target instead of a λ.
        float? lambda = random.Next(4) switch { 0 => 0f, 1 => 1e-4f, 2 => 10f, _ => null };
        float? target = lambda is null ? (float)(random.Next(0, 99) / 100.0) : null;
        int epochs = random.Next(1, 4);
        bool standardize = random.Next(2) == 0;
        switch (task)
        {
            case 0:
                return ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options
                {
                    LabelColumnName = "Value", HiddenLayerSizes = hidden, Lambda = lambda, TargetSparsity = target, NumberOfEpochs = epochs, Standardize = standardize,
                });
            case 1:
                return ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options
                {
                    LabelColumnName = "Positive", HiddenLayerSizes = hidden, Lambda = lambda, TargetSparsity = target, NumberOfEpochs = epochs, Standardize = standardize,
                });
            default:
                return ml.Transforms.Conversion.MapValueToKey("Key", "Class").Append(ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options
                {
                    LabelColumnName = "Key", HiddenLayerSizes = hidden, Lambda = lambda, TargetSparsity = target, NumberOfEpochs = epochs, Standardize = standardize,
                }));
        }
    }

    private static byte[] ReplaceEntry(byte[] targetZip, byte[] sourceZip, string entrySuffix)
    {
        using var source = new ZipArchive(new MemoryStream(sourceZip), ZipArchiveMode.Read);
        var replacement = source.Entries.Single(e => e.FullName.EndsWith(entrySuffix, StringComparison.Ordinal));
        using var buffer = new MemoryStream();
        using (var replacementStream = replacement.Open())
            replacementStream.CopyTo(buffer);
        return WithEntry(targetZip, entrySuffix, stream => stream.Write(buffer.ToArray()));
    }

    /// <summary>The zip with the entry ending in <paramref name="entrySuffix"/> rewritten by <paramref name="write"/>, or removed (null).</summary>
    private static byte[] WithEntry(byte[] zip, string entrySuffix, Action<Stream>? write)
    {
        var output = new MemoryStream();
        output.Write(zip);
        using (var target = new ZipArchive(output, ZipArchiveMode.Update, leaveOpen: true))
        {
            var entry = target.Entries.Single(e => e.FullName.EndsWith(entrySuffix, StringComparison.Ordinal));
            string name = entry.FullName;
            entry.Delete();
            if (write is not null)
            {
                using var stream = target.CreateEntry(name, CompressionLevel.Fastest).Open();
                write(stream);
            }
        }

        return output.ToArray();
    }

    /// <summary>100 rows of uniform features with a regression and a binary label.</summary>
    private static IDataView SmallData(MLContext ml)
    {
        var random = new Random(4);
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, 100).Select(_ =>
        {
            var features = Enumerable.Range(0, Width).Select(c => (float)random.NextDouble()).ToArray();
            return new Row { Features = features, Value = features.Sum(), Positive = features[0] > 0.5f };
        }).ToArray());
    }

    /// <summary>A zip of a small trained regression model.</summary>
    private static byte[] SmallModelZip()
    {
        var ml = new MLContext(seed: 1);
        var data = SmallData(ml);
        var model = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { LabelColumnName = "Value", Lambda = 1e-4f, NumberOfEpochs = 2 }).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        return stream.ToArray();
    }

    [TestMethod]
    public void MissingIdentityEntry_IsRefused()
    {
        // Issue 26: the identity entry was optional, so deleting it skipped the task check of a swapped payload.
        byte[] stripped = WithEntry(SmallModelZip(), "SparseMlpIdentity.bin", null);

        var error = Assert.Throws<Exception>(() => new MLContext().Model.Load(new MemoryStream(stripped), out _)).GetBaseException();

        Assert.IsInstanceOfType<InvalidDataException>(error);
        StringAssert.Contains(error.Message, "SparseMlpIdentity.bin");
    }

    [TestMethod]
    public void ForgedPayloadEntry_IsRefusedWithMemoryBoundedByTheEntry()
    {
        // Issue 26: a 1.4 MB zip whose payload inflates to 1.5 GB peaked at 4.9 GB before the checksum refused it. Here a
        // payload entry of 16 MiB (a valid header, then zeros; a few KiB compressed) must cost about its own size (ML.NET
        // holds the inflated entry), not the payload again in copies (the reader before the fix allocated 11.5 times it).
        const int payload = 16 << 20;
        byte[] zip = SmallModelZip();
        byte[] forged = WithEntry(zip, "SparseMlpModel.bin", stream =>
        {
            var header = new byte[20];
            "SPL1MLP\0"u8.CopyTo(header);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), 0x00010001);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(12), payload);
            stream.Write(header);
            var zeros = new byte[1 << 20];
            for (int written = 0; written < payload + 4; written += zeros.Length)
                stream.Write(zeros, 0, Math.Min(zeros.Length, payload + 4 - written));
        });
        Assert.IsLessThan(1 << 20, forged.Length, "the forged zip is small");
        // This thread's allocations: the suite runs test classes in parallel, and Model.Load runs on the caller's thread.
        long before = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.Throws<Exception>(() => new MLContext().Model.Load(new MemoryStream(forged), out _)).GetBaseException();

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsInstanceOfType<InvalidDataException>(error);
        StringAssert.Contains(error.Message, "checksum");
        Assert.IsLessThan(3L * payload, allocated, $"{allocated} bytes allocated to refuse a {payload}-byte forged payload");

        // A header that declares more than the entry holds is refused by its length field.
        byte[] short_ = WithEntry(zip, "SparseMlpModel.bin", stream =>
        {
            var header = new byte[24];
            "SPL1MLP\0"u8.CopyTo(header);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), 0x00010001);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(12), 1_500_000_000L);
            stream.Write(header);
        });
        var shortError = Assert.Throws<Exception>(() => new MLContext().Model.Load(new MemoryStream(short_), out _)).GetBaseException();
        StringAssert.Contains(shortError.Message, "payloadLength");
    }
}
