// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace SparseL1.Bench.Tabular;

/// <summary>
/// Measurement only (<c>Pre=ple:N</c>): the piecewise-linear encoding of numeric inputs of Gorishniy, Rubachev and Babenko
/// ("On Embeddings for Numerical Features in Tabular Deep Learning", NeurIPS 2022), before our trainer. Each input with
/// more than two distinct values in the training rows is cut at up to N quantile edges; its value becomes one ramp per
/// bin, clamp((x − left) / (right − left), 0, 1). Inputs with two values or fewer (one-hot slots) pass as they are.
/// </summary>
internal sealed class PiecewiseLinearEncoding : IEstimator<ITransformer>
{
    private readonly MLContext _ml;
    private readonly int _bins;

    public PiecewiseLinearEncoding(MLContext ml, int bins)
    {
        _ml = ml;
        _bins = bins;
    }

    public ITransformer Fit(IDataView input)
    {
        var column = input.Schema["Features"];
        int features = ((VectorDataViewType)column.Type).Size;
        var values = new List<float>[features];
        for (int f = 0; f < features; f++)
            values[f] = [];
        using (var cursor = input.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> row = default;
            while (cursor.MoveNext())
            {
                getter(ref row);
                var dense = row.DenseValues().ToArray();
                for (int f = 0; f < features; f++)
                    values[f].Add(dense[f]);
            }
        }

        var edges = new float[features][];
        for (int f = 0; f < features; f++)
        {
            var sorted = values[f].Where(float.IsFinite).Order().ToArray();
            var distinct = sorted.Distinct().ToArray();
            if (distinct.Length <= 2)
            {
                edges[f] = [];
                continue;
            }

            var cuts = Enumerable.Range(0, _bins + 1).Select(q => sorted[(int)Math.Round((double)q * (sorted.Length - 1) / _bins)]).Distinct().ToArray();
            edges[f] = cuts.Length >= 2 ? cuts : [];
        }

        int width = edges.Sum(e => e.Length == 0 ? 1 : e.Length - 1);
        var inputDefinition = SchemaDefinition.Create(typeof(InRow));
        inputDefinition["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features);
        var outputDefinition = SchemaDefinition.Create(typeof(OutRow));
        outputDefinition["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        Action<InRow, OutRow> map = (source, target) =>
        {
            var encoded = new float[width];
            int at = 0;
            for (int f = 0; f < features; f++)
            {
                float x = source.Features[f];
                var e = edges[f];
                if (e.Length == 0)
                {
                    encoded[at++] = x;
                    continue;
                }

                for (int b = 1; b < e.Length; b++)
                    encoded[at++] = Math.Clamp((x - e[b - 1]) / (e[b] - e[b - 1]), 0f, 1f);
            }

            target.Features = encoded;
        };
        return _ml.Transforms.CustomMapping(map, contractName: null, inputDefinition, outputDefinition).Fit(input);
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => inputSchema; // Features stays a float vector (of another size).

    private sealed class InRow
    {
        public float[] Features { get; set; } = [];
    }

    private sealed class OutRow
    {
        public float[] Features { get; set; } = [];
    }
}
