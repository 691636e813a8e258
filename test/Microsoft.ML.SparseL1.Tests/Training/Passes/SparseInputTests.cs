// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Passes;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Training.Passes;

/// <summary>
/// Training on sparse rows (<see cref="CsrFeatures"/>) against the same data dense: the first layer's products over
/// the nonzeros must give the dense path's loss, gradients and training, up to float summation order.
/// </summary>
[TestClass]
public class SparseInputTests
{
    private static readonly int[] s_sizes = [500, 40, 7, 3];

    [TestMethod]
    [DataRow(false, false)]
    [DataRow(false, true)]
    [DataRow(true, false)]
    public void FullGradient_SparseRows_MatchesTheDensePath(bool regression, bool weighted)
    {
        var loss = regression ? LossKind.SquaredError : LossKind.SoftmaxCrossEntropy;
        var (dense, sparse) = Both(rows: 97, density: 0.03, loss, seed: 1, weighted);
        int[] sizes = loss == LossKind.SoftmaxCrossEntropy ? s_sizes : [500, 40, 7, 1];
        var parameters = MlpParameters.Initialize(sizes, seed: 2);

        var (denseGradients, denseLoss) = FullGradient.Compute(parameters, dense, loss, batchSize: 32, threads: 1);
        var (sparseGradients, sparseLoss) = FullGradient.Compute(parameters, sparse, loss, batchSize: 32, threads: 1);
        var (twoThreads, _) = FullGradient.Compute(parameters, sparse, loss, batchSize: 32, threads: 2);

        TestData.AssertClose(denseLoss, sparseLoss, 1e-6, 1e-7, "loss");
        Assert.AreEqual(sparseLoss, FullGradient.Loss(parameters, sparse, loss, batchSize: 32, threads: 1), "the loss from forward passes alone");
        for (int j = 0; j < denseGradients.Length; j++)
        {
            CollectionAssert.AreEqual(sparseGradients[j], twoThreads[j], $"layer {j}: 1 vs 2 threads");
            for (int i = 0; i < denseGradients[j].Length; i++)
                TestData.AssertClose(denseGradients[j][i], sparseGradients[j][i], 1e-4, 1e-6, $"layer {j} gradient {i}");
        }
    }

    [TestMethod]
    public void FirstLayerGradient_SparseRows_MatchesCentralDifferences()
    {
        var (_, sparse) = Both(rows: 20, density: 0.05, LossKind.SoftmaxCrossEntropy, seed: 3, weighted: false);
        var parameters = MlpParameters.Initialize(s_sizes, seed: 4);
        var (gradients, _) = FullGradient.Compute(parameters, sparse, LossKind.SoftmaxCrossEntropy, batchSize: 20, threads: 1);
        var random = new Random(5);
        var touched = sparse.Sparse!.Columns.Take(sparse.Sparse.NonZeroCount).Distinct().ToArray();
        for (int probe = 0; probe < 12; probe++)
        {
            int o = random.Next(s_sizes[1]), c = probe % 2 == 0 ? touched[random.Next(touched.Length)] : random.Next(s_sizes[0]);
            int index = o * s_sizes[0] + c;
            float saved = parameters.Weights[0][index];
            const float H = 1e-3f;
            parameters.Weights[0][index] = saved + H;
            double plus = ReferenceLoss(parameters, sparse);
            parameters.Weights[0][index] = saved - H;
            double minus = ReferenceLoss(parameters, sparse);
            parameters.Weights[0][index] = saved;
            TestData.AssertClose((plus - minus) / (2 * H), gradients[0][index], 2e-3, 1e-5, $"dL/dW1[{o}, {c}]");
        }
    }

    [TestMethod]
    [DataRow(SparseMlpOptimizer.Sgd)]
    [DataRow(SparseMlpOptimizer.Adam)]
    public void Train_SparseRows_TracksTheDensePathAndDoesNotDependOnThreads(SparseMlpOptimizer optimizer)
    {
        var (dense, sparse) = Both(rows: 300, density: 0.04, LossKind.SoftmaxCrossEntropy, seed: 6, weighted: false);
        MlpParameters Run(TrainingData data, int threads)
        {
            var parameters = MlpParameters.Initialize(s_sizes, seed: 7);
            ProximalTrainingLoop.Train(data, parameters, new TrainingSettings
            {
                Loss = LossKind.SoftmaxCrossEntropy, Optimizer = optimizer, LearningRate = optimizer == SparseMlpOptimizer.Adam ? 1e-3f : 0.1f,
                BatchSize = 64, Epochs = 3, Seed = 2, Threads = threads, Lambdas = [1e-4f, 1e-4f, 1e-4f],
            });
            return parameters;
        }

        var fromDense = Run(dense, 1);
        var sparseOne = Run(sparse, 1);
        var sparseTwo = Run(sparse, 2);
        for (int j = 0; j < s_sizes.Length - 1; j++)
        {
            CollectionAssert.AreEqual(sparseOne.Weights[j], sparseTwo.Weights[j], $"layer {j}: 1 vs 2 threads");
            for (int i = 0; i < fromDense.Weights[j].Length; i++)
                TestData.AssertClose(fromDense.Weights[j][i], sparseOne.Weights[j][i], 1e-3, 1e-5, $"layer {j} weight {i}");
        }
    }

    /// <summary>
    /// A frozen first layer on sparse rows trains from its resident kept weights (no gather and scatter through the whole
    /// layer): the same weights, bit for bit, as the whole-layer path on the same sparse data, whether frozen from the
    /// start or mid-run (with centred columns, whose products go through the offsets) and frozen again later (the
    /// resident weights go back into the layer before the new pattern is read), on any thread count; and close to the
    /// same run on the data dense.
    /// </summary>
    [TestMethod]
    [DataRow(SparseMlpOptimizer.Adam, 0, 0)]
    [DataRow(SparseMlpOptimizer.Sgd, 0, 0)]
    [DataRow(SparseMlpOptimizer.Adam, 7, 15)]
    [DataRow(SparseMlpOptimizer.Sgd, 7, 15)]
    public void Train_FrozenFirstLayer_SparseRows_ResidentEqualsTheLayerPath(SparseMlpOptimizer optimizer, int freezeAtStep, int freezeAgainAtStep)
    {
        var (dense, sparse) = Both(rows: 300, density: 0.04, LossKind.SoftmaxCrossEntropy, seed: 12, weighted: false);
        if (freezeAtStep > 0)
        {
            // Column 0 in most rows: standardization centres it (an offset column).
            for (int r = 0; r < 250; r++)
                dense.Features[r * s_sizes[0]] = 1f + r % 5;
            var builder = new CsrFeaturesBuilder(s_sizes[0], dense.Rows);
            for (int r = 0; r < dense.Rows; r++)
                builder.Add(dense.Features.AsSpan(r * s_sizes[0], s_sizes[0]));
            sparse = new TrainingData(builder.Build(), (float[])dense.Labels.Clone());
            Standardization.Measure(sparse, standardizeLabel: false).Apply(sparse);
            Assert.IsNotNull(sparse.Sparse!.ColumnOffsets, "an offset column");
            dense = new TrainingData(sparse.Sparse.ToDense(), dense.Labels, dense.Rows, s_sizes[0]);
        }

        MlpParameters Run(TrainingData data, int threads, bool resident)
        {
            var parameters = MlpParameters.Initialize(s_sizes, seed: 13);
            var random = new Random(14);
            foreach (var w in parameters.Weights)
            {
                for (int i = 0; i < w.Length; i++)
                    w[i] = random.NextDouble() < 0.8 ? 0f : w[i];
            }

            ProximalTrainingLoop.Train(data, parameters, new TrainingSettings
            {
                Loss = LossKind.SoftmaxCrossEntropy, Optimizer = optimizer, LearningRate = optimizer == SparseMlpOptimizer.Adam ? 3e-3f : 0.1f,
                // Frozen from the start, no l1 on Adam's first layer (with v = 0 its threshold zeroes every weight the first
                // batch misses); frozen mid-run, that is what leaves the first layer sparse enough to keep resident.
                BatchSize = 32, Epochs = 3, Seed = 2, Threads = threads,
                Lambdas = [freezeAtStep > 0 ? 1e-5f : optimizer == SparseMlpOptimizer.Adam ? 0f : 1e-3f, 1e-3f, 1e-3f],
                FreezeZeroWeights = freezeAtStep == 0, ResidentFrozenFirstLayer = resident,
            }, control: step =>
            {
                if (step.Step == freezeAtStep)
                    return new StepControl { FreezeZeroPattern = true, Lambdas = new float[s_sizes.Length - 1] };
                return step.Step == freezeAgainAtStep ? new StepControl { FreezeZeroPattern = true } : StepControl.Unchanged;
            }, observe: (step, stepped) =>
            {
                // The optimizer after the step: a freeze at step 7 shows from step 8 on (the control runs after this).
                if (step.Step > freezeAtStep)
                    Assert.AreEqual(resident && data.Sparse is not null, stepped.ResidentFirstLayer is not null && stepped.FirstLayerTransposed, $"resident at step {step.Step}");
            });
            return parameters;
        }

        var layerPath = Run(sparse, 1, resident: false);
        var residentOne = Run(sparse, 1, resident: true);
        var residentTwo = Run(sparse, 2, resident: true);
        var fromDense = Run(dense, 1, resident: true);
        var start = MlpParameters.Initialize(s_sizes, seed: 13);
        int moved = 0;
        for (int j = 0; j < s_sizes.Length - 1; j++)
        {
            CollectionAssert.AreEqual(layerPath.Weights[j], residentOne.Weights[j], $"layer {j}: resident vs whole-layer steps");
            CollectionAssert.AreEqual(residentOne.Weights[j], residentTwo.Weights[j], $"layer {j}: 1 vs 2 threads");
            CollectionAssert.AreEqual(layerPath.Biases[j], residentOne.Biases[j], $"layer {j} biases: resident vs whole-layer steps");
            for (int i = 0; i < fromDense.Weights[j].Length; i++)
                TestData.AssertClose(fromDense.Weights[j][i], residentOne.Weights[j][i], 1e-3, 1e-5, $"layer {j} weight {i} vs dense rows");
        }

        for (int i = 0; i < start.Weights[0].Length; i++)
            moved += residentOne.Weights[0][i] != 0f && residentOne.Weights[0][i] != start.Weights[0][i] ? 1 : 0;
        Assert.IsTrue(moved > 100, $"only {moved} first-layer weights trained");
    }

    [TestMethod]
    public void Standardization_SparseRows_ScalesByLargestMagnitudeWithoutCentring()
    {
        var (dense, sparse) = Both(rows: 200, density: 0.05, LossKind.SquaredError, seed: 8, weighted: false);
        var measured = Standardization.Measure(sparse, standardizeLabel: false);
        float[] before = sparse.Sparse!.ToDense();

        measured.Apply(sparse);

        float[] after = sparse.Sparse.ToDense();
        for (int c = 0; c < dense.Columns; c++)
        {
            double largest = 0;
            for (int r = 0; r < dense.Rows; r++)
                largest = Math.Max(largest, Math.Abs(before[r * dense.Columns + c]));
            Assert.AreEqual(0.0, measured.Means[c], $"column {c} is not centred");
            Assert.AreEqual(largest > 0 ? largest : 1.0, measured.Scales[c], $"column {c} scale");
            for (int r = 0; r < dense.Rows; r++)
                TestData.AssertClose(before[r * dense.Columns + c] / measured.Scales[c], after[r * dense.Columns + c], 1e-6, 1e-7, $"row {r} column {c}");
        }
    }

    /// <summary>
    /// Numeric columns beside a one-hot block (nonzero in most rows) are centred and scaled as dense data is; the
    /// centring is an offset the products subtract, so gradients and training must equal those on the explicitly
    /// centred dense matrix.
    /// </summary>
    [TestMethod]
    public void Standardization_DenseColumnsInSparseStorage_AreCentredExactly()
    {
        var random = new Random(14);
        int rows = 300, columns = s_sizes[0];
        var builder = new CsrFeaturesBuilder(columns, rows);
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            // Column 0: a year, in every row; column 1: a count, in 80 % of rows; then 3 of the other 498 one-hot.
            var x = new float[columns];
            x[0] = 1990 + random.Next(31);
            x[1] = random.NextDouble() < 0.8 ? random.Next(1, 9) : 0;
            for (int k = 0; k < 3; k++)
                x[2 + random.Next(columns - 2)] = 1f;
            builder.Add(x);
            labels[r] = (x[0] - 2005) / 10 + x[2] > 0 ? 2 : x[1] > 4 ? 1 : 0;
        }

        var sparse = new TrainingData(builder.Build(), labels);
        var measured = Standardization.Measure(sparse, standardizeLabel: false);
        measured.Apply(sparse);

        Assert.AreNotEqual(0.0, measured.Means[0], "the year is centred");
        Assert.AreNotEqual(0.0, measured.Means[1], "the count (80 % present) is centred");
        Assert.AreEqual(0.0, measured.Means[2], "a one-hot column is not");
        Assert.IsNotNull(sparse.Sparse!.ColumnOffsets);
        var dense = new TrainingData(sparse.Sparse.ToDense(), labels, rows, columns);
        double yearMean = 0;
        for (int r = 0; r < rows; r++)
            yearMean += dense.Features[r * columns];
        Assert.AreEqual(0.0, yearMean / rows, 1e-4, "the explicitly centred year has mean 0");

        var parameters = MlpParameters.Initialize(s_sizes, seed: 15);
        var (denseGradients, denseLoss) = FullGradient.Compute(parameters, dense, LossKind.SoftmaxCrossEntropy, batchSize: 64, threads: 1);
        var (sparseGradients, sparseLoss) = FullGradient.Compute(parameters, sparse, LossKind.SoftmaxCrossEntropy, batchSize: 64, threads: 2);
        TestData.AssertClose(denseLoss, sparseLoss, 1e-6, 1e-7, "loss");
        for (int j = 0; j < denseGradients.Length; j++)
        {
            for (int i = 0; i < denseGradients[j].Length; i++)
                TestData.AssertClose(denseGradients[j][i], sparseGradients[j][i], 1e-4, 1e-6, $"layer {j} gradient {i}");
        }

        MlpParameters Run(TrainingData data)
        {
            var trained = MlpParameters.Initialize(s_sizes, seed: 16);
            ProximalTrainingLoop.Train(data, trained, new TrainingSettings
            {
                Loss = LossKind.SoftmaxCrossEntropy, Optimizer = SparseMlpOptimizer.Adam, LearningRate = 1e-3f,
                BatchSize = 32, Epochs = 2, Seed = 2, Threads = 2, Lambdas = [1e-4f, 1e-4f, 1e-4f],
            });
            return trained;
        }

        var fromDense = Run(dense);
        var fromSparse = Run(sparse);
        for (int j = 0; j < s_sizes.Length - 1; j++)
        {
            for (int i = 0; i < fromDense.Weights[j].Length; i++)
                TestData.AssertClose(fromDense.Weights[j][i], fromSparse.Weights[j][i], 1e-3, 1e-5, $"trained layer {j} weight {i}");
        }
    }

    [TestMethod]
    public void Select_SparseRows_KeepsTheSameRowsAsTheDenseSet()
    {
        var (dense, sparse) = Both(rows: 60, density: 0.05, LossKind.SquaredError, seed: 11, weighted: true);
        int[] rows = [41, 3, 17, 0, 59];

        var fromDense = dense.Select(rows);
        var fromSparse = sparse.Select(rows);

        Assert.IsNotNull(fromSparse.Sparse, "sparse rows stay sparse");
        CollectionAssert.AreEqual(fromDense.Features, fromSparse.Sparse.ToDense());
        CollectionAssert.AreEqual(fromDense.Labels, fromSparse.Labels);
        CollectionAssert.AreEqual(fromDense.ExampleWeights, fromSparse.ExampleWeights);
    }

    [TestMethod]
    public void PredictSparse_MatchesTheDenseRowPath()
    {
        var parameters = MlpParameters.Initialize([300, 50, 20, 4], seed: 9);
        var random = new Random(10);
        foreach (var w in parameters.Weights)
        {
            for (int i = 0; i < w.Length; i++)
                w[i] = random.NextDouble() < 0.2 ? w[i] : 0f;
        }

        var network = CompactMlp.FromParameters(parameters);
        var scratch = (new float[network.MaxWidth], new float[network.MaxWidth]);
        for (int row = 0; row < 50; row++)
        {
            var indices = Enumerable.Range(0, 300).Where(_ => random.NextDouble() < 0.05).ToArray();
            var values = indices.Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
            var dense = new float[300];
            for (int k = 0; k < indices.Length; k++)
                dense[indices[k]] = values[k];
            float[] expected = new float[4], actual = new float[4];
            network.Predict(dense, expected, scratch);
            network.PredictSparse(indices, values, actual, scratch);
            for (int o = 0; o < 4; o++)
                TestData.AssertClose(expected[o], actual[o], 1e-5, 1e-6, $"row {row} output {o}");
        }
    }

    /// <summary>The same random sparse data set twice: dense, and as compressed sparse rows.</summary>
    private static (TrainingData Dense, TrainingData Sparse) Both(int rows, double density, LossKind loss, int seed, bool weighted)
    {
        var random = new Random(seed);
        int columns = s_sizes[0];
        var x = new float[rows * columns];
        for (int i = 0; i < x.Length; i++)
            x[i] = random.NextDouble() < density ? (float)(random.NextDouble() * 4 - 2) : 0f;
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            double score = x[r * columns] + x[r * columns + 1] - x[r * columns + 2] + random.NextDouble() - 0.5;
            labels[r] = loss == LossKind.SoftmaxCrossEntropy ? (score > 0.3 ? 2 : score > -0.3 ? 1 : 0) : (float)score;
        }

        float[]? weights = weighted ? Enumerable.Range(0, rows).Select(_ => (float)(0.5 + random.NextDouble())).ToArray() : null;
        var builder = new CsrFeaturesBuilder(columns, rows);
        for (int r = 0; r < rows; r++)
            builder.Add(x.AsSpan(r * columns, columns));
        return (new TrainingData(x, labels, rows, columns, weights), new TrainingData(builder.Build(), (float[])labels.Clone(), weights));
    }

    private static double ReferenceLoss(MlpParameters parameters, TrainingData data) =>
        ReferenceNetwork.MeanLoss(parameters.LayerSizes, ReferenceNetwork.ToDouble(parameters.Weights), ReferenceNetwork.ToDouble(parameters.Biases),
            new TrainingData(data.Sparse!.ToDense(), data.Labels, data.Rows, data.Columns), LossKind.SoftmaxCrossEntropy);
}
