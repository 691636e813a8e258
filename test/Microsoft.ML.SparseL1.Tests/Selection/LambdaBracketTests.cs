// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Selection;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Selection;

[TestClass]
public class LambdaBracketTests
{
    [TestMethod]
    public void Next_TakesLowerMedianStrictlyInsideBracket()
    {
        var bracket = new LambdaBracket(target: 100);
        bracket.Add(1e-2f, 10);   // too sparse: λ too big
        bracket.Add(1e-7f, 1000); // too dense
        var (lambda, note) = bracket.Next(SelectionStrategy.GradientMedianBracket, [1e-2f, 5e-3f, 4e-3f, 3e-3f, 2e-3f, 1e-7f, 0f]);
        Assert.AreEqual(3e-3f, lambda, note); // inside: 5e-3, 4e-3, 3e-3, 2e-3 -> lower median 3e-3
    }

    [TestMethod]
    public void Next_FallsBackToMidpointWhenNoGradientInside()
    {
        var bracket = new LambdaBracket(50);
        bracket.Add(2f, 10);
        bracket.Add(1f, 90);
        var (lambda, note) = bracket.Next(SelectionStrategy.GradientMedianBracket, [5f, 0.5f]);
        Assert.AreEqual(1.5f, lambda);
        StringAssert.Contains(note, "midpoint");
    }

    [TestMethod]
    public void Next_ExpandsDegenerateBracketsByTen()
    {
        var onlyDense = new LambdaBracket(50);
        onlyDense.Add(1e-3f, 80);
        Assert.AreEqual(1e-2f, onlyDense.Next(SelectionStrategy.GradientMedianBracket, [1f]).Lambda, 1e-9f);
        var onlySparse = new LambdaBracket(50);
        onlySparse.Add(1e-3f, 20);
        Assert.AreEqual(1e-4f, onlySparse.Next(SelectionStrategy.GradientMedianBracket, [1f]).Lambda, 1e-10f);
    }

    [TestMethod]
    public void Next_UsesTightestRunsAndReportsNonMonotoneBracket()
    {
        var bracket = new LambdaBracket(100);
        bracket.Add(1e-2f, 10);
        bracket.Add(1e-3f, 90);   // tighter too-sparse run: λ_up = 1e-3
        bracket.Add(1e-7f, 500);
        bracket.Add(2e-3f, 120);  // non-monotone: a larger λ gave more nonzeros, λ_low = 2e-3 > λ_up
        var (lambda, note) = bracket.Next(SelectionStrategy.GradientMedianBracket, [1.5e-3f]);
        Assert.AreEqual(1.5e-3f, lambda, 1e-9f);
        StringAssert.Contains(note, "inverted");
    }

    [TestMethod]
    public void Next_TightensWhenCoupledRunsLandInsideOnTheDenseSide()
    {
        // Layer-wise selection: NNZ of a layer at a given λ moves when the other layers' λ change. Runs inside the
        // bracket that are still too dense must raise the lower end, even when an older run was closer to the target.
        var bracket = new LambdaBracket(1200);
        bracket.Add(1e-3f, 0);
        bracket.Add(1e-7f, 16379);
        bracket.Add(4e-5f, 1236); // close to the target, too dense
        bracket.Add(6e-5f, 842);  // too sparse
        bracket.Add(5e-5f, 1700); // inside, too dense (other layers changed)
        var (lambda, note) = bracket.Next(SelectionStrategy.GradientMedianBracket, []);
        Assert.AreEqual((5e-5f + 6e-5f) / 2, lambda, 1e-12f, note);
    }

    [TestMethod]
    public void Next_OrderStatisticPicksTargetThLargestInsideBracket()
    {
        var bracket = new LambdaBracket(2);
        bracket.Add(1f, 0);
        bracket.Add(0f, 5);
        var (lambda, _) = bracket.Next(SelectionStrategy.OrderStatistic, [0.9f, 0.5f, 0.3f, 0.2f, 0.1f]);
        Assert.AreEqual(0.5f, lambda);
    }

    [TestMethod]
    public void Next_TrajectoryAimMovesOneCompletedRunAlongInverseLambda()
    {
        // One completed run: 4000 nonzeros at the stop mark, 1000 at the end -> aim sqrt(4000 * 1000) = 2000, twice the
        // target, so λ doubles (count ∝ 1/λ). The probes carry no trajectory.
        var bracket = new LambdaBracket(1000);
        bracket.Add(1e-2f, 10);
        bracket.Add(1e-7f, 100_000);
        bracket.Add(1e-4f, 1000 + 100, countAtStopMark: 4000);
        var (lambda, note) = bracket.Next(SelectionStrategy.TrajectoryAim, [3e-3f]);
        Assert.AreEqual(1e-4 * Math.Sqrt(4000.0 * 1100) / 1000, lambda, 1e-9, note);
        StringAssert.Contains(note, "aimed");
    }

    [TestMethod]
    public void Next_TrajectoryAimInterpolatesBetweenStraddlingRunsInLogLog()
    {
        // Aims 4000 at λ 1e-4 and 250 at λ 1.6e-3: count falls as λ^-1 between them, so the target 1000 sits at λ 4e-4.
        var bracket = new LambdaBracket(1000);
        bracket.Add(1e-2f, 10);
        bracket.Add(1e-7f, 100_000);
        bracket.Add(1e-4f, 2000, countAtStopMark: 8000);
        bracket.Add(1.6e-3f, 125, countAtStopMark: 500);
        var (lambda, note) = bracket.Next(SelectionStrategy.TrajectoryAim, []);
        Assert.AreEqual(4e-4f, lambda, 1e-8f, note);
    }

    [TestMethod]
    public void Next_TrajectoryAimFallsBackToPaperRuleOutsideBracketOrWithoutCompletedRun()
    {
        // The aimed λ (1e-4 * 8000 / 1000 = 8e-4) is past the too-sparse run at 5e-4: the paper's lower median is used.
        var outside = new LambdaBracket(1000);
        outside.Add(5e-4f, 900);
        outside.Add(1e-4f, 4000, countAtStopMark: 16000);
        var (lambda, note) = outside.Next(SelectionStrategy.TrajectoryAim, [4e-4f, 3e-4f, 2e-4f]);
        Assert.AreEqual(3e-4f, lambda, note);
        StringAssert.Contains(note, "lower median");

        var probesOnly = new LambdaBracket(1000);
        probesOnly.Add(1e-2f, 10);
        probesOnly.Add(1e-7f, 100_000);
        Assert.AreEqual(1e-3f, probesOnly.Next(SelectionStrategy.TrajectoryAim, [1e-3f]).Lambda);
    }

    [TestMethod]
    public void Next_TrajectoryAimLeavesSaturatedRunsAndRepeatedMissesToThePaperRule()
    {
        // A layer of 768 weights still fully dense at λ 1e-4 tells nothing about the slope: no aim from it.
        var saturated = new LambdaBracket(650, weightCount: 768);
        saturated.Add(1e-2f, 10);
        saturated.Add(1e-4f, 768, countAtStopMark: 768);
        var (lambda, note) = saturated.Next(SelectionStrategy.TrajectoryAim, [3e-3f, 2e-3f, 1e-3f]);
        Assert.AreEqual(2e-3f, lambda, note);

        // Two completed runs that both stayed too dense, the later one (aim 3536) not halving the first one's miss in log
        // count (aim 4243): the aim is not converging, so the median takes over.
        var missed = new LambdaBracket(1000);
        missed.Add(1e-2f, 10);
        missed.Add(1e-4f, 3000, countAtStopMark: 6000);
        missed.Add(2e-4f, 2500, countAtStopMark: 5000);
        (lambda, note) = missed.Next(SelectionStrategy.TrajectoryAim, [5e-3f, 4e-3f, 3e-3f]);
        Assert.AreEqual(4e-3f, lambda, note);
        StringAssert.Contains(note, "lower median");

        // A later run that halves the miss keeps the aim, on the same side or across it.
        var closing = new LambdaBracket(1000);
        closing.Add(1e-2f, 10);
        closing.Add(1e-4f, 3000, countAtStopMark: 6000);
        closing.Add(2e-4f, 1200, countAtStopMark: 1500);
        StringAssert.Contains(closing.Next(SelectionStrategy.TrajectoryAim, [3e-4f]).Note, "aimed");

        // After a run on the other side the aim is back: interpolated between the straddling runs.
        missed.Add(6e-4f, 400, countAtStopMark: 800);
        (_, note) = missed.Next(SelectionStrategy.TrajectoryAim, [3e-4f]);
        StringAssert.Contains(note, "aimed");
    }
}
