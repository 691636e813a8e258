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
        Assert.AreEqual(50, SparseMlpFit.EpochsFor(options, SparseMlpTask.MulticlassClassification, 26, 109, choosesStep: false), "hpc_data: 50 epochs of 109 steps");
        Assert.AreEqual(49, SparseMlpFit.EpochsFor(options, SparseMlpTask.MulticlassClassification, 19, 151, choosesStep: false), "7,500 / 151 steps = 49 epochs");
        Assert.AreEqual(20, SparseMlpFit.EpochsFor(options, SparseMlpTask.MulticlassClassification, 19, 469, choosesStep: false), "7,500 steps are 16 epochs of 469: the base 20");
        Assert.AreEqual(600, SparseMlpFit.EpochsFor(options, SparseMlpTask.MulticlassClassification, 13, 5, choosesStep: false), "3,000 steps of 5 a epoch: the base budget is longer");
        Assert.AreEqual(28, SparseMlpFit.EpochsFor(options, SparseMlpTask.MulticlassClassification, 784, 109, choosesStep: false), "784 inputs: the base budget, 3,000 steps");
        Assert.AreEqual(28, SparseMlpFit.EpochsFor(new SparseMlpBinaryTrainer.Options(), SparseMlpTask.BinaryClassification, 26, 109, choosesStep: false), "binary: the base 3,000 steps");
        Assert.AreEqual(7, SparseMlpFit.EpochsFor(new SparseMlpMulticlassTrainer.Options { NumberOfEpochs = 7 }, SparseMlpTask.MulticlassClassification, 26, 109, choosesStep: false), "the option wins");
    }

    [TestMethod]
    public void Epochs_HalfTheStepsWhereTheStepIsChosen()
    {
        var options = new SparseMlpRegressionTrainer.Options();
        // meats: 172 training rows in batches of 128 are 2 steps an epoch, so the step is chosen and 1,500 steps are 750 epochs.
        Assert.IsTrue(SparseMlpFit.ChoosesStepSize(SparseMlpTask.Regression, options, 172, 100, 2));
        Assert.AreEqual(750, SparseMlpFit.EpochsFor(options, SparseMlpTask.Regression, 100, 2, choosesStep: true));
        Assert.AreEqual(1500, SparseMlpFit.EpochsFor(options, SparseMlpTask.Regression, 100, 2, choosesStep: false), "a step the user sets: the base 3,000 steps");
        var fixedStep = new SparseMlpRegressionTrainer.Options { LearningRate = 1e-3f };
        Assert.IsFalse(SparseMlpFit.ChoosesStepSize(SparseMlpTask.Regression, fixedStep, 172, 100, 2));
        Assert.IsFalse(SparseMlpFit.ChoosesStepSize(SparseMlpTask.Regression, options, 20_000, 26, 157), "20 epochs of 157 steps are over 3,000: no choice");
    }
}
