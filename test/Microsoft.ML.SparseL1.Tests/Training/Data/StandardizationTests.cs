// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Training.Data;

[TestClass]
public class StandardizationTests
{
    [TestMethod]
    public void Measure_GivesPopulationMomentsAndCentresConstantColumns()
    {
        // Columns: a shifted and scaled one, a constant one, one of large magnitude.
        float[] features = [1, 5, 1e6f, 3, 5, 2e6f, 5, 5, 3e6f, 7, 5, 4e6f];
        var data = new TrainingData(features, [10, 20, 30, 40], rows: 4, columns: 3);
        var standardization = Standardization.Measure(data, standardizeLabel: true);

        CollectionAssert.AreEqual(new[] { 4.0, 5.0, 2.5e6 }, standardization.Means);
        TestData.AssertClose(Math.Sqrt(5.0), standardization.Scales[0], 1e-12, 0, "scale of column 0");
        Assert.AreEqual(1.0, standardization.Scales[1], "a constant column is centred, not scaled");
        TestData.AssertClose(Math.Sqrt(1.25e12), standardization.Scales[2], 1e-12, 0, "scale of column 2");
        Assert.AreEqual(25.0, standardization.LabelMean);
        TestData.AssertClose(Math.Sqrt(125.0), standardization.LabelScale, 1e-12, 0, "label scale");

        standardization.Apply(data);
        for (int c = 0; c < 3; c++)
        {
            var column = Enumerable.Range(0, 4).Select(r => (double)data.Features[r * 3 + c]).ToArray();
            TestData.AssertClose(0, column.Average(), 0, 1e-6, $"mean of standardized column {c}");
        }

        TestData.AssertClose(0, data.Labels.Average(), 0, 1e-6, "mean of the standardized label");
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void FoldInto_RawInputGivesTheOutputsOfTheStandardizedNetwork(bool label)
    {
        var random = new Random(5);
        int[] sizes = [6, 7, 2];
        const int Rows = 40;
        var raw = new float[Rows * 6];
        for (int i = 0; i < raw.Length; i++)
            raw[i] = (float)(random.NextDouble() * (1 + i % 6) * 100 + (i % 6) * 1000);
        for (int r = 0; r < Rows; r++)
            raw[r * 6 + 3] = 42f; // a constant column
        var labels = Enumerable.Range(0, Rows).Select(r => (float)(150 + 50 * random.NextDouble())).ToArray();
        var data = new TrainingData((float[])raw.Clone(), labels, Rows, 6);
        var standardization = Standardization.Measure(data, label);
        standardization.Apply(data);

        var parameters = MlpParameters.Initialize(sizes, seed: 2);
        for (int i = 0; i < parameters.Weights[0].Length; i += 3)
            parameters.Weights[0][i] = 0f; // zeros must stay zeros
        var trained = ReferenceNetwork.ToDouble(parameters.Weights);
        var trainedBiases = ReferenceNetwork.ToDouble(parameters.Biases);
        standardization.FoldInto(parameters);

        for (int i = 0; i < parameters.Weights[0].Length; i++)
            Assert.AreEqual(trained[0][i] == 0, parameters.Weights[0][i] == 0f, $"weight {i}: zero pattern");
        for (int r = 0; r < Rows; r++)
        {
            // Reference: the standardized input through the unfolded network, mapped back to the label's scale.
            double[] expected = ReferenceNetwork.Forward(sizes, trained, trainedBiases, data.Features.AsSpan(r * 6, 6));
            double[] actual = ReferenceNetwork.Forward(sizes, ReferenceNetwork.ToDouble(parameters.Weights),
                ReferenceNetwork.ToDouble(parameters.Biases), raw.AsSpan(r * 6, 6));
            for (int o = 0; o < 2; o++)
            {
                double back = expected[o] * standardization.LabelScale + standardization.LabelMean;
                TestData.AssertClose(back, actual[o], 1e-4, 1e-3 * standardization.LabelScale, $"row {r} output {o}");
            }
        }
    }
}
