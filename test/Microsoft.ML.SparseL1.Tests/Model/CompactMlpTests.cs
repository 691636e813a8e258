// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Passes;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Model;

[TestClass]
public class CompactMlpTests
{
    [TestMethod]
    public void Compaction_RemovesDeadNeuronsWithoutChangingOutputs()
    {
        var parameters = MlpParameters.Initialize([10, 12, 8, 3], seed: 6);
        var random = new Random(2);
        // Only the first layer is sparsified at random (every neuron keeps some inputs; asserted below), so the
        // dead neurons are exactly the ones made below.
        var w0 = parameters.Weights[0];
        for (int i = 0; i < w0.Length; i++)
            w0[i] = random.NextDouble() < 0.5 ? 0f : w0[i];
        for (int o = 0; o < 12; o++)
            Assert.IsTrue(w0.AsSpan(o * 10, 10).IndexOfAnyExcept(0f) >= 0, $"fixture: neuron {o} needs inputs");

        parameters.Weights[0].AsSpan(3 * 10, 10).Clear();      // hidden neuron 3 of layer 1: no incoming weights (constant)
        parameters.Biases[0][3] = 0.7f;                        // ... with a positive constant output
        for (int o = 0; o < 8; o++)
            parameters.Weights[1][o * 12 + 5] = 0f;            // hidden neuron 5 of layer 1: no outgoing weights
        parameters.Weights[1].AsSpan(2 * 12, 12).Clear();      // hidden neuron 2 of layer 2: no incoming ...
        parameters.Biases[1][2] = -0.4f;                       // ... and ReLU(bias) = 0

        var compact = CompactMlp.FromParameters(parameters);
        Assert.AreEqual(10, compact.Layers[0].Outputs, "layer 1 loses neurons 3 and 5");
        Assert.AreEqual(7, compact.Layers[1].Outputs, "layer 2 loses neuron 2");

        var reference = new ForwardBackward(parameters.LayerSizes, 50, 1);
        float[] x = TestData.Uniform(random, 50 * 10);
        reference.Forward(parameters, x, 0, 50);
        var expected = reference.Outputs(50).ToArray();
        var single = new float[3];
        var batch = new float[50 * 3];
        compact.PredictBatch(x, 50, batch);
        for (int r = 0; r < 50; r++)
        {
            compact.Predict(x.AsSpan(r * 10, 10), single, (new float[compact.MaxWidth], new float[compact.MaxWidth]));
            for (int c = 0; c < 3; c++)
            {
                TestData.AssertClose(expected[r * 3 + c], single[c], 1e-5, 1e-6, $"row {r} output {c} (single)");
                TestData.AssertClose(expected[r * 3 + c], batch[r * 3 + c], 1e-5, 1e-6, $"row {r} output {c} (batch)");
            }
        }
    }

    [TestMethod]
    public void PredictBatch_MatchesSingleRowsForSparseAndDenseLayersOnEveryPath()
    {
        var random = new Random(8);
        var parameters = MlpParameters.Initialize([70, 40, 5], seed: 2);
        for (int i = 0; i < parameters.Weights[0].Length; i++)
            parameters.Weights[0][i] = random.NextDouble() < 0.95 ? 0f : parameters.Weights[0][i]; // CSR layer
        var compact = CompactMlp.FromParameters(parameters);
        Assert.IsTrue(compact.Layers[0].IsSparse && !compact.Layers[1].IsSparse, "the fixture needs a CSR and a dense layer");
        KernelPaths.ForEach(path =>
        {
            foreach (int rows in new[] { 1, 63, 64, 65, 200 })
            {
                float[] x = TestData.Uniform(random, rows * 70);
                var batch = new float[rows * 5];
                compact.PredictBatch(x, rows, batch);
                var parallel = new float[rows * 5];
                compact.PredictBatch(x, rows, parallel, threads: 2);
                CollectionAssert.AreEqual(batch, parallel, $"{path}: threads must not change results");
                var single = new float[5];
                for (int r = 0; r < rows; r++)
                {
                    compact.Predict(x.AsSpan(r * 70, 70), single, (new float[compact.MaxWidth], new float[compact.MaxWidth]));
                    for (int c = 0; c < 5; c++)
                        TestData.AssertClose(single[c], batch[r * 5 + c], 1e-5, 1e-6, $"{path} rows {rows} row {r} output {c}");
                }
            }
        });
    }

    [TestMethod]
    public void PredictBatch_ResultOfARowDoesNotDependOnItsPositionInTheBatch()
    {
        // 83 rows: a 64-row block (4-vector lanes), then 16 + 3 rows (one vector, then scalar lanes) on the 512-bit path.
        // Rotating the rows by 19 moves every row between those code paths; each row's outputs must stay bit-identical.
        var random = new Random(11);
        var parameters = MlpParameters.Initialize([70, 40, 5], seed: 4);
        for (int i = 0; i < parameters.Weights[0].Length; i++)
            parameters.Weights[0][i] = random.NextDouble() < 0.9 ? 0f : parameters.Weights[0][i];
        var compact = CompactMlp.FromParameters(parameters);
        Assert.IsTrue(compact.Layers[0].IsSparse, "the fixture needs a CSR layer");
        const int Rows = 83, Shift = 19;
        float[] x = TestData.Uniform(random, Rows * 70);
        float[] rotated = [.. x.AsSpan(Shift * 70), .. x.AsSpan(0, Shift * 70)];
        KernelPaths.ForEach(path =>
        {
            var outputs = new float[Rows * 5];
            var rotatedOutputs = new float[Rows * 5];
            compact.PredictBatch(x, Rows, outputs);
            compact.PredictBatch(rotated, Rows, rotatedOutputs);
            for (int r = 0; r < Rows; r++)
            {
                int moved = (r - Shift + Rows) % Rows;
                CollectionAssert.AreEqual(outputs.AsSpan(r * 5, 5).ToArray(), rotatedOutputs.AsSpan(moved * 5, 5).ToArray(), $"{path}: row {r}");
            }
        });
    }
}
