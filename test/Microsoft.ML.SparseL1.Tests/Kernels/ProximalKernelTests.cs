// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Kernels;

[TestClass]
public class ProximalKernelTests
{
    private static readonly float[] s_specialValues = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, 0.25f, -0.25f];

    [TestMethod]
    public void SoftThreshold_AllLengths_MatchesReferenceExactly()
    {
        var random = new Random(1);
        KernelPaths.ForEach(path =>
        {
            foreach (int length in TestData.Lengths())
            {
                float[] values = WithSpecialValues(random, length);
                const float Threshold = 0.25f;
                var actual = (float[])values.Clone();
                int nonZero = ProximalKernels.SoftThreshold(actual, Threshold);
                int expectedNonZero = 0;
                for (int i = 0; i < length; i++)
                {
                    float expected = ReferenceKernels.SoftThreshold(values[i], Threshold);
                    AssertSame(expected, actual[i], $"{path} length {length} index {i} value {values[i]}");
                    expectedNonZero += expected != 0f ? 1 : 0;
                }

                Assert.AreEqual(expectedNonZero, nonZero, $"{path} length {length}: nonzero count");
            }
        });
    }

    [TestMethod]
    public void SgdStep_AllLengths_MatchesReferenceExactly()
    {
        var random = new Random(2);
        KernelPaths.ForEach(path =>
        {
            foreach (int length in TestData.Lengths())
            {
                float[] weights = WithSpecialValues(random, length);
                float[] gradient = TestData.Uniform(random, length);
                const float Rate = 0.1f, Threshold = 0.03f;
                var actual = (float[])weights.Clone();
                int nonZero = ProximalKernels.SgdStep(actual, gradient, Rate, Threshold);
                int expectedNonZero = 0;
                for (int i = 0; i < length; i++)
                {
                    float expected = ReferenceKernels.SoftThreshold(weights[i] - Rate * gradient[i], Threshold);
                    AssertSame(expected, actual[i], $"{path} length {length} index {i}");
                    expectedNonZero += expected != 0f ? 1 : 0;
                }

                Assert.AreEqual(expectedNonZero, nonZero, $"{path} length {length}: nonzero count");
            }
        });
    }

    [TestMethod]
    public void SgdStep_ZeroThreshold_IsPlainGradientStep()
    {
        float[] weights = [1f, -2f, 0.5f];
        ProximalKernels.SgdStep(weights, [1f, 1f, 5f], 0.5f, 0f);
        CollectionAssert.AreEqual(new[] { 0.5f, -2.5f, -2f }, weights);
    }

    [TestMethod]
    [DataRow(0f)]
    [DataRow(0.3f)]
    public void AdamStep_AllLengths_MatchesDoublePrecisionReference(float reweightOffset)
    {
        var random = new Random(3);
        KernelPaths.ForEach(path =>
        {
            foreach (int length in TestData.Lengths())
            {
                float[] weights = TestData.Uniform(random, length);
                float[] gradient = TestData.Uniform(random, length);
                float[] m1 = TestData.Uniform(random, length, 0.1f);
                float[] m2 = TestData.Uniform(random, length, 0.1f);
                for (int i = 0; i < length; i++)
                    m2[i] = Math.Abs(m2[i]);
                const float Rate = 0.01f, Lambda = 0.5f;
                const int Step = 3;
                var coefficients = new AdamCoefficients(Rate, 0.9f, 0.999f, 1e-8f, Step);
                float[] w = (float[])weights.Clone(), a = (float[])m1.Clone(), b = (float[])m2.Clone();
                int nonZero = ProximalKernels.AdamStep(w, gradient, a, b, coefficients, Lambda, reweightOffset);
                int expectedNonZero = 0;
                for (int i = 0; i < length; i++)
                {
                    double m = 0.9 * m1[i] + 0.1 * gradient[i];
                    double v = 0.999 * m2[i] + 0.001 * gradient[i] * (double)gradient[i];
                    double mHat = m / (1 - Math.Pow(0.9, Step)), vHat = v / (1 - Math.Pow(0.999, Step));
                    double d = Math.Sqrt(vHat) + 1e-8;
                    // Reweighted l1: the penalty at the weight before the step is λ·δ/(|w|+δ); δ = 0 is plain l1.
                    double penalty = reweightOffset > 0 ? Lambda * reweightOffset / (Math.Abs(weights[i]) + reweightOffset) : Lambda;
                    double u = weights[i] - Rate * mHat / d, t = Rate * penalty / d;
                    double expected = u > t ? u - t : u < -t ? u + t : 0;
                    TestData.AssertClose(m, a[i], 1e-6, 1e-7, $"{path} m[{i}]");
                    TestData.AssertClose(v, b[i], 1e-5, 1e-8, $"{path} v[{i}]");
                    TestData.AssertClose(expected, w[i], 1e-5, 1e-6, $"{path} length {length} w[{i}]");
                    expectedNonZero += w[i] != 0f ? 1 : 0;
                }

                Assert.AreEqual(expectedNonZero, nonZero, $"{path} length {length}: nonzero count");
            }
        });
    }

    [TestMethod]
    public void CountNonZero_AndNonZeroPositions_AllLengths_MatchANaiveScan()
    {
        var random = new Random(5);
        float[] specials = [0f, -0f, float.NaN, float.PositiveInfinity, float.Epsilon, 1f];
        foreach (int length in TestData.Lengths())
        {
            // Zeros at every density, with the special values where the vector comparison could differ from the scalar one.
            var values = Enumerable.Range(0, length).Select(_ => random.NextDouble() < 0.6 ? 0f : specials[random.Next(specials.Length)]).ToArray();
            int expected = 0;
            foreach (float v in values)
                expected += v == 0f ? 0 : 1;
            Assert.AreEqual(expected, ProximalKernels.CountNonZero(values), $"length {length}");
            var positions = new int[length];
            int count = ProximalKernels.NonZeroPositions(values, positions);
            CollectionAssert.AreEqual(Enumerable.Range(0, length).Where(i => values[i] != 0f).ToArray(), positions.Take(count).ToArray(), $"length {length}");
        }
    }

    [TestMethod]
    public void Steps_ThrowForLengthMismatch()
    {
        Assert.ThrowsExactly<ArgumentException>(() => ProximalKernels.SgdStep(new float[3], new float[2], 0.1f, 0f));
        var coefficients = new AdamCoefficients(0.1f, 0.9f, 0.999f, 1e-8f, 1);
        Assert.ThrowsExactly<ArgumentException>(() => ProximalKernels.AdamStep(new float[3], new float[3], new float[3], new float[2], coefficients, 0f));
    }

    private static float[] WithSpecialValues(Random random, int length)
    {
        float[] values = TestData.Uniform(random, length);
        for (int i = 0; i < length; i += 5)
            values[i] = s_specialValues[random.Next(s_specialValues.Length)];
        return values;
    }

    private static void AssertSame(float expected, float actual, string what)
    {
        if (float.IsNaN(expected))
            Assert.IsTrue(float.IsNaN(actual), what);
        else
            Assert.AreEqual(expected, actual, what);
    }
}
