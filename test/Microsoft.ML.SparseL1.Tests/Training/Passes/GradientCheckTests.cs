// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Passes;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Training.Passes;

[TestClass]
public class GradientCheckTests
{
    [TestMethod]
    [DataRow("SoftmaxCrossEntropy", 4, false)]
    [DataRow("SoftmaxCrossEntropy", 3, true)]
    [DataRow("SigmoidLogLoss", 1, false)]
    [DataRow("SquaredError", 1, true)]
    public void FullGradient_MatchesCentralDifferencesOfDoubleReference(string lossName, int outputs, bool weighted)
    {
        var loss = Enum.Parse<LossKind>(lossName);
        int[] sizes = [6, 9, 7, outputs];
        var data = SyntheticData.Make(loss, 40, 6, outputs == 1 ? 1 : outputs, seed: 11, weighted);
        var parameters = MlpParameters.Initialize(sizes, seed: 5);

        // Batch 7 (not dividing 40) also checks that per-batch accumulation equals the full-batch gradient.
        var (gradients, engineLoss) = FullGradient.Compute(parameters, data, loss, batchSize: 7, threads: 2);

        double[][] w = ReferenceNetwork.ToDouble(parameters.Weights), b = ReferenceNetwork.ToDouble(parameters.Biases);
        double referenceLoss = ReferenceNetwork.MeanLoss(sizes, w, b, data, loss);
        TestData.AssertClose(referenceLoss, engineLoss, 1e-5, 1e-6, "loss");

        CheckAgainstCentralDifferences(w, gradients, () => ReferenceNetwork.MeanLoss(sizes, w, b, data, loss), $"{loss} dL/dW");
    }

    [TestMethod]
    [DataRow("SoftmaxCrossEntropy", 4, false)]
    [DataRow("SoftmaxCrossEntropy", 3, true)]
    [DataRow("SigmoidLogLoss", 1, true)]
    [DataRow("SquaredError", 1, true)]
    public void FullLoss_FromForwardPassesAlone_IsTheGradientPassLossBitForBit(string lossName, int outputs, bool weighted)
    {
        var loss = Enum.Parse<LossKind>(lossName);
        int[] sizes = [6, 9, 7, outputs];
        var data = SyntheticData.Make(loss, 40, 6, outputs, seed: 12, weighted);
        var parameters = MlpParameters.Initialize(sizes, seed: 6);

        // Batch 7 (not dividing 40): the same batches and sums as the gradient pass, on 1 and 2 threads.
        double withGradient = FullGradient.Compute(parameters, data, loss, batchSize: 7, threads: 1).Loss;
        double forwardOnly = FullGradient.Loss(parameters, data, loss, batchSize: 7, threads: 1);
        Assert.AreEqual(BitConverter.DoubleToInt64Bits(withGradient), BitConverter.DoubleToInt64Bits(forwardOnly), $"{withGradient} against {forwardOnly}");
        Assert.AreEqual(forwardOnly, FullGradient.Loss(parameters, data, loss, batchSize: 7, threads: 2), "2 threads");

        double[][] w = ReferenceNetwork.ToDouble(parameters.Weights), b = ReferenceNetwork.ToDouble(parameters.Biases);
        TestData.AssertClose(ReferenceNetwork.MeanLoss(sizes, w, b, data, loss), forwardOnly, 1e-5, 1e-6, "the double reference's loss");

        // No backward pass ran: the fresh workspace's gradients are still zero.
        var pass = new BatchGradient(data, loss, sizes, 7, threads: 1);
        pass.ForwardLoss(parameters, 0, 7);
        for (int j = 0; j < sizes.Length - 1; j++)
        {
            Assert.AreEqual(-1, pass.Network.WeightGradients[j].AsSpan().IndexOfAnyExcept(0f), $"layer {j}'s weight gradient");
            Assert.AreEqual(-1, pass.Network.BiasGradients[j].AsSpan().IndexOfAnyExcept(0f), $"layer {j}'s bias gradient");
        }
    }

    [TestMethod]
    public void BiasGradients_MatchCentralDifferences()
    {
        int[] sizes = [5, 8, 3];
        const LossKind Loss = LossKind.SoftmaxCrossEntropy;
        var data = SyntheticData.Make(Loss, 30, 5, 3, seed: 2);
        var parameters = MlpParameters.Initialize(sizes, seed: 9);
        var batch = new BatchGradient(data, Loss, sizes, data.Rows, threads: 1);
        batch.Compute(parameters, null, 0, data.Rows, scale: null, accumulate: false);

        double[][] w = ReferenceNetwork.ToDouble(parameters.Weights), b = ReferenceNetwork.ToDouble(parameters.Biases);
        CheckAgainstCentralDifferences(b, batch.Network.BiasGradients, () => ReferenceNetwork.MeanLoss(sizes, w, b, data, Loss), "dL/db");
    }

    /// <summary>Perturbs each entry of <paramref name="values"/> by ±ε and compares (L+ − L−)/2ε with the engine's gradient.</summary>
    private static void CheckAgainstCentralDifferences(double[][] values, float[][] gradients, Func<double> loss, string what)
    {
        const double Epsilon = 1e-6;
        for (int j = 0; j < values.Length; j++)
        {
            for (int i = 0; i < values[j].Length; i++)
            {
                double saved = values[j][i];
                values[j][i] = saved + Epsilon;
                double plus = loss();
                values[j][i] = saved - Epsilon;
                double minus = loss();
                values[j][i] = saved;
                TestData.AssertClose((plus - minus) / (2 * Epsilon), gradients[j][i], 2e-3, 2e-5, $"{what}[{j}][{i}]");
            }
        }
    }
}
