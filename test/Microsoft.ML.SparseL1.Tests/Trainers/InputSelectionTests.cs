// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Trainers;

/// <summary>InputsToKeep keeps the relevant inputs (by their effect on the loss up to 256 inputs, else by a group penalty), named by slot.</summary>
[TestClass]
public class InputSelectionTests
{
    private sealed class Row
    {
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    private sealed class Named
    {
        public float Age { get; set; }

        public float Noise1 { get; set; }

        public float Income { get; set; }

        public float Noise2 { get; set; }

        public bool Label { get; set; }
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void InputsToKeep_ThreeOfTwenty_KeepsExactlyTheRelevantInputs(int seed)
    {
        var ml = new MLContext(seed: seed);
        var random = new Random(seed);
        int[] relevant = Enumerable.Range(0, 20).OrderBy(_ => random.Next()).Take(3).Order().ToArray();
        var rows = Enumerable.Range(0, 1000).Select(_ =>
        {
            var x = Enumerable.Range(0, 20).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            return new Row { Features = x, Label = x[relevant[0]] * x[relevant[1]] + 0.5f * x[relevant[2]] > 0 };
        }).ToArray();
        var schema = SchemaDefinition.Create(typeof(Row));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 20);

        var model = ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { InputsToKeep = 3 })
            .Fit(ml.Data.LoadFromEnumerable(rows, schema));

        CollectionAssert.AreEqual(relevant, model.Model.UsedInputIndices.ToArray(), "exactly the inputs the label depends on");
        StringAssert.Contains(model.Model.SelectionReport!.Iterations[0].Note, "3 of 20 inputs used (asked 3)");
        Assert.AreEqual(0.9, model.Model.Sparsity, 0.01 * 0.9 + 1e-9, "the sparsity target still holds");
    }

    /// <summary>
    /// 10 of 200 inputs into 100 neurons hold at most 1,100 weights, fewer than the default 90 % target's 2,010: the
    /// target is then an upper bound, and the run still freezes and refits (it used to end unconverged).
    /// </summary>
    [TestMethod]
    public void InputsToKeep_BelowWhatTheTargetNeeds_TreatsTheTargetAsAnUpperBound()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(5);
        var rows = Enumerable.Range(0, 600).Select(_ =>
        {
            var x = Enumerable.Range(0, 200).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            return new Row { Features = x, Label = x[3] * x[50] + x.Take(10).Sum() * 0.3f > 0 };
        }).ToArray();
        var schema = SchemaDefinition.Create(typeof(Row));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 200);

        var model = ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { InputsToKeep = 10 })
            .Fit(ml.Data.LoadFromEnumerable(rows, schema));

        var report = model.Model.SelectionReport!;
        Assert.IsTrue(report.Converged, report.Iterations[0].Note);
        // Classification's run on the kept inputs keeps its l1 to the end, as a run on masked columns does (no freeze).
        StringAssert.Contains(report.Iterations[^1].Note, "l1 kept to the end");
        // Each kept input with the rise of the first network's loss on the fifth of the rows it did not train on.
        StringAssert.Contains(report.Iterations[^1].Note, "validation loss (on the 120 rows held out from it)");
        Assert.IsLessThanOrEqualTo(10, model.Model.UsedInputIndices.Count);
        Assert.IsLessThanOrEqualTo(2010L, model.Model.NonZeroWeightCount);

        // Regression's freezes the pattern once the counts settle below the target, and refits without l1.
        var regressionSchema = SchemaDefinition.Create(typeof(RegressionRow));
        regressionSchema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 200);
        var regression = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { InputsToKeep = 10, LearningRate = 1e-3f })
            .Fit(ml.Data.LoadFromEnumerable(rows.Select(r => new RegressionRow { Features = r.Features, Label = r.Features[3] * r.Features[50] + r.Features.Take(10).Sum() * 0.3f }), regressionSchema));
        var regressionReport = regression.Model.SelectionReport!;
        Assert.IsTrue(regressionReport.Converged, regressionReport.Iterations[^1].Note);
        StringAssert.Contains(regressionReport.Iterations[^1].Note, "pattern frozen");
    }

    private sealed class RegressionRow
    {
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    [TestMethod]
    public void GetUsedInputNames_NamesTheKeptInputsBySlot()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(3);
        var rows = Enumerable.Range(0, 800).Select(_ =>
        {
            float age = (float)random.NextDouble(), income = (float)random.NextDouble();
            return new Named { Age = age, Income = income, Noise1 = (float)random.NextDouble(), Noise2 = (float)random.NextDouble(), Label = age + income > 1 };
        }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Concatenate("Features", "Age", "Noise1", "Income", "Noise2")
            .Append(ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { InputsToKeep = 2, TargetSparsity = 0.5f }));

        var model = pipeline.Fit(data);

        var scored = model.Take(1).Single().Transform(data);
        CollectionAssert.AreEqual(new[] { "Age", "Income" }, model.LastTransformer.GetUsedInputNames(scored.Schema).ToArray());
        CollectionAssert.AreEqual(new[] { "0", "2" }, model.LastTransformer.GetUsedInputNames(WithoutSlotNames(ml, scored)).ToArray(), "indices without slot names");
    }

    [TestMethod]
    public void InputsToKeep_BadValues_NameTheOptionAndWhatWasExpected()
    {
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 50).Select(i => new Row { Features = [i, 1, 2], Label = i % 2 == 0 }).ToArray();
        var schema = SchemaDefinition.Create(typeof(Row));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3);
        var data = ml.Data.LoadFromEnumerable(rows, schema);

        var zero = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { InputsToKeep = 0 }));
        StringAssert.Contains(zero.Message, "InputsToKeep must be null or at least 1; got 0");
        var withLambda = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { InputsToKeep = 2, Lambda = 1e-3f }));
        StringAssert.Contains(withLambda.Message, "InputsToKeep needs a sparsity target with SelectionStrategy.SparsityTracking");
        var tooMany = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { InputsToKeep = 4 }).Fit(data));
        StringAssert.Contains(tooMany.Message, "InputsToKeep must be at most the 3 values of the feature column 'Features'; got 4");
    }

    private static DataViewSchema WithoutSlotNames(MLContext ml, IDataView data)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Features", data.Schema["Features"].Type);
        return builder.ToSchema();
    }
}
