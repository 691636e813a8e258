// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Data;

/// <summary>Issue 11: features around 1e20 gave "Lower LearningRate (now 1E-30)"; the cause is the input, named where it is read.</summary>
[TestClass]
public class InputRangeTests
{
    private sealed class Row
    {
        [VectorType(4)]
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    private static IDataView Data(MLContext ml, float featureScale, float labelScale)
    {
        var random = new Random(1);
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, 200).Select(_ =>
        {
            var x = Enumerable.Range(0, 4).Select(_ => (float)random.NextDouble()).ToArray();
            float label = (x[0] - x[1]) * labelScale;
            x[2] *= featureScale;
            return new Row { Features = x, Label = label };
        }).ToArray());
    }

    [TestMethod]
    public void HugeFeature_WithoutStandardization_IsNamedByRowAndSlot()
    {
        var ml = new MLContext(seed: 1);
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Regression.Trainers.SparseMlp(
            new SparseMlpRegressionTrainer.Options { Standardize = false, Lambda = 0f, NumberOfEpochs = 2 }).Fit(Data(ml, 1e20f, 1f)));
        StringAssert.Contains(error.Message, "Feature column 'Features'");
        StringAssert.Contains(error.Message, "at row 0, slot 2");
        StringAssert.Contains(error.Message, "Standardize");
    }

    [TestMethod]
    public void HugeLabel_WithoutStandardization_IsNamed()
    {
        var ml = new MLContext(seed: 1);
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Regression.Trainers.SparseMlp(
            new SparseMlpRegressionTrainer.Options { Standardize = false, Lambda = 0f, NumberOfEpochs = 2 }).Fit(Data(ml, 1f, 1e20f)));
        StringAssert.Contains(error.Message, "Label column 'Label'");
    }

    [TestMethod]
    public void HugeFeaturesAndLabel_WithStandardization_TrainAndPredictOnTheRawScale()
    {
        var ml = new MLContext(seed: 1);
        var data = Data(ml, 1e20f, 1e6f);
        var model = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { TargetSparsity = 0.5f }).Fit(data);
        var metrics = ml.Regression.Evaluate(model.Transform(data));
        Assert.IsGreaterThan(0.9, metrics.RSquared, $"R² {metrics.RSquared}: the label is a linear function of two unscaled inputs");
    }
}
