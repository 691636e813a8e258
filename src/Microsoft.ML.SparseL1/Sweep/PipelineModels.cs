// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using Microsoft.ML.Data;

namespace Microsoft.ML.SparseL1.Sweep;

/// <summary>What sweeps and experiments read from a fitted pipeline: its sparse network, and how long a row takes to score.</summary>
internal static class PipelineModels
{
    /// <summary>The network of the pipeline's sparse MLP (the last one, when it holds several).</summary>
    /// <exception cref="ArgumentException">The pipeline holds no sparse MLP.</exception>
    public static SparseMlpModelParameters Network(ITransformer model) =>
        Find(model)?.Model ?? throw new ArgumentException("The swept pipeline must contain a sparse MLP trainer (SparseMlp).", nameof(model));

    // Chains nest when a chain is appended to a chain (a.Append(b.Append(trainer))), and a model loaded from its zip may
    // come back as a chain of one: search them depth first, last first.
    private static SparseMlpPredictionTransformer? Find(ITransformer model) => model switch
    {
        SparseMlpPredictionTransformer t => t,
        IEnumerable<ITransformer> chain => chain.Reverse().Select(Find).FirstOrDefault(t => t is not null),
        _ => null,
    };

    /// <summary>
    /// Microseconds a row takes through the model's <c>Transform</c>, read by a cursor over the Score column of the first
    /// <paramref name="rows"/> rows of <paramref name="data"/> (the batch path a user's Evaluate or Transform takes), after
    /// one untimed pass: the fastest of <see cref="TimedPasses"/> passes.
    /// </summary>
    public static double LatencyMicroseconds(ITransformer model, IDataView data, int rows)
    {
        var scored = model.Transform(new MLContext(seed: 0).Data.TakeRows(data, rows));
        // The first pass compiles the scoring code (on a fresh process, several times the later passes' time); of the timed
        // passes the fastest is kept, the one least disturbed by the rest of the machine.
        long count = ScoreRows(scored);
        double fastest = double.PositiveInfinity;
        for (int pass = 0; pass < TimedPasses; pass++)
        {
            var clock = Stopwatch.StartNew();
            ScoreRows(scored);
            fastest = Math.Min(fastest, clock.Elapsed.TotalMilliseconds);
        }

        return count == 0 ? 0 : fastest * 1000 / count;
    }

    /// <summary>Timed passes over the rows.</summary>
    private const int TimedPasses = 3;

    /// <summary>Reads the Score column of every row; returns the row count.</summary>
    private static long ScoreRows(IDataView scored)
    {
        var score = scored.Schema["Score"];
        long count = 0;
        using (var cursor = scored.GetRowCursor([score]))
        {
            Delegate getter = score.Type is VectorDataViewType ? cursor.GetGetter<VBuffer<float>>(score) : cursor.GetGetter<float>(score);
            VBuffer<float> vector = default;
            float scalar = 0;
            while (cursor.MoveNext())
            {
                if (getter is ValueGetter<VBuffer<float>> vectorGetter)
                    vectorGetter(ref vector);
                else
                    ((ValueGetter<float>)getter)(ref scalar);
                count++;
            }
        }

        return count;
    }
}
