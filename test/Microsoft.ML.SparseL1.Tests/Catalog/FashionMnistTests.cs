// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using SparseL1.Examples.Shared;

namespace Microsoft.ML.SparseL1.Tests.Catalog;

/// <summary>Real data: seeded subsets of Fashion-MNIST (Debian's dataset-fashion-mnist, installed by .ci/run).</summary>
[TestClass]
public class FashionMnistTests
{
    private sealed class Image
    {
        [VectorType(784)]
        public float[] Pixels { get; set; } = [];

        public string Label { get; set; } = string.Empty;

        public bool IsSneaker { get; set; }
    }

    [TestMethod]
    public void Binary_SandalVersusSneaker_ReachesTargetAndSeparatesTheClasses()
    {
        var ml = new MLContext(seed: 1);
        var (train, test) = Load(ml, keep: label => label is 5 or 7, trainRows: 1500);
        var model = ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options
        {
            LabelColumnName = nameof(Image.IsSneaker), FeatureColumnName = nameof(Image.Pixels), HiddenLayerSizes = [32],
            TargetSparsity = 0.95f, SparsityTolerance = 0.02f, NumberOfEpochs = 10, BatchSize = 64,
        }).Fit(train);
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(test), labelColumnName: nameof(Image.IsSneaker));
        Assert.IsTrue(model.Model.SelectionReport!.Converged, model.Model.SelectionReport.ToString());
        Assert.AreEqual(0.95, model.Model.Sparsity, 0.05 * 0.02 + 1e-9);
        Assert.IsGreaterThan(0.9, metrics.AreaUnderRocCurve, $"AUC {metrics.AreaUnderRocCurve}");
    }

    [TestMethod]
    public void Multiclass_TenClasses_ReachesTargetAndLearns()
    {
        var ml = new MLContext(seed: 1);
        var (train, test) = Load(ml, keep: _ => true, trainRows: 3000);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options
            {
                FeatureColumnName = nameof(Image.Pixels), HiddenLayerSizes = [64], TargetSparsity = 0.9f, SparsityTolerance = 0.02f,
                Optimizer = SparseMlpOptimizer.Adam, LearningRate = 1e-3f, NumberOfEpochs = 20, RefitEpochs = 5,
            }));
        var model = pipeline.Fit(train);
        var network = model.LastTransformer.Model;
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        Assert.IsTrue(network.SelectionReport!.Converged, network.SelectionReport.ToString());
        Assert.AreEqual(0.9, network.Sparsity, 0.1 * 0.02 + 1e-9);
        Assert.IsGreaterThan(0.7, metrics.MicroAccuracy, $"accuracy {metrics.MicroAccuracy}");
        CollectionAssert.AreEquivalent(FashionMnist.ClassNames, network.ClassNames.ToArray());

        // In the units it was trained in, the network relies on the garments' centre more than on the near-empty border
        // (in raw units the border's rarely lit pixels carry the largest weights).
        double[] importance = network.GetInputImportance(train, nameof(Image.Pixels));
        bool Border(int pixel) => pixel / 28 < 3 || pixel / 28 >= 25 || pixel % 28 < 3 || pixel % 28 >= 25;
        bool Centre(int pixel) => pixel / 28 is >= 7 and < 21 && pixel % 28 is >= 7 and < 21;
        double centre = Enumerable.Range(0, 784).Where(Centre).Average(p => importance[p]);
        double border = Enumerable.Range(0, 784).Where(Border).Average(p => importance[p]);
        Assert.IsGreaterThan(border, centre, $"mean importance of the centre {centre} against the border {border}");
    }

    private static (IDataView Train, IDataView Test) Load(MLContext ml, Func<byte, bool> keep, int trainRows)
    {
        IDataView View(bool train, int rows)
        {
            var (pixels, labels, count) = FashionMnist.Load(train);
            var images = Enumerable.Range(0, count).Where(i => keep(labels[i])).Take(rows).Select(i => new Image
            {
                Pixels = pixels.AsSpan(i * 784, 784).ToArray(),
                Label = FashionMnist.ClassNames[labels[i]],
                IsSneaker = labels[i] == 7,
            }).ToArray();
            return ml.Data.LoadFromEnumerable(images);
        }

        return (View(train: true, trainRows), View(train: false, 1000));
    }
}
