// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Model;

/// <summary>
/// Single-row products by input (<see cref="LayerByInputs"/>): bit for bit the naive fused sum in
/// ascending input order over the nonzero inputs (on every kernel path, so each CI leg checks its own) and close to the
/// dense product; each row takes the cheaper product or declines; non-finite rows are scored row-wise; the model file
/// records whether a model scores by inputs, so it scores the same after a save and load and models of older files keep
/// the row-wise products.
/// </summary>
[TestClass]
public class LayerByInputsTests
{
    /// <summary>
    /// Output counts that cover the dense-column kernel's passes. With 512 bits: one pass of 1 (5 outputs), 3 (37), 12
    /// (190), 13 (200), 14 (220) and 16 (250) vectors, and two of 10 and 9 (300). With 256 bits: one of 2 and of 6, two of
    /// 12 and 12, three of 9, 9 and 8, of 10, 9 and 9, and of 11, 11 and 10, and four of 10, 10, 9 and 9.
    /// </summary>
    [TestMethod]
    [DataRow(37)]
    [DataRow(190)]
    [DataRow(200)]
    [DataRow(220)]
    [DataRow(250)]
    [DataRow(300)]
    [DataRow(5)]
    public void Multiply_IsTheNaiveFusedSumInInputOrder_BitForBit(int outputs)
    {
        const int Inputs = 50;
        var random = new Random(outputs);
        float[] weights = TestData.Uniform(random, outputs * Inputs);
        TestData.KeepFraction(weights, 0.4, random);
        // Inputs 3 and 40 are unused: no weight of theirs survives.
        for (int o = 0; o < outputs; o++)
            weights[o * Inputs + 3] = weights[o * Inputs + 40] = 0f;
        weights[0] = 0.5f;
        var layer = CompactLayer.FromDense(weights, TestData.Uniform(random, outputs), outputs, Inputs);
        var byInputs = LayerByInputs.For(layer);
        Assert.IsNotNull(byInputs, "a layer 40 % dense is scored by inputs");

        for (int row = 0; row < 20; row++)
        {
            float[] x = TestData.Uniform(random, Inputs, 3f);
            TestData.KeepFraction(x, 0.6, random);
            x[3] = 7f;
            {
                var actual = new float[outputs];
                Assert.IsTrue(byInputs.Multiply(x, actual, always: true));
                for (int o = 0; o < outputs; o++)
                {
                    float expected = layer.Bias[o];
                    double dense = layer.Bias[o];
                    for (int c = 0; c < Inputs; c++)
                    {
                        if (x[c] != 0f && c != 3 && c != 40)
                            expected = MathF.FusedMultiplyAdd(x[c], weights[o * Inputs + c], expected);
                        dense += (double)x[c] * weights[o * Inputs + c];
                    }

                    Assert.AreEqual(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual[o]),
                        $"row {row} output {o}: {expected} against {actual[o]}");
                    TestData.AssertClose(dense, actual[o], 1e-5, 1e-5, $"row {row} output {o} against the dense product");
                }
            }
        }
    }

    /// <summary>
    /// A row is scored by input only where that streams fewer floats than the row-wise product: its nonzero used inputs
    /// times the padded outputs against the outputs times the inputs; a CSR layer of 1 % is always row-wise.
    /// </summary>
    [TestMethod]
    public void TryMultiply_TakesTheCheaperProductForEachRow()
    {
        const int Inputs = 100, Outputs = 100;
        var random = new Random(3);
        float[] weights = TestData.Uniform(random, Outputs * Inputs);
        TestData.KeepFraction(weights, 0.3, random);
        for (int c = 0; c < Inputs; c++)
            weights[c] = 1f;
        var dense = LayerByInputs.For(CompactLayer.FromDense(weights, new float[Outputs], Outputs, Inputs))!;
        var y = new float[Outputs];
        float[] full = TestData.Uniform(random, Inputs).Select(v => v == 0f ? 1f : v).ToArray();
        Assert.IsFalse(dense.TryMultiply(full, y), "100 nonzero inputs x 112 padded outputs stream more than the 100 x 100 layer");
        float[] half = full.Select((v, c) => c % 2 == 0 ? v : 0f).ToArray();
        Assert.IsTrue(dense.TryMultiply(half, y), "50 x 112 stream fewer");

        var sparseWeights = new float[Outputs * Inputs];
        for (int c = 0; c < Inputs; c++)
            sparseWeights[(c * 7 % Outputs) * Inputs + c] = 1f + c;
        Assert.IsNull(LayerByInputs.For(CompactLayer.FromDense(sparseWeights, new float[Outputs], Outputs, Inputs)),
            "1 % dense: its dense columns would hold 56 times the CSR layer's floats");
    }

    [TestMethod]
    public void Predict_ANonFiniteInputTakesTheRowWiseProduct_AsInModelsWrittenBefore()
    {
        var (parameters, byInputs, rowWise) = Networks(seed: 4);
        Assert.IsTrue(byInputs.ScoresByInputs);
        var scratch = (new float[byInputs.MaxWidth], new float[byInputs.MaxWidth]);
        var random = new Random(8);
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            float[] x = TestData.Uniform(random, parameters.InputSize);
            TestData.KeepFraction(x, 0.3, random);
            x[5] = bad;
            float[] expected = new float[byInputs.OutputCount], actual = new float[byInputs.OutputCount];
            rowWise.Predict(x, expected, scratch);
            byInputs.Predict(x, actual, scratch);
            CollectionAssert.AreEqual(expected, actual, $"input {bad}");
            Assert.IsFalse(LayerByInputs.For(byInputs.Layers[0])!.TryMultiply(x, new float[byInputs.Layers[0].Outputs]));
        }
    }

    /// <summary>
    /// Rows with many zero inputs (and the hidden layers' ReLU zeros) are scored by input, the others row-wise: either
    /// way within float rounding of the row-wise model, and a row that declines everywhere exactly as it.
    /// </summary>
    [TestMethod]
    public void Predict_MatchesTheRowWiseModel_AndADecliningRowBitForBit()
    {
        var (parameters, byInputs, rowWise) = Networks(seed: 9);
        var scratch = (new float[byInputs.MaxWidth], new float[byInputs.MaxWidth]);
        var random = new Random(1);
        for (int row = 0; row < 30; row++)
        {
            float[] x = TestData.Uniform(random, parameters.InputSize);
            TestData.KeepFraction(x, row % 2 == 0 ? 0.3 : 1.0, random);
            float[] expected = new float[byInputs.OutputCount], actual = new float[byInputs.OutputCount];
            rowWise.Predict(x, expected, scratch);
            byInputs.Predict(x, actual, scratch);
            TestData.AssertClose(expected[0], actual[0], 1e-5, 1e-5, $"row {row}");
        }

        var oneLayerByInputs = CompactMlp.FromParameters(MlpParameters.Initialize([40, 1], 3));
        float[] dense = TestData.Uniform(random, 40).Select(v => v == 0f ? 1f : v).ToArray();
        Assert.IsNull(LayerByInputs.For(oneLayerByInputs.Layers[0]), "fixture: one output, its columns padded to 16 would hold 16 times the layer");
        float[] a = new float[1], b = new float[1];
        oneLayerByInputs.Predict(dense, a, scratch);
        new CompactMlp(40, oneLayerByInputs.Layers).Predict(dense, b, scratch);
        CollectionAssert.AreEqual(b, a);
    }

    [TestMethod]
    public void SaveAndLoad_KeepsHowTheLayersAreScored()
    {
        var (parameters, byInputs, rowWise) = Networks(seed: 6);
        var random = new Random(2);
        float[] x = TestData.Uniform(random, parameters.InputSize);
        TestData.KeepFraction(x, 0.3, random);
        Assert.IsTrue(LayerByInputs.For(byInputs.Layers[0])!.TryMultiply(x, new float[byInputs.Layers[0].Outputs]), "fixture: the row is scored by inputs");
        foreach (var network in new[] { byInputs, rowWise })
        {
            var model = new SparseMlpModelParameters(SparseMlpTask.Regression, network, [], parameters.LayerSizes, new float[parameters.LayerCount],
                parameters.CountNonZeroWeights(), null);
            var loaded = ModelBytes.Reload(model);
            Assert.AreEqual(network.ScoresByInputs, loaded.Network.ScoresByInputs);
            CollectionAssert.AreEqual(model.PredictRaw(x), loaded.PredictRaw(x), $"by inputs: {network.ScoresByInputs}");
        }
    }

    /// <summary>A trained-looking network (30 % of the first layer's weights kept), compact by inputs and row-wise.</summary>
    private static (MlpParameters Parameters, CompactMlp ByInputs, CompactMlp RowWise) Networks(int seed)
    {
        var parameters = MlpParameters.Initialize([40, 24, 16, 1], seed);
        TestData.KeepFraction(parameters.Weights[0], 0.3, new Random(seed));
        var byInputs = CompactMlp.FromParameters(parameters);
        return (parameters, byInputs, new CompactMlp(byInputs.InputCount, byInputs.Layers, byInputs.InputRange));
    }
}
