// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Model;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Model;

/// <summary>The scoring softmax against the closed form in double precision, where exp of the raw logit overflows float.</summary>
[TestClass]
public class SoftmaxTests
{
    [TestMethod]
    [DataRow(new float[] { 0f, 1f, 2f, 3f })]
    [DataRow(new float[] { 80f, 90f, 100f, 95f })]
    [DataRow(new float[] { 1000f, 999f, -1000f })]
    [DataRow(new float[] { -500f, -501f })]
    [DataRow(new float[] { 3e38f, 3e38f, 0f })]
    [DataRow(new float[] { 42f })]
    public void InPlace_MatchesTheShiftedClosedForm(float[] logits)
    {
        var probabilities = (float[])logits.Clone();

        Softmax.InPlace(probabilities);

        double max = logits.Max();
        double sum = logits.Sum(z => Math.Exp(z - max));
        for (int c = 0; c < logits.Length; c++)
        {
            double expected = Math.Exp(logits[c] - max) / sum;
            Assert.IsTrue(float.IsFinite(probabilities[c]), $"class {c} is {probabilities[c]}");
            Assert.AreEqual(expected, probabilities[c], 1e-6, $"class {c}");
        }

        Assert.AreEqual(Array.IndexOf(logits, logits.Max()), Array.IndexOf(probabilities, probabilities.Max()), "the most probable class is the largest logit");
    }

    [TestMethod]
    public void InPlace_NaNLogit_GivesNaN()
    {
        float[] values = [1f, float.NaN, 2f];

        Softmax.InPlace(values);

        Assert.IsTrue(values.All(float.IsNaN), string.Join(", ", values));
    }
}
