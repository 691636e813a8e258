// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Model;

/// <summary>
/// A NaN or infinite input gives every scoring path the dense product's result (issue 26: through a CSR first layer a NaN
/// in an input the network does not use scored finite, through a dense one and in ONNX Runtime NaN), and a sparse row
/// whose indices are out of range gets a named error instead of an IndexOutOfRangeException.
/// </summary>
[TestClass]
public class NonFiniteInputTests
{
    private const int Inputs = 20;

    [TestMethod]
    [DataRow(true, 2, float.NaN)]
    [DataRow(true, 2, float.PositiveInfinity)]
    [DataRow(true, 3, float.NaN)]
    [DataRow(true, 3, float.NegativeInfinity)]
    [DataRow(false, 2, float.NaN)]
    [DataRow(false, 2, float.PositiveInfinity)]
    [DataRow(false, 3, float.NegativeInfinity)]
    public void EveryPath_GivesTheDenseProductsResult(bool csrFirstLayer, int column, float value)
    {
        var network = Network(csrFirstLayer);
        Assert.AreEqual(csrFirstLayer, network.Layers[0].IsSparse, "the fixture's first layer storage");
        Assert.AreEqual(column == 3, network.UsedInputs.Contains(column), "input 3 is used, input 2 is not");
        var random = new Random(7);
        var rows = Enumerable.Range(0, 3).Select(_ => TestData.Uniform(random, Inputs, 1f)).ToArray();
        rows[1][column] = value;
        var outputs = network.OutputCount;

        var batch = new float[rows.Length * outputs];
        network.PredictBatch(rows.SelectMany(r => r).ToArray(), rows.Length, batch);
        for (int r = 0; r < rows.Length; r++)
        {
            double[] expected = Reference(network, rows[r]);
            var single = new float[outputs];
            var scratch = (new float[network.MaxWidth], new float[network.MaxWidth]);
            network.Predict(rows[r], single, scratch);
            int[] indices = Enumerable.Range(0, Inputs).Where(i => rows[r][i] != 0f).ToArray();
            var sparse = new float[outputs];
            network.PredictSparse(indices, indices.Select(i => rows[r][i]).ToArray(), sparse, scratch);
            for (int o = 0; o < outputs; o++)
            {
                foreach (var (path, actual) in new[] { ("row", single[o]), ("sparse row", sparse[o]), ("batch", batch[r * outputs + o]) })
                {
                    Assert.AreEqual(double.IsNaN(expected[o]), float.IsNaN(actual), $"{path} {r}, output {o}: {actual} against the dense {expected[o]}");
                    if (!double.IsNaN(expected[o]))
                        TestData.AssertClose(expected[o], actual, 1e-5, 1e-5, $"{path} {r}, output {o}");
                }
            }
        }

        Assert.IsTrue(Reference(network, rows[1]).All(double.IsNaN), "the dense product of this network is NaN for the bad row");
    }

    [TestMethod]
    public void ASparseRowWithAnIndexOutOfRange_GetsANamedError()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(2);
        var train = Enumerable.Range(0, 200).Select(_ =>
        {
            var x = TestData.Uniform(random, 6, 1f);
            return new SparseRow { Features = new VBuffer<float>(6, x), Label = x[0] + x[1] };
        }).ToArray();
        var model = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { NumberOfEpochs = 2 }).Fit(ml.Data.LoadFromEnumerable(train, Schema()));
        var bad = new SparseRow { Features = new VBuffer<float>(6, 2, [1f, 2f], [1, 9]) };

        var engine = ml.Model.CreatePredictionEngine<SparseRow, ScoreRow>(model, inputSchemaDefinition: Schema());
        var rowError = Assert.ThrowsExactly<InvalidOperationException>(() => engine.Predict(bad));
        var scored = model.Transform(ml.Data.LoadFromEnumerable(new[] { bad }, Schema()));
        var blockError = Assert.ThrowsExactly<InvalidOperationException>(() => scored.GetColumn<float>("Score").ToArray());

        foreach (var error in new[] { rowError, blockError })
            StringAssert.Contains(error.Message, "index 1 is 9; a vector of 6 values needs strictly increasing indices in 0..5");
    }

    private sealed class SparseRow
    {
        public VBuffer<float> Features { get; set; }

        public float Label { get; set; }
    }

    private sealed class ScoreRow
    {
        public float Score { get; set; }
    }

    private static SchemaDefinition Schema()
    {
        var schema = SchemaDefinition.Create(typeof(SparseRow));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 6);
        return schema;
    }

    /// <summary>20-9-5-3; input 2 has no weight. The first layer is CSR (one weight a neuron) or dense (all but input 2).</summary>
    private static CompactMlp Network(bool csrFirstLayer)
    {
        var parameters = MlpParameters.Initialize([Inputs, 9, 5, 3], seed: 4);
        for (int o = 0; o < 9; o++)
        {
            for (int i = 0; i < Inputs; i++)
            {
                bool keep = csrFirstLayer ? i == (3 * o + 3) % Inputs && i != 2 : i != 2;
                if (!keep)
                    parameters.Weights[0][o * Inputs + i] = 0f;
            }
        }

        return CompactMlp.FromParameters(parameters);
    }

    /// <summary>The dense product, layer by layer in double (0 · NaN and 0 · ∞ are NaN, as IEEE has them).</summary>
    private static double[] Reference(CompactMlp network, float[] row)
    {
        int[] sizes = [network.InputCount, .. network.Layers.Select(l => l.Outputs)];
        var weights = network.Layers.Select(l => Array.ConvertAll(l.ToDenseArray(), v => (double)v)).ToArray();
        var biases = network.Layers.Select(l => Array.ConvertAll(l.Bias, v => (double)v)).ToArray();
        return ReferenceNetwork.Forward(sizes, weights, biases, row);
    }
}
