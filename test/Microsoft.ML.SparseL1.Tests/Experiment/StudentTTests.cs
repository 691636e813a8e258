// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Experiment;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Experiment;

[TestClass]
public class StudentTTests
{
    /// <summary>The series against MathNet.Numerics' distribution function, odd and even degrees, from the centre to the far tail.</summary>
    [TestMethod]
    public void Distribution_MatchesMathNet()
    {
        foreach (int degrees in new[] { 1, 2, 3, 4, 5, 9, 10, 19, 40 })
        {
            foreach (double t in new[] { 0.0, 0.1, 0.7, 1.5, 2.0, 2.87, 4.0, 10.0, 300.0 })
            {
                double expected = MathNet.Numerics.Distributions.StudentT.CDF(0, 1, degrees, t);
                Assert.AreEqual(expected, StudentT.Distribution(degrees, t), 1e-12, $"{degrees} degrees, t = {t}");
            }
        }
    }

    /// <summary>
    /// Quantiles: through MathNet.Numerics' distribution function back to the probability (its own inverse does not
    /// converge at every point here), and the closed forms of one degree (Cauchy: tan(π(p − 1/2))) and two
    /// ((2p − 1) / √(2p(1 − p))).
    /// </summary>
    [TestMethod]
    public void Quantile_InvertsTheDistribution()
    {
        foreach (int degrees in new[] { 1, 2, 3, 4, 5, 9, 19, 200 })
        {
            foreach (double p in new[] { 0.5, 0.6, 0.9, 0.97725, 0.995, 0.9999 })
            {
                double quantile = StudentT.Quantile(degrees, p);
                Assert.AreEqual(p, MathNet.Numerics.Distributions.StudentT.CDF(0, 1, degrees, quantile), 1e-12, $"{degrees} degrees, p = {p}");
            }
        }

        foreach (double p in new[] { 0.5, 0.75, 0.97725, 0.9999 })
        {
            Assert.AreEqual(Math.Tan(Math.PI * (p - 0.5)), StudentT.Quantile(1, p), 1e-9 * Math.Max(1, Math.Tan(Math.PI * (p - 0.5))), $"one degree, p = {p}");
            double two = (2 * p - 1) / Math.Sqrt(2 * p * (1 - p));
            Assert.AreEqual(two, StudentT.Quantile(2, p), 1e-9 * Math.Max(1, two), $"two degrees, p = {p}");
        }

        // With many degrees of freedom the t law is the normal one: RequiredConfidence is two standard errors there.
        Assert.AreEqual(2.0, StudentT.Quantile(100_000, SparseMlpExperimentResult.RequiredConfidence), 1e-3);
        Assert.AreEqual(2.87, StudentT.Quantile(4, SparseMlpExperimentResult.RequiredConfidence), 0.01);
    }

    [TestMethod]
    public void BadArguments_AreRefused()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => StudentT.Quantile(0, 0.9));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => StudentT.Quantile(3, 1.0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => StudentT.Quantile(3, 0.4));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => StudentT.Quantile(3, double.NaN));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => StudentT.Distribution(3, -1));
    }
}
