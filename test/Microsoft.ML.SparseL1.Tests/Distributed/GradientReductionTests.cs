// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Distributed;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Distributed;

/// <summary>The reduce-scatter + all-gather sum against a naive scalar sum in rank order.</summary>
[TestClass]
public class GradientReductionTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    [DataRow(5)]
    public void ScalarsAlone_EveryRankGetsTheRankOrderSum(int ranks)
    {
        // The full-data loss of a data-parallel run: one scalar a rank, no gradient to carry.
        double[] losses = Enumerable.Range(0, ranks).Select(r => 0.1 * (r + 1) / 3).ToArray();
        var results = InProcessGroup.Run(ranks, (rank, communicator) =>
        {
            Span<double> s = [losses[rank]];
            new GradientReduction(communicator, 0, 1).Sum([], [], s);
            return s[0];
        });

        double expected = losses[0];
        for (int r = 1; r < ranks; r++)
            expected += losses[r];
        foreach (var (sum, error) in results)
        {
            Assert.IsNull(error, error?.ToString());
            Assert.AreEqual(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(sum), $"{sum} against {expected}");
        }
    }

    [TestMethod]
    [DataRow(1, 1000)]
    [DataRow(2, 1000)]
    [DataRow(3, 1001)]
    [DataRow(5, 7)] // fewer values than ranks' blocks: block 0 is sized for the scalars, later blocks are padding
    [DataRow(4, 266_610)]
    public void EveryRank_GetsTheRankOrderSum_BitForBit(int ranks, int values)
    {
        // Two arrays per rank (cut unevenly, as layers are), three scalars, the second the divisor.
        int cut = values / 3;
        float[][][] weights = Enumerable.Range(0, ranks).Select(r => new[] { Values(r, cut, 1), Values(r, values - cut, 2) }).ToArray();
        double[][] scalars = Enumerable.Range(0, ranks).Select(r => new[] { 0.1 * (r + 1), 10.0 + r, r % 2 }).ToArray();
        var results = InProcessGroup.Run(ranks, (rank, communicator) =>
        {
            float[][] mine = weights[rank].Select(a => (float[])a.Clone()).ToArray();
            double[] s = (double[])scalars[rank].Clone();
            new GradientReduction(communicator, GradientReduction.Count(mine), 3).Sum(mine, [], s, divisorIndex: 1);
            return (mine, s);
        });

        double[] expectedScalars = new double[3];
        for (int i = 0; i < 3; i++)
        {
            double sum = scalars[0][i];
            for (int r = 1; r < ranks; r++)
                sum += scalars[r][i];
            expectedScalars[i] = sum;
        }

        float scale = (float)(1.0 / expectedScalars[1]);
        foreach (var (result, error) in results)
        {
            Assert.IsNull(error, error?.ToString());
            CollectionAssert.AreEqual(expectedScalars, result.s);
            for (int a = 0; a < 2; a++)
            {
                for (int i = 0; i < weights[0][a].Length; i++)
                {
                    float sum = weights[0][a][i];
                    for (int r = 1; r < ranks; r++)
                        sum += weights[r][a][i];
                    Assert.AreEqual(BitConverter.SingleToInt32Bits(sum * scale), BitConverter.SingleToInt32Bits(result.mine[a][i]), $"array {a} value {i}");
                }
            }
        }
    }

    [TestMethod]
    public void KeptPositions_AreSummed_TheOthersKeepThisRanksValues()
    {
        // A frozen layer steps its kept weights only: only their gradient is summed; the rest is left as it was.
        const int ranks = 3, length = 50;
        int[] kept = [1, 7, 8, 30, 49];
        float[][] arrays = Enumerable.Range(0, ranks).Select(r => Values(r, length, 1)).ToArray();
        var results = InProcessGroup.Run(ranks, (rank, communicator) =>
        {
            float[][] mine = [(float[])arrays[rank].Clone()];
            double[] s = [1.0];
            new GradientReduction(communicator, GradientReduction.Count(mine, [kept]), 1, [kept]).Sum(mine, [], s);
            return mine[0];
        });
        for (int rank = 0; rank < ranks; rank++)
        {
            var (result, error) = results[rank];
            Assert.IsNull(error, error?.ToString());
            for (int i = 0; i < length; i++)
            {
                float expected = kept.Contains(i) ? arrays[0][i] + arrays[1][i] + arrays[2][i] : arrays[rank][i];
                Assert.AreEqual(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(result![i]), $"rank {rank}, value {i}");
            }
        }
    }

    private static float[] Values(int rank, int length, int array)
    {
        var random = new Random(rank * 31 + array);
        return Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1) * 1e3f).ToArray();
    }
}
