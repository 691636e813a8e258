// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Training.Optimizer;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Training.Optimizer;

/// <summary><see cref="RevivalGate"/> against the rule computed naively in double.</summary>
[TestClass]
public class RevivalGateTests
{
    [TestMethod]
    public void AZeroWeight_LeavesZeroOnlyWhenItsAverageGradientExceedsLambda()
    {
        // Weight 0: gradient ±2 alternating (each step above λ = 1, average 0: noise); weight 1: a steady 1.5; weight 2:
        // a steady 0.5; weight 3 is nonzero before every step (the gate only holds zeros). Weights 0-2 are zero before
        // every step, and each "step" sets every weight to 0.25, as a proximal step that let them all leave zero would.
        // (On the first step the average is that step's gradient, so weight 0 leaves zero once.)
        const float lambda = 1f;
        var gate = new RevivalGate(4);
        float[] weights = [0f, 0f, 0f, 0.7f];
        var average = new double[4];
        for (int step = 1; step <= 200; step++)
        {
            float[] gradient = [step % 2 == 0 ? 2f : -2f, 1.5f, 0.5f, -4f];
            weights = [0f, 0f, 0f, 0.7f];
            bool[] wasZero = Array.ConvertAll(weights, w => w == 0f);
            gate.Before(weights, gradient);
            Array.Fill(weights, 0.25f);
            int zeroed = gate.After(weights, lambda);

            int expectedZeroed = 0;
            for (int i = 0; i < 4; i++)
            {
                average[i] = RevivalGate.Beta * average[i] + (1 - RevivalGate.Beta) * gradient[i];
                double corrected = average[i] / (1 - Math.Pow(RevivalGate.Beta, step));
                bool held = wasZero[i] && Math.Abs(corrected) <= lambda;
                expectedZeroed += held ? 1 : 0;
                Assert.AreEqual(held ? 0f : 0.25f, weights[i], $"step {step}, weight {i} (average {corrected:G4})");
            }

            Assert.AreEqual(expectedZeroed, zeroed, $"step {step}: weights zeroed");
            if (step > 1)
            {
                Assert.AreEqual(0f, weights[0], "noise whose every step exceeds λ stays at zero");
                Assert.AreEqual(0f, weights[2], "a steady gradient below λ stays at zero");
            }
        }

        Assert.AreEqual(0.25f, weights[1], "a steady gradient above λ leaves zero");
    }
}
