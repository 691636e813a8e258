// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Training.Optimizer;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Training.Optimizer;

[TestClass]
public class MagnitudePruningTests
{
    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(37)]
    [DataRow(250)]
    public void KeepLargest_KeepsWhatASortByMagnitudeThenIndexKeeps_AndZeroesTheMomentsOfTheRest(int keep)
    {
        var random = new Random(keep + 11);
        // Values on a coarse grid, some zero and some negative, so that ties on the cut are common.
        float[] weights = Enumerable.Range(0, 400).Select(_ => (random.Next(-12, 13) / 4f)).ToArray();
        float[] first = weights.Select(w => w + 100f).ToArray(), second = weights.Select(w => w * w + 1f).ToArray();
        float[] original = (float[])weights.Clone(), firstBefore = (float[])first.Clone(), secondBefore = (float[])second.Clone();

        // The reference: positions ordered by magnitude descending, then index ascending; the first `keep` nonzero ones stay.
        var kept = Enumerable.Range(0, original.Length).Where(i => original[i] != 0f)
            .OrderByDescending(i => Math.Abs(original[i])).ThenBy(i => i).Take(keep).ToHashSet();

        int left = MagnitudePruning.KeepLargest(weights, keep, first, second);

        Assert.AreEqual(kept.Count, left);
        for (int i = 0; i < weights.Length; i++)
        {
            Assert.AreEqual(kept.Contains(i) ? original[i] : 0f, weights[i], $"weight {i}");
            Assert.AreEqual(kept.Contains(i) || original[i] == 0f && keep >= original.Count(w => w != 0f) ? firstBefore[i] : 0f, first[i], $"first moment {i}");
            Assert.AreEqual(kept.Contains(i) || original[i] == 0f && keep >= original.Count(w => w != 0f) ? secondBefore[i] : 0f, second[i], $"second moment {i}");
        }
    }

    [TestMethod]
    public void KeepLargest_AtLeastTheNonzeros_ChangesNothing()
    {
        float[] weights = [0f, 3f, -1f, 0f, 2f];
        float[] moments = [5f, 5f, 5f, 5f, 5f];
        Assert.AreEqual(3, MagnitudePruning.KeepLargest(weights, 3, moments));
        Assert.AreEqual(3, MagnitudePruning.KeepLargest(weights, 10, moments));
        CollectionAssert.AreEqual(new[] { 0f, 3f, -1f, 0f, 2f }, weights);
        CollectionAssert.AreEqual(new[] { 5f, 5f, 5f, 5f, 5f }, moments, "no weight pruned, no moment cleared");
    }

    [TestMethod]
    public void KeepLargest_BadArguments_AreRefusedByName()
    {
        float[] weights = [1f, 2f];
        Assert.AreEqual("keep", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MagnitudePruning.KeepLargest(weights, -1)).ParamName);
        Assert.AreEqual("firstMoment", Assert.ThrowsExactly<ArgumentException>(() => MagnitudePruning.KeepLargest(weights, 1, new float[3])).ParamName);
    }
}
