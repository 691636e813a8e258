// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Trainers;

/// <summary>
/// Fits that used to deliver what they should have refused (issue 26): a model too wide to load again, a loss over
/// weights that sum to zero, and a constant network reported as converged.
/// </summary>
[TestClass]
public class TrainingGuardTests
{
    private const int Width = 6;

    private sealed class Row
    {
        [VectorType(Width)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }

        public float Weight { get; set; }
    }

    private sealed class WideRow
    {
        public VBuffer<float> Features { get; set; }

        public bool Label { get; set; }
    }

    [TestMethod]
    public void MoreInputsThanAModelHolds_AreRefusedBeforeTraining()
    {
        // 2^26 + 1 slots: a model trained on them saved and then failed to load ("corrupt or not written by this library").
        const int slots = (1 << 26) + 1;
        var ml = new MLContext(seed: 1);
        var schema = SchemaDefinition.Create(typeof(WideRow));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, slots);
        var rows = Enumerable.Range(0, 20).Select(i => new WideRow { Features = new VBuffer<float>(slots, 1, [1f], [i * 1000]), Label = i % 2 == 0 }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { HiddenLayerSizes = [], NumberOfEpochs = 1 }).Fit(data));

        StringAssert.Contains(error.Message, $"'Features' has {slots} values");
        StringAssert.Contains(error.Message, "2^26");
        Assert.IsLessThan(10_000, clock.ElapsedMilliseconds, "refused before the rows are read");
    }

    [TestMethod]
    public void ANetworkLargerThanAModelFileHolds_IsRefusedNamingTheLayers()
    {
        var ml = new MLContext(seed: 1);

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Regression.Trainers.SparseMlp(
            new SparseMlpRegressionTrainer.Options { HiddenLayerSizes = [30_000, 30_000] }).Fit(ml.Data.LoadFromEnumerable(Rows(50, weight: 1f))));

        StringAssert.Contains(error.Message, "HiddenLayerSizes");
        StringAssert.Contains(error.Message, "2 GiB");
    }

    [TestMethod]
    public void ExampleWeightsThatSumToZero_AreRefusedNamingTheColumn()
    {
        var ml = new MLContext(seed: 1);

        var error = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Regression.Trainers.SparseMlp(
            new SparseMlpRegressionTrainer.Options { ExampleWeightColumnName = "Weight", NumberOfEpochs = 2 }).Fit(ml.Data.LoadFromEnumerable(Rows(50, weight: 0f))));

        StringAssert.Contains(error.Message, "Example weight column 'Weight' sums to 0");
    }

    [TestMethod]
    public void ATargetThatLeavesNoWeight_DeliversAConstantNetworkReportedAsNotConverged()
    {
        // 6·4 + 4·1 = 28 weights at 99 % is a target of 0 nonzeros: met exactly, and the network predicts a constant.
        var ml = new MLContext(seed: 1);

        var model = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { HiddenLayerSizes = [4], TargetSparsity = 0.99f, NumberOfEpochs = 5 })
            .Fit(ml.Data.LoadFromEnumerable(Rows(200, weight: 1f)));

        Assert.AreEqual(0, model.Model.NonZeroWeightCount, "the target's count is met");
        Assert.IsFalse(model.Model.SelectionReport!.Converged, model.Model.SelectionReport.ToString());
        StringAssert.Contains(model.Model.SelectionReport.ToString(), "NOT converged");
    }

    [TestMethod]
    [DataRow(1, 5)]
    [DataRow(1, 20)]
    [DataRow(2, 5)]
    public void InputSelection_ReportedConverged_OnlyWithTheInputsAsked(int keep, int epochs)
    {
        // Issue 26: InputsToKeep = 1 with 5 epochs delivered a constant network reported as converged.
        var ml = new MLContext(seed: 1);

        var model = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { InputsToKeep = keep, NumberOfEpochs = epochs })
            .Fit(ml.Data.LoadFromEnumerable(Rows(400, weight: 1f)));

        var report = model.Model.SelectionReport!;
        // InputsToKeep is an upper bound ("at most this many"); a converged selection uses at least one input.
        if (report.Converged)
            Assert.IsTrue(model.Model.UsedInputIndices.Count is >= 1 && model.Model.UsedInputIndices.Count <= keep, report.ToString());
        else
            StringAssert.Contains(report.ToString(), "NOT converged");
        if (model.Model.NonZeroWeightCount == 0)
            Assert.IsFalse(report.Converged, "a constant network is never reported converged");
    }

    private static Row[] Rows(int count, float weight)
    {
        var random = new Random(3);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var x = Enumerable.Range(0, Width).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            return new Row { Features = x, Label = x[0] - 2 * x[1] * x[2], Weight = weight };
        }).ToArray();
    }
}
