// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Scoring;
using Microsoft.ML.SparseL1.Training;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Scoring;

/// <summary>
/// Transform scores rows in blocks read ahead of the consumer (<see cref="BlockScoringCursor"/>). Every row it serves
/// must carry its own input values and the scores the model's own batch path gives that row's features, wherever the
/// row falls in a block and whatever reorders or drops rows upstream.
/// </summary>
[TestClass]
public class BlockScoringTests
{
    private const int Inputs = 12;

    private sealed class Row
    {
        public int Id { get; set; }

        public string Name { get; set; } = string.Empty;

        [VectorType(Inputs)]
        public float[] Features { get; set; } = [];
    }

    /// <summary>More than two blocks and a partial one, so rows sit at every place in and across blocks.</summary>
    private static readonly int s_rowCount = 2 * BlockScoringCursor.BlockRows + 77;

    [TestMethod]
    [DataRow(SparseMlpTask.MulticlassClassification)]
    [DataRow(SparseMlpTask.BinaryClassification)]
    [DataRow(SparseMlpTask.Regression)]
    public void Transform_ServesEveryRowItsOwnValuesAndBatchScores(SparseMlpTask task)
    {
        var (ml, model, rows) = Setup(task, seed: 1);
        var scored = model.Transform(ml.Data.LoadFromEnumerable(rows));

        var seen = ReadAll(scored.GetRowCursor(scored.Schema), model.Model, rows);

        CollectionAssert.AreEqual(Enumerable.Range(0, s_rowCount).ToArray(), seen.ToArray(), "rows in input order");
    }

    [TestMethod]
    public void Transform_AfterShuffleAndFilter_KeepsEachRowWithItsScores()
    {
        var (ml, model, rows) = Setup(SparseMlpTask.MulticlassClassification, seed: 2);
        // FilterByCustomPredicate drops the rows the predicate holds for.
        var upstream = ml.Data.ShuffleRows(ml.Data.FilterByCustomPredicate<Row>(ml.Data.LoadFromEnumerable(rows), r => r.Id % 3 == 1), seed: 5);
        var scored = model.Transform(upstream);

        var seen = ReadAll(scored.GetRowCursor(scored.Schema), model.Model, rows);

        var expected = Enumerable.Range(0, s_rowCount).Where(i => i % 3 != 1).ToArray();
        CollectionAssert.AreEquivalent(expected, seen.ToArray(), "every kept row once");
        CollectionAssert.AreNotEqual(expected, seen.ToArray(), "the shuffle reordered the rows");
    }

    /// <summary>
    /// A cursor set's rows are merged back in order by the Batch each row reports (ML.NET's consolidator), so a row read
    /// ahead must report its own input batch; reporting the block's last one put rows out of order.
    /// </summary>
    [TestMethod]
    public void Transform_UnderCursorSet_ScoresEveryRowOnceAndReportsEachRowsBatch()
    {
        var (ml, model, rows) = Setup(SparseMlpTask.MulticlassClassification, seed: 3);
        var scored = model.Transform(ml.Data.Cache(ml.Data.LoadFromEnumerable(rows)));

        var cursors = scored.GetRowCursorSet(scored.Schema, 3);
        var served = new ConcurrentBag<(long Batch, int Cursor, int Order, int Id)>();
        Parallel.For(0, cursors.Length, new ParallelOptions { MaxDegreeOfParallelism = cursors.Length }, c =>
        {
            var cursor = cursors[c];
            var batches = new List<long>();
            var ids = ReadAll(cursor, model.Model, rows, () => batches.Add(cursor.Batch));
            for (int k = 0; k < ids.Count; k++)
                served.Add((batches[k], c, k, ids[k]));
        });

        Assert.IsGreaterThan(1, cursors.Length, "the cached view splits into several cursors");
        int[] merged = served.OrderBy(r => r.Batch).ThenBy(r => r.Cursor).ThenBy(r => r.Order).Select(r => r.Id).ToArray();
        CollectionAssert.AreEqual(Enumerable.Range(0, s_rowCount).ToArray(), merged, "rows ordered by their batches are the input's rows in order");
    }

    private sealed class ScoreOnly
    {
        public float[] Score { get; set; } = [];

        public uint PredictedLabel { get; set; }
    }

    /// <summary>A PredictionEngine scores one row at a time through the single-row path, allocating nothing per row.</summary>
    [TestMethod]
    public void PredictionEngine_AllocatesNothingPerRow()
    {
        var (ml, model, rows) = Setup(SparseMlpTask.MulticlassClassification, seed: 6);
        var engine = ml.Model.CreatePredictionEngine<Row, ScoreOnly>(model);
        var output = new ScoreOnly();
        for (int i = 0; i < 100; i++)
            engine.Predict(rows[i], ref output);

        // The least of three windows: a one-time allocation of the runtime on this thread (a tier-up of the scoring code
        // under the parallel suite's load gave 4,096 bytes once) lands in one window, a per-row allocation in all three.
        long allocated = long.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
                engine.Predict(rows[i % rows.Length], ref output);
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.IsLessThan(1000L, allocated, $"{allocated} bytes for 1,000 predictions (the least of three windows)");
        var expected = new float[5];
        model.Model.PredictRaw(rows[999 % rows.Length].Features, 1, expected);
        Softmax.InPlace(expected);
        for (int c = 0; c < 5; c++)
            Infrastructure.TestData.AssertClose(expected[c], output.Score[c], 1e-5, 1e-7, $"class {c}");
    }

    [TestMethod]
    public void Transform_ReadingOnlyInputColumns_ScoresNothingAndPassesRowsThrough()
    {
        var (ml, model, rows) = Setup(SparseMlpTask.Regression, seed: 4);
        var scored = model.Transform(ml.Data.LoadFromEnumerable(rows));

        using var cursor = scored.GetRowCursor([scored.Schema["Id"]]);

        Assert.IsInstanceOfType<PassThroughCursor>(cursor);
        Assert.IsFalse(cursor.IsColumnActive(scored.Schema["Score"]));
        var ids = cursor.GetGetter<int>(scored.Schema["Id"]);
        int count = 0, id = 0;
        while (cursor.MoveNext())
        {
            ids(ref id);
            Assert.AreEqual(count++, id);
        }

        Assert.AreEqual(s_rowCount, count);
        Assert.ThrowsExactly<InvalidOperationException>(() => cursor.GetGetter<float>(scored.Schema["Score"]));
    }

    /// <summary>
    /// Reads every column of every row of <paramref name="cursor"/>, checks the pass-through values against the row the
    /// Id names and the scores against <see cref="SparseMlpModelParameters.PredictRaw(ReadOnlySpan{float}, int, Span{float}, int)"/>
    /// on that row alone; returns the Ids in the order served.
    /// </summary>
    private static List<int> ReadAll(DataViewRowCursor cursor, SparseMlpModelParameters model, Row[] rows, Action? onRow = null)
    {
        var schema = cursor.Schema;
        var ids = cursor.GetGetter<int>(schema["Id"]);
        var names = cursor.GetGetter<ReadOnlyMemory<char>>(schema["Name"]);
        var features = cursor.GetGetter<VBuffer<float>>(schema["Features"]);
        var rowIds = cursor.GetIdGetter();
        var seen = new List<int>();
        var outputs = new float[model.OutputCount];
        int id = 0;
        ReadOnlyMemory<char> name = default;
        VBuffer<float> vector = default;
        DataViewRowId rowId = default;
        var rowIdsSeen = new HashSet<DataViewRowId>();
        using (cursor)
        {
            var scores = Scores(cursor, model.Task);
            while (cursor.MoveNext())
            {
                Assert.AreEqual(seen.Count, cursor.Position, "positions count the rows served");
                ids(ref id);
                names(ref name);
                features(ref vector);
                rowIds(ref rowId);
                var row = rows[id];
                Assert.AreEqual(row.Name, name.ToString(), $"Name of row {id}");
                CollectionAssert.AreEqual(row.Features, vector.DenseValues().ToArray(), $"Features of row {id}");
                Assert.IsTrue(rowIdsSeen.Add(rowId), $"row id {rowId} of row {id} served twice");
                model.PredictRaw(row.Features, 1, outputs);
                scores(outputs, id);
                seen.Add(id);
                onRow?.Invoke();
            }
        }

        return seen;
    }

    /// <summary>Reads the task's prediction columns and compares them with what the raw outputs imply.</summary>
    private static Action<float[], int> Scores(DataViewRowCursor cursor, SparseMlpTask task)
    {
        var schema = cursor.Schema;
        switch (task)
        {
            case SparseMlpTask.MulticlassClassification:
            {
                var score = cursor.GetGetter<VBuffer<float>>(schema["Score"]);
                var label = cursor.GetGetter<uint>(schema["PredictedLabel"]);
                return (raw, id) =>
                {
                    VBuffer<float> value = default;
                    uint key = 0;
                    score(ref value);
                    label(ref key);
                    var expected = raw.ToArray();
                    Softmax.InPlace(expected);
                    CollectionAssert.AreEqual(expected, value.DenseValues().ToArray(), $"Score of row {id}");
                    Assert.AreEqual((uint)System.Numerics.Tensors.TensorPrimitives.IndexOfMax(expected) + 1, key, $"PredictedLabel of row {id}");
                };
            }
            case SparseMlpTask.BinaryClassification:
            {
                var score = cursor.GetGetter<float>(schema["Score"]);
                var probability = cursor.GetGetter<float>(schema["Probability"]);
                var label = cursor.GetGetter<bool>(schema["PredictedLabel"]);
                return (raw, id) =>
                {
                    float s = 0, p = 0;
                    bool positive = false;
                    score(ref s);
                    probability(ref p);
                    label(ref positive);
                    Assert.AreEqual(raw[0], s, $"Score of row {id}");
                    Assert.AreEqual(1f / (1f + MathF.Exp(-raw[0])), p, 1e-6f, $"Probability of row {id}");
                    Assert.AreEqual(raw[0] > 0, positive, $"PredictedLabel of row {id}");
                };
            }
            default:
            {
                var score = cursor.GetGetter<float>(schema["Score"]);
                return (raw, id) =>
                {
                    float s = 0;
                    score(ref s);
                    Assert.AreEqual(raw[0], s, $"Score of row {id}");
                };
            }
        }
    }

    /// <summary>A 12-16-8-k network with 70 % of its weights zeroed (CSR layers) and rows named by their index.</summary>
    private static (MLContext Ml, SparseMlpPredictionTransformer Model, Row[] Rows) Setup(SparseMlpTask task, int seed)
    {
        var random = new Random(seed);
        int outputs = task == SparseMlpTask.MulticlassClassification ? 5 : 1;
        var parameters = MlpParameters.Initialize([Inputs, 16, 8, outputs], seed);
        foreach (var w in parameters.Weights)
        {
            for (int i = 0; i < w.Length; i++)
                w[i] = random.NextDouble() < 0.3 ? w[i] * 3 : 0f;
        }

        var network = CompactMlp.FromParameters(parameters);
        var model = new SparseMlpModelParameters(task, network, [], parameters.LayerSizes, new float[3], parameters.CountNonZeroWeights(), null);
        var rows = Enumerable.Range(0, s_rowCount).Select(i => new Row
        {
            Id = i,
            Name = $"row {i}",
            Features = Infrastructure.TestData.Uniform(random, Inputs, 2f),
        }).ToArray();
        return (new MLContext(seed), new SparseMlpPredictionTransformer(model, "Features"), rows);
    }
}
