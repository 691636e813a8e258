// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Data;

/// <summary>
/// Sparse feature vectors (text, one-hot) through ML.NET: read as sparse rows, trained without densifying, scored
/// through their nonzeros, saved and loaded.
/// </summary>
[TestClass]
public class SparseInputPipelineTests
{
    private const int Slots = 2000;

    private sealed class Row
    {
        [VectorType(Slots)]
        public VBuffer<float> Features { get; set; }

        public bool Label { get; set; }
    }

    private sealed class Scored
    {
        public float Score { get; set; }
    }

    [TestMethod]
    public void SparseVectors_AreReadAsSparseRows_DenseOnesAsDense()
    {
        var ml = new MLContext(seed: 1);
        var options = new SparseMlpBinaryTrainer.Options();
        var sparse = ml.Data.LoadFromEnumerable(Rows(300, seed: 1));
        var info = SchemaChecks.CheckTrainingSchema(sparse.Schema, SparseMlpTask.BinaryClassification, options);

        var read = DataViewReader.Read(sparse, SparseMlpTask.BinaryClassification, options, info, () => { });

        Assert.IsNotNull(read.Sparse, "12 of 2,000 slots per row are read as sparse rows");
        Assert.IsEmpty(read.Features, "no dense copy");
        Assert.AreEqual(300 * 12, read.Sparse.NonZeroCount);
        var denseRows = Rows(300, seed: 1).Select(r => new Row { Features = new VBuffer<float>(Slots, r.Features.DenseValues().ToArray()), Label = r.Label });
        var dense = ml.Data.LoadFromEnumerable(denseRows);
        var fromDenseVectors = DataViewReader.Read(dense, SparseMlpTask.BinaryClassification, options, info, () => { });
        Assert.IsNotNull(fromDenseVectors.Sparse, "density decides, not the vector representation");
        CollectionAssert.AreEqual(read.Sparse.ToDense(), fromDenseVectors.Sparse.ToDense());
    }

    [TestMethod]
    public void SparseVectors_TrainScoreSaveAndLoad_ThroughTheirNonzeros()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Rows(3000, seed: 2));
        var test = ml.Data.LoadFromEnumerable(Rows(600, seed: 3));
        var model = ml.BinaryClassification.Trainers.SparseMlp(hiddenLayerSizes: [16]).Fit(train);

        var metrics = ml.BinaryClassification.Evaluate(model.Transform(test));
        Assert.IsGreaterThan(0.9, metrics.Accuracy, "the label is a rule on 3 of the 2,000 slots");

        using var stream = new MemoryStream();
        ml.Model.Save(model, train.Schema, stream);
        stream.Position = 0;
        var loaded = ml.Model.Load(stream, out _);
        float[] transformScores = loaded.Transform(test).GetColumn<float>("Score").ToArray();
        var engine = ml.Model.CreatePredictionEngine<Row, Scored>(loaded);
        var network = model.Model;
        var rows = Rows(600, seed: 3);
        for (int i = 0; i < rows.Length; i++)
        {
            float sparseScore = engine.Predict(rows[i]).Score;
            Assert.AreEqual(sparseScore, transformScores[i], $"row {i}: Transform and the engine both score sparse rows through their nonzeros");
            float denseScore = network.PredictRaw(rows[i].Features.DenseValues().ToArray())[0];
            Infrastructure.TestData.AssertClose(denseScore, sparseScore, 1e-5, 1e-6, $"row {i}: sparse against dense scoring");
        }
    }

    [TestMethod]
    public void SparseVectors_WithInputsToKeep_KeepTheSlotsTheRuleReads()
    {
        // On sparse rows the first layer trains transposed: the input groups are its rows then.
        var ml = new MLContext(seed: 1);
        var model = ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { HiddenLayerSizes = [16], InputsToKeep = 3 })
            .Fit(ml.Data.LoadFromEnumerable(Rows(3000, seed: 5)));

        CollectionAssert.AreEqual(new[] { 0, 1, 2 }, model.Model.UsedInputIndices.ToArray());
        // The rule reads the slots' presence; the same bound as the run without input selection above.
        Assert.IsGreaterThan(0.9, ml.BinaryClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(Rows(600, seed: 6)))).Accuracy);
    }

    [TestMethod]
    public void HundredThousandSlots_TwentyTwoThousandRows_Train()
    {
        // Densified, 22,000 x 100,000 values exceed the largest array (the error this used to give).
        var ml = new MLContext(seed: 1);
        var random = new Random(4);
        var rows = Enumerable.Range(0, 22000).Select(_ =>
        {
            var slots = Enumerable.Range(0, 10).Select(_ => random.Next(100_000)).Distinct().Order().ToArray();
            return new WideRow { Features = new VBuffer<float>(100_000, slots.Length, Enumerable.Repeat(1f, slots.Length).ToArray(), slots), Label = slots[0] % 2 == 0 };
        }).ToArray();

        var model = ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { HiddenLayerSizes = [8], NumberOfEpochs = 1, TargetSparsity = 0.5f })
            .Fit(ml.Data.LoadFromEnumerable(rows));

        Assert.AreEqual(100_000, model.Model.InputCount);
        Assert.AreEqual(0.5, model.Model.Sparsity, 0.05, "trained to its target");
    }

    private sealed class WideRow
    {
        [VectorType(100_000)]
        public VBuffer<float> Features { get; set; }

        public bool Label { get; set; }
    }

    /// <summary>12 nonzero slots per row of 2,000; the label is a rule on slots 0-2 (each present in about half the rows).</summary>
    private static Row[] Rows(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var slots = Enumerable.Range(0, 3).Where(_ => random.NextDouble() < 0.5).ToList();
            while (slots.Count < 12)
            {
                int slot = 3 + random.Next(Slots - 3);
                if (!slots.Contains(slot))
                    slots.Add(slot);
            }

            var indices = slots.Order().ToArray();
            var values = indices.Select(_ => (float)(0.5 + random.NextDouble())).ToArray();
            bool label = (indices.Contains(0) ? 1 : 0) + (indices.Contains(1) ? 1 : 0) - (indices.Contains(2) ? 1 : 0) > 0;
            return new Row { Features = new VBuffer<float>(Slots, indices.Length, values, indices), Label = label };
        }).ToArray();
    }
}
