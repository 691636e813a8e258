// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training.Optimizer;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Training.Optimizer;

/// <summary>
/// <see cref="KeptWeights.Regather"/>: the buffers of an earlier pattern reused give what a fresh instance gives; the
/// kept weights by groups of output rows list each kept weight once, in the promised order.
/// </summary>
[TestClass]
public class KeptWeightsTests
{
    [TestMethod]
    [DataRow(0.3, 0.1)]
    [DataRow(0.1, 0.3)]
    [DataRow(0.2, 0.0)]
    public void Regather_GivesWhatAFreshInstanceGives(double firstDensity, double secondDensity)
    {
        const int Rows = 40, Columns = 70;
        var random = new Random(3);
        float[] Layer(double density)
        {
            var weights = Enumerable.Range(0, Rows * Columns).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
            TestData.KeepFraction(weights, density, random);
            return weights;
        }

        float[] Moment() => Enumerable.Range(0, Rows * Columns).Select(_ => (float)random.NextDouble()).ToArray();
        var reused = new KeptWeights(Layer(firstDensity), Moment(), Moment());
        reused.MakeResident(Rows, Columns);
        _ = reused.ByColumn();
        float[] weights = Layer(secondDensity), first = Moment(), second = Moment();
        reused.Regather(weights, first, second);
        var fresh = new KeptWeights(weights, first, second);

        Assert.IsFalse(reused.Resident, "a regathered pattern is not resident until made so again");
        Assert.AreEqual(fresh.Count, reused.Count);
        Assert.AreEqual(weights.Count(w => w != 0f), reused.Count);
        CollectionAssert.AreEqual(fresh.Positions.ToArray(), reused.Positions.ToArray());
        CollectionAssert.AreEqual(fresh.Values.Take(fresh.Count).ToArray(), reused.Values.Take(reused.Count).ToArray());
        CollectionAssert.AreEqual(fresh.FirstMoment.ToArray(), reused.FirstMoment.ToArray());
        CollectionAssert.AreEqual(fresh.SecondMoment.ToArray(), reused.SecondMoment.ToArray());
        foreach (var kept in new[] { fresh, reused })
            kept.MakeResident(Rows, Columns);
        CollectionAssert.AreEqual(fresh.RowStarts, reused.RowStarts);
        CollectionAssert.AreEqual(fresh.Columns.Take(fresh.Count).ToArray(), reused.Columns.Take(reused.Count).ToArray());
        var (freshStarts, freshRows, freshEntries) = fresh.ByColumn();
        var (starts, rows, entries) = reused.ByColumn();
        CollectionAssert.AreEqual(freshStarts, starts);
        CollectionAssert.AreEqual(freshRows.Take(fresh.Count).ToArray(), rows.Take(reused.Count).ToArray());
        CollectionAssert.AreEqual(freshEntries.Take(fresh.Count).ToArray(), entries.Take(reused.Count).ToArray());

        // A step on the kept weights writes back to the same positions only.
        var target = new float[weights.Length];
        reused.StepResident((w, _) => { w.Fill(1f); return w.Length; });
        reused.WriteBack(target);
        for (int i = 0; i < target.Length; i++)
            Assert.AreEqual(weights[i] != 0f ? 1f : 0f, target[i], $"weight {i}");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(7)]
    [DataRow(32)]
    [DataRow(500)]
    public void ByOutputGroups_ListsEachKeptWeightOnce_ByGroupThenColumnThenRow(int groupSize)
    {
        const int Rows = 45, Columns = 70;
        var random = new Random(groupSize);
        var weights = Enumerable.Range(0, Rows * Columns).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        TestData.KeepFraction(weights, 0.15, random);
        var kept = new KeptWeights(weights, null, null);
        kept.MakeResident(Rows, Columns);
        // Another group size first: the list is made again for the size asked.
        _ = kept.ByOutputGroups(groupSize + 1);
        var (groupStarts, rows, columns, entries) = kept.ByOutputGroups(groupSize);
        AssertGroups(kept, groupSize, Rows, Columns, groupStarts, rows, columns, entries);

        // A new pattern (regathered and made resident again) gets a new list, as a fresh instance would.
        TestData.KeepFraction(weights, 0.5, random);
        kept.Regather(weights, null, null);
        kept.MakeResident(Rows, Columns);
        var again = kept.ByOutputGroups(groupSize);
        var fresh = new KeptWeights(weights, null, null);
        fresh.MakeResident(Rows, Columns);
        var expected = fresh.ByOutputGroups(groupSize);
        CollectionAssert.AreEqual(expected.GroupStarts, again.GroupStarts);
        CollectionAssert.AreEqual(expected.Entries.Take(fresh.Count).ToArray(), again.Entries.Take(kept.Count).ToArray());
        AssertGroups(kept, groupSize, Rows, Columns, again.GroupStarts, again.OutputRows, again.InputColumns, again.Entries);

        // No kept weight: every group empty.
        var none = new KeptWeights(new float[Rows * Columns], null, null);
        none.MakeResident(Rows, Columns);
        Assert.IsTrue(none.ByOutputGroups(groupSize).GroupStarts.All(start => start == 0));
    }

    private static void AssertGroups(KeptWeights kept, int groupSize, int rowCount, int columnCount, int[] groupStarts, int[] rows, int[] columns, int[] entries)
    {
        int groups = (rowCount + groupSize - 1) / groupSize;
        Assert.HasCount(groups + 1, groupStarts);
        Assert.AreEqual(0, groupStarts[0]);
        Assert.AreEqual(kept.Count, groupStarts[groups]);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, kept.Count).ToArray(), entries.Take(kept.Count).ToArray(), "each kept weight once");
        for (int g = 0; g < groups; g++)
        {
            for (int e = groupStarts[g]; e < groupStarts[g + 1]; e++)
            {
                Assert.AreEqual(g, rows[e] / groupSize, $"entry {e} is in its row's group");
                Assert.AreEqual(kept.Positions[entries[e]], rows[e] * columnCount + columns[e], $"entry {e} names its weight's row and column");
                if (e > groupStarts[g])
                    Assert.IsTrue(columns[e - 1] < columns[e] || (columns[e - 1] == columns[e] && rows[e - 1] < rows[e]), $"entry {e}: columns ascending, then rows");
            }
        }
    }
}
