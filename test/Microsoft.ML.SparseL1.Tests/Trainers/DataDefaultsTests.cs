// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.ML.SparseL1.Trainers;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Trainers;

/// <summary>
/// The network and budget the defaults resolve to (docs/algorithm.md §6): the base for binary, regression and inputs
/// beyond the growth limit; for a multiclass set with few inputs a width of 2 · √(rows · classes) between 100 and 400, a
/// second layer from 400 rows, and at least 50 epochs while they cost at most 7,500 steps.
/// </summary>
[TestClass]
public class DataDefaultsTests
{
    [TestMethod]
    public void HiddenLayers_GrowForMulticlassSetsWithFewInputsOnly()
    {
        var multiclass = new SparseMlpMulticlassTrainer.Options();
        CollectionAssert.AreEqual(new[] { 400, 400 }, DataDefaults.HiddenLayerSizes(multiclass, SparseMlpTask.MulticlassClassification, 16_000, 19, 8), "2·√(16,000·8) = 716, at most 400; two layers from 400 rows");
        CollectionAssert.AreEqual(new[] { 128, 128 }, DataDefaults.HiddenLayerSizes(multiclass, SparseMlpTask.MulticlassClassification, 457, 8, 9), "2·√(457·9) = 128.3");
        CollectionAssert.AreEqual(new[] { 100 }, DataDefaults.HiddenLayerSizes(multiclass, SparseMlpTask.MulticlassClassification, 187, 30, 7), "2·√(187·7) = 72, one layer below 400 rows");
        CollectionAssert.AreEqual(new[] { 235, 235 }, DataDefaults.HiddenLayerSizes(multiclass, SparseMlpTask.MulticlassClassification, 3_465, 26, 4), "2·√(3,465·4) = 235.4");
        CollectionAssert.AreEqual(new[] { 100 }, DataDefaults.HiddenLayerSizes(multiclass, SparseMlpTask.MulticlassClassification, 142, 13, 3), "2·√(142·3) = 41, at least 100");
        CollectionAssert.AreEqual(new[] { 100 }, DataDefaults.HiddenLayerSizes(multiclass, SparseMlpTask.MulticlassClassification, 60_000, 784, 10), "784 inputs: the base network");
        CollectionAssert.AreEqual(new[] { 100 }, DataDefaults.HiddenLayerSizes(new SparseMlpBinaryTrainer.Options(), SparseMlpTask.BinaryClassification, 16_000, 19, 1));
        CollectionAssert.AreEqual(new[] { 100 }, DataDefaults.HiddenLayerSizes(new SparseMlpRegressionTrainer.Options(), SparseMlpTask.Regression, 16_000, 19, 1));

        var layerTargets = new SparseMlpMulticlassTrainer.Options { LayerTargetSparsities = [0.9f, 0.5f] };
        CollectionAssert.AreEqual(new[] { 400 }, DataDefaults.HiddenLayerSizes(layerTargets, SparseMlpTask.MulticlassClassification, 16_000, 19, 8),
            "targets per layer were checked against one hidden layer: the width grows, the depth does not");
        var given = new SparseMlpMulticlassTrainer.Options { HiddenLayerSizes = [30] };
        CollectionAssert.AreEqual(new[] { 30 }, DataDefaults.HiddenLayerSizes(given, SparseMlpTask.MulticlassClassification, 16_000, 19, 8), "the option wins");
    }

    [TestMethod]
    public void Epochs_AtLeastFiftyForGrowingMulticlassSets_WhileUnder7500Steps()
    {
        var options = new SparseMlpMulticlassTrainer.Options();
        Assert.AreEqual(50, SparseMlpFit.EpochsFor(options, SparseMlpTask.MulticlassClassification, 26, 109), "hpc_data: 50 epochs of 109 steps");
        Assert.AreEqual(49, SparseMlpFit.EpochsFor(options, SparseMlpTask.MulticlassClassification, 19, 151), "7,500 / 151 steps = 49 epochs");
        Assert.AreEqual(20, SparseMlpFit.EpochsFor(options, SparseMlpTask.MulticlassClassification, 19, 469), "7,500 steps are 16 epochs of 469: the base 20");
        Assert.AreEqual(600, SparseMlpFit.EpochsFor(options, SparseMlpTask.MulticlassClassification, 13, 5), "3,000 steps of 5 a epoch: the base budget is longer");
        Assert.AreEqual(28, SparseMlpFit.EpochsFor(options, SparseMlpTask.MulticlassClassification, 784, 109), "784 inputs: the base budget, 3,000 steps");
        Assert.AreEqual(28, SparseMlpFit.EpochsFor(new SparseMlpBinaryTrainer.Options(), SparseMlpTask.BinaryClassification, 26, 109), "binary: the base 3,000 steps");
        Assert.AreEqual(7, SparseMlpFit.EpochsFor(new SparseMlpMulticlassTrainer.Options { NumberOfEpochs = 7 }, SparseMlpTask.MulticlassClassification, 26, 109), "the option wins");
    }
}
