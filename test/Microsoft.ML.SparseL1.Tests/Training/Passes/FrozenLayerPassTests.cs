// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Optimizer;
using Microsoft.ML.SparseL1.Training.Passes;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Training.Passes;

/// <summary>
/// Frozen layers trained by their resident kept weights (<see cref="FrozenLayerPass"/>) against a naive double-precision
/// kernel, the dense products of the same network, and the dense path's training run.
/// </summary>
[TestClass]
public class FrozenLayerPassTests
{
    [TestMethod]
    public void KeptGradient_MatchesANaiveDoubleSum_AndGivesTheSameBitsInAnyOrderAndSplit() => KernelPaths.ForEach(path =>
    {
        var random = new Random(3);
        const int rows = 23, inputs = 41;
        foreach (int batch in new[] { 1, 7, 16, 33, 100, 128 })
        {
            var (starts, columns) = RandomPattern(rows, inputs, 0.2, random);
            float[] deltas = TestData.Uniform(random, rows * batch), x = TestData.Uniform(random, inputs * batch);
            float[] previous = TestData.Uniform(random, columns.Length);
            // The entries in row order, and the same entries shuffled.
            int[] entryRows = Enumerable.Range(0, rows).SelectMany(r => Enumerable.Repeat(r, starts[r + 1] - starts[r])).ToArray();
            int[] order = Enumerable.Range(0, columns.Length).ToArray();
            int[] shuffled = order.OrderBy(_ => random.Next()).ToArray();
            foreach (bool accumulate in new[] { false, true })
            {
                float[] byRows = (float[])previous.Clone();
                KeptGradientKernels.Gradient(entryRows, columns, order, deltas, x, batch, 0, order.Length, byRows, accumulate);
                // Shuffled, in two calls, as two threads would split a list.
                float[] byShuffled = (float[])previous.Clone();
                int[] shuffledRows = shuffled.Select(k => entryRows[k]).ToArray(), shuffledColumns = shuffled.Select(k => columns[k]).ToArray();
                int half = shuffled.Length / 2 + 1;
                KeptGradientKernels.Gradient(shuffledRows, shuffledColumns, shuffled, deltas, x, batch, half, shuffled.Length, byShuffled, accumulate);
                KeptGradientKernels.Gradient(shuffledRows, shuffledColumns, shuffled, deltas, x, batch, 0, half, byShuffled, accumulate);
                for (int k = 0; k < columns.Length; k++)
                {
                    int r = entryRows[k];
                    double expected = accumulate ? previous[k] : 0;
                    for (int b = 0; b < batch; b++)
                        expected += (double)deltas[r * batch + b] * x[columns[k] * batch + b];
                    TestData.AssertClose(expected, byRows[k], 1e-5, 1e-5, $"{path}: batch {batch}, row {r}, entry {k}, accumulate {accumulate}");
                    Assert.AreEqual(BitConverter.SingleToInt32Bits(byRows[k]), BitConverter.SingleToInt32Bits(byShuffled[k]),
                        $"{path}: batch {batch}, entry {k}: the same bits in any order and split");
                }
            }
        }
    });

    [TestMethod]
    public void KeptGradient_ByOutputGroups_GivesTheBitsOfTheRowByRowKernelItReplaced() => KernelPaths.ForEach(path =>
    {
        // The kernel before the lists (to commit 66a8ddc): a row's nonzeros eight at a time sharing the delta loads, then
        // one at a time; every nonzero's sum the same sequence. The trained models' bits rest on the two agreeing.
        var random = new Random(5);
        const int rows = 70, inputs = 90;
        foreach (int batch in new[] { 5, 64, 100, 128 })
        {
            float[] weights = TestData.Uniform(random, rows * inputs);
            TestData.KeepFraction(weights, 0.15, random);
            var kept = new KeptWeights(weights, null, null);
            kept.MakeResident(rows, inputs);
            float[] deltas = TestData.Uniform(random, rows * batch), x = TestData.Uniform(random, inputs * batch);
            var (_, outputRows, inputColumns, entries) = kept.ByOutputGroups(32);
            var lists = new float[kept.Count];
            KeptGradientKernels.Gradient(outputRows, inputColumns, entries, deltas, x, batch, 0, kept.Count, lists, accumulate: false);
            var byRows = new float[kept.Count];
            RowByRowReference.Gradient(path, kept.RowStarts, kept.Columns, deltas, x, batch, byRows);
            for (int k = 0; k < kept.Count; k++)
                Assert.AreEqual(BitConverter.SingleToInt32Bits(byRows[k]), BitConverter.SingleToInt32Bits(lists[k]), $"{path}: batch {batch}, kept weight {k}");
        }
    });

    [TestMethod]
    public void Backward_KeptWeightsOfAnotherShape_AreRefused()
    {
        // The gradient kernel reads rows unchecked, so the pass checks that the kept weights are its layer's.
        var random = new Random(6);
        float[] weights = TestData.Uniform(random, 10 * 20);
        var kept = new KeptWeights(weights, null, null);
        kept.MakeResident(10, 20);
        var pass = new FrozenLayerPass(21, 10, 4);
        pass.Forward(kept, MatrixOperand.RowMajor(new float[4 * 21], 4, 21), 4, new float[4 * 10], 1);
        var error = Assert.ThrowsExactly<ArgumentException>(() => pass.Backward(kept, new float[4 * 10], 4, new float[kept.Count], false, default, 1));
        StringAssert.Contains(error.Message, "10 x 20");
        Assert.ThrowsExactly<ArgumentException>(() => new FrozenLayerPass(20, 10, 4).Backward(kept, new float[4 * 10], 4, new float[kept.Count - 1], false, default, 1));
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(7)]
    [DataRow(128)]
    public void ResidentLayers_MatchTheDenseProductsOfTheSameNetwork(int rows)
    {
        // Layers 0 and 1 resident (5 % and 20 % kept), layer 2 dense: outputs, every bias gradient (the deltas carried back
        // through the resident layers' input gradient) and every weight gradient at the kept positions.
        int[] sizes = [301, 157, 33, 5];
        var parameters = MlpParameters.Initialize(sizes, seed: 4);
        var random = new Random(rows);
        TestData.KeepFraction(parameters.Weights[0], 0.05, random);
        TestData.KeepFraction(parameters.Weights[1], 0.20, random);
        float[] input = TestData.Uniform(random, rows * sizes[0]);
        int[] labels = Enumerable.Range(0, rows).Select(r => r % sizes[^1]).ToArray();

        var dense = new ForwardBackward(sizes, 128, threads: 2);
        RunBatch(dense);
        var resident = new KeptWeights?[3];
        for (int j = 0; j < 2; j++)
        {
            resident[j] = new KeptWeights(parameters.Weights[j], null, null);
            resident[j]!.MakeResident(sizes[j + 1], sizes[j]);
        }

        var sparse = new ForwardBackward(sizes, 128, threads: 2) { ResidentLayers = resident };
        RunBatch(sparse);

        Assert.AreEqual(2L, sparse.FrozenLayerProducts, "layers 0 and 1 ran on their kept weights");
        float[] denseOut = dense.Outputs(rows).ToArray(), sparseOut = sparse.Outputs(rows).ToArray();
        for (int i = 0; i < denseOut.Length; i++)
            TestData.AssertClose(denseOut[i], sparseOut[i], 1e-5, 1e-5, $"output {i}");
        for (int j = 0; j < 3; j++)
        {
            for (int o = 0; o < sizes[j + 1]; o++)
                TestData.AssertClose(dense.BiasGradients[j][o], sparse.BiasGradients[j][o], 1e-4, 1e-6, $"layer {j} bias gradient {o}");
            int[] positions = resident[j]?.Positions.ToArray() ?? Enumerable.Range(0, dense.WeightGradients[j].Length).ToArray();
            float[] gradient = resident[j]?.Gradient ?? sparse.WeightGradients[j];
            for (int k = 0; k < positions.Length; k++)
                TestData.AssertClose(dense.WeightGradients[j][positions[k]], gradient[k], 1e-4, 1e-6, $"layer {j} weight gradient at {positions[k]}");
        }

        void RunBatch(ForwardBackward network)
        {
            network.Forward(parameters, input, 0, rows);
            var output = network.Outputs(rows);
            var outputGradient = network.OutputGradient(rows);
            for (int r = 0; r < rows; r++)
            {
                // Squared error against a one-hot label: a gradient every output row shares in.
                for (int o = 0; o < sizes[^1]; o++)
                    outputGradient[r * sizes[^1] + o] = output[r * sizes[^1] + o] - (labels[r] == o ? 1f : 0f);
            }

            network.Backward(parameters, rows, accumulate: false);
        }
    }

    [TestMethod]
    [DataRow(SparseMlpOptimizer.Sgd)]
    [DataRow(SparseMlpOptimizer.Adam)]
    public void Train_FrozenLayers_TrackTheDensePathAndDoNotDependOnThreads(SparseMlpOptimizer optimizer)
    {
        // Layers 0 and 1 frozen at 8 % and 20 % kept train by their kept weights on every step; layer 2 stays on the dense path.
        int[] sizes = [200, 120, 40, 4];
        var data = SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 650, 200, 4, seed: 21);
        var start = MlpParameters.Initialize(sizes, seed: 5);
        TestData.KeepFraction(start.Weights[0], 0.08, new Random(6));
        TestData.KeepFraction(start.Weights[1], 0.20, new Random(7));
        MlpParameters Run(bool sparseFrozen, int threads)
        {
            var parameters = MlpParameters.Initialize(sizes, seed: 5);
            for (int j = 0; j < 2; j++)
                Array.Copy(start.Weights[j], parameters.Weights[j], start.Weights[j].Length);
            var settings = new TrainingSettings
            {
                Loss = LossKind.SoftmaxCrossEntropy, Optimizer = optimizer, LearningRate = optimizer == SparseMlpOptimizer.Adam ? 1e-3f : 0.1f,
                BatchSize = 128, Epochs = 3, Seed = 2, Threads = threads, Lambdas = [0f, 0f, 0f], FreezeZeroWeights = true, SparseFrozenLayers = sparseFrozen,
            };
            var outcome = ProximalTrainingLoop.Train(data, parameters, settings);
            Assert.AreEqual(sparseFrozen ? 2 * 3 * 6L : 0L, outcome.FrozenLayerProducts, "layers 0 and 1 of every step (6 batches, 3 epochs)");
            return parameters;
        }

        var dense = Run(sparseFrozen: false, threads: 1);
        var frozenOne = Run(sparseFrozen: true, threads: 1);
        var frozenTwo = Run(sparseFrozen: true, threads: 2);
        for (int j = 0; j < sizes.Length - 1; j++)
        {
            CollectionAssert.AreEqual(frozenOne.Weights[j], frozenTwo.Weights[j], $"layer {j}: 1 vs 2 threads");
            CollectionAssert.AreEqual(frozenOne.Biases[j], frozenTwo.Biases[j], $"layer {j} biases: 1 vs 2 threads");
            for (int i = 0; i < dense.Weights[j].Length; i++)
            {
                Assert.AreEqual(dense.Weights[j][i] == 0f, frozenOne.Weights[j][i] == 0f, $"layer {j} weight {i}: the same zero pattern");
                TestData.AssertClose(dense.Weights[j][i], frozenOne.Weights[j][i], 1e-3, 1e-5, $"layer {j} weight {i}");
            }
        }
    }

    [TestMethod]
    public void SplitBatch_OfAFrozenNetwork_GivesTheWholeBatchGradient()
    {
        // Layer 0 resident (10 % kept) holds most weights, so a 100-row batch is split in two halves of 50. 400 inputs: a
        // whole batch is enough floats (40,000) for its rows to be gathered on two threads.
        int[] sizes = [400, 60, 3];
        var data = SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 100, 400, 3, seed: 8);
        var parameters = MlpParameters.Initialize(sizes, seed: 9);
        TestData.KeepFraction(parameters.Weights[0], 0.10, new Random(10));
        var kept = new KeptWeights(parameters.Weights[0], null, null);
        kept.MakeResident(sizes[1], sizes[0]);
        int[] order = Enumerable.Range(0, 100).Reverse().ToArray();
        (double Loss, float[] Kept, float[][] Biases) Run(bool split, int threads)
        {
            var gradient = new BatchGradient(data, LossKind.SoftmaxCrossEntropy, sizes, 100, threads, split);
            Assert.AreEqual(split ? 2 : 1, gradient.Parts.Length);
            foreach (var part in gradient.Parts)
                part.ResidentLayers = [kept, null];
            double loss = gradient.Compute(parameters, order, 0, 100, scale: null, accumulate: false).Loss;
            return (loss, (float[])kept.Gradient.Clone(), gradient.Network.BiasGradients.Select(b => (float[])b.Clone()).ToArray());
        }

        var whole = Run(split: false, threads: 1);
        var wholeTwo = Run(split: false, threads: 2);
        var halvesOne = Run(split: true, threads: 1);
        var halvesTwo = Run(split: true, threads: 2);
        Assert.AreEqual(whole.Loss, wholeTwo.Loss, "whole batch: rows gathered on one thread or two");
        CollectionAssert.AreEqual(whole.Kept, wholeTwo.Kept, "whole batch: rows gathered on one thread or two");
        TestData.AssertClose(whole.Loss, halvesOne.Loss, 1e-9, 1e-9, "loss");
        CollectionAssert.AreEqual(halvesOne.Kept, halvesTwo.Kept, "halves side by side or one after the other");
        for (int k = 0; k < whole.Kept.Length; k++)
            TestData.AssertClose(whole.Kept[k], halvesOne.Kept[k], 1e-4, 1e-6, $"kept gradient {k}");
        for (int j = 0; j < 2; j++)
        {
            for (int o = 0; o < sizes[j + 1]; o++)
                TestData.AssertClose(whole.Biases[j][o], halvesOne.Biases[j][o], 1e-4, 1e-6, $"layer {j} bias gradient {o}");
        }
    }

    [TestMethod]
    public void SplitBatches_ABatchRunWhole_TakesEveryThread_ASplitOneHalvesThem()
    {
        // A workspace that may split its batches runs a dense network's batch whole: on every thread, not on a half's share
        // (the products of dense epochs ran on one of two threads that way).
        int[] sizes = [150, 60, 3];
        var data = SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 100, 150, 3, seed: 8);
        var parameters = MlpParameters.Initialize(sizes, seed: 9);
        var gradient = new BatchGradient(data, LossKind.SoftmaxCrossEntropy, sizes, 100, threads: 4, splitBatches: true);
        gradient.Compute(parameters, null, 0, 100, scale: null, accumulate: false);
        Assert.AreEqual(4, gradient.Network.Threads, "dense: the batch runs whole");

        TestData.KeepFraction(parameters.Weights[0], 0.10, new Random(10));
        var kept = new KeptWeights(parameters.Weights[0], null, null);
        kept.MakeResident(sizes[1], sizes[0]);
        gradient.UseResidentLayers([kept, null]);
        gradient.Compute(parameters, null, 0, 100, scale: null, accumulate: false);
        Assert.AreEqual(2, gradient.Network.Threads, "mostly resident: split, each half on two of the four");
        Assert.AreEqual(2, gradient.Parts[1].Threads);
        gradient.Compute(parameters, null, 0, 40, scale: null, accumulate: false);
        Assert.AreEqual(4, gradient.Network.Threads, "a batch too small to split runs whole again");
    }

    [TestMethod]
    public void Holds_LayersBelowTheBreakEven_OfNetworksAboveTheSmallestHeld()
    {
        var small = new MlpParameters([100, 300, 10]);
        var large = new MlpParameters([400, 330, 10]);
        Assert.IsLessThan(ProximalOptimizer.HoldMinimumWeights, 100 * 300 + 300 * 10);
        Assert.IsFalse(ProximalOptimizer.Holds(small, 0, 300), "a small network is never held, however sparse");
        Assert.IsTrue(ProximalOptimizer.Holds(large, 0, (int)(0.24 * 400 * 330)), "a large network's layer below a quarter nonzero");
        Assert.IsTrue(ProximalOptimizer.Holds(large, 1, 10), "its small layer too");
        Assert.IsFalse(ProximalOptimizer.Holds(large, 0, 400 * 330 / 4), "not at a quarter nonzero");
    }

    [TestMethod]
    public void HeldPattern_StepsNonzeroWeightsOnlyBetweenWholeGradientSteps_WithExactCounts()
    {
        // l1 on every layer from a sparse start: layers 0 and 1 (10 % and 20 % nonzero; the network above the smallest one
        // held) are held on 3 of every 4 steps.
        int[] sizes = [400, 330, 40, 4];
        Assert.IsGreaterThanOrEqualTo(ProximalOptimizer.HoldMinimumWeights, sizes[0] * sizes[1] + sizes[1] * sizes[2] + sizes[2] * sizes[3]);
        var data = SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 650, 400, 4, seed: 21);
        MlpParameters Run(int threads, int every, System.Collections.Generic.List<string> violations)
        {
            var parameters = MlpParameters.Initialize(sizes, seed: 5);
            TestData.KeepFraction(parameters.Weights[0], 0.10, new Random(6));
            TestData.KeepFraction(parameters.Weights[1], 0.20, new Random(7));
            var settings = new TrainingSettings
            {
                Loss = LossKind.SoftmaxCrossEntropy, Optimizer = SparseMlpOptimizer.Adam, LearningRate = 3e-3f, BatchSize = 128, Epochs = 3, Seed = 2,
                Threads = threads, Lambdas = [3e-4f, 3e-4f, 0f], DenseGradientEvery = every,
            };
            bool[]? zeroBefore = null;
            long lastStep = 0, heldSteps = 0;
            ProximalTrainingLoop.Train(data, parameters, settings, observe: (step, optimizer) =>
            {
                if (optimizer.Held)
                {
                    heldSteps++;
                    // Held steps: the counts are the held weights' own, and a weight zero before the hold stays zero.
                    var resident = optimizer.ResidentLayers![0]!;
                    int nonZero = resident.Values.Take(resident.Count).Count(v => v != 0f);
                    if (nonZero != step.LayerNonZeroCounts[0])
                        violations.Add($"step {step.Step}: count {step.LayerNonZeroCounts[0]}, held weights {nonZero}");
                    var held = new bool[parameters.Weights[0].Length];
                    foreach (int position in resident.Positions)
                        held[position] = true;
                    if (zeroBefore is not null && held.Where((h, i) => h && zeroBefore[i]).Any())
                        violations.Add($"step {step.Step}: a weight zero at the last whole step is held");
                }
                else
                {
                    zeroBefore = parameters.Weights[0].Select(w => w == 0f).ToArray();
                    int nonZero = parameters.Weights[0].Count(w => w != 0f);
                    if (nonZero != step.LayerNonZeroCounts[0])
                        violations.Add($"step {step.Step}: count {step.LayerNonZeroCounts[0]}, layer {nonZero}");
                }

                lastStep = step.Step;
            });
            Assert.AreEqual(18L, lastStep);
            Assert.AreEqual(every == 1 ? 0L : 13L, heldSteps, "steps 1, 5, 9, 13, 17 take the whole gradient");
            return parameters;
        }

        var violations = new System.Collections.Generic.List<string>();
        var one = Run(1, every: 4, violations);
        var two = Run(2, every: 4, violations);
        var whole = Run(1, every: 1, violations);
        Assert.AreEqual(0, violations.Count, string.Join("; ", violations.Take(5)));
        for (int j = 0; j < sizes.Length - 1; j++)
            CollectionAssert.AreEqual(one.Weights[j], two.Weights[j], $"layer {j}: 1 vs 2 threads");
        Assert.IsFalse(one.Weights[0].SequenceEqual(whole.Weights[0]), "holding the pattern changes the run (zero weights revive on whole steps only)");
    }

    private static (int[] Starts, int[] Columns) RandomPattern(int rows, int columns, double density, Random random)
    {
        var starts = new int[rows + 1];
        var kept = new System.Collections.Generic.List<int>();
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                if (random.NextDouble() < density)
                    kept.Add(c);
            }

            starts[r + 1] = kept.Count;
        }

        return (starts, kept.ToArray());
    }
}
