// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using SparseL1.Bench.Defaults.Shared;

namespace SparseL1.Bench.Defaults;

/// <summary>One CSV file in data/: header row, features first, the label in the last column.</summary>
internal sealed record DataSet(string Name, MlTask Task, string LabelColumn)
{
    /// <summary>The sets of the benchmark, in the order they run (the small ones first).</summary>
    public static readonly DataSet[] All =
    [
        new("wine", MlTask.Multiclass, "label"),
        new("digits", MlTask.Multiclass, "label"),
        new("breast_cancer", MlTask.Binary, "label"),
        new("diabetes", MlTask.Regression, "label"),
        new("boston", MlTask.Regression, "label"),
        // The paper's Mackey-Glass set; here cross-validated on random folds, not the paper's fixed row split.
        new("mg", MlTask.Regression, "y"),
    ];
}

internal static class DataLoading
{
    /// <summary>
    /// Parses the CSV ourselves (rather than with TextLoader) to check the header and the label values, and keeps the
    /// rows in memory so that every trainer's fit time excludes parsing. Multiclass labels become keys here, once,
    /// ordered by value, so that every fold and every trainer sees the same classes.
    /// </summary>
    public static LoadedData Load(MLContext ml, DataSet set, string dataDirectory)
    {
        string path = Path.Combine(dataDirectory, set.Name + ".csv");
        string[] lines = File.ReadAllLines(path).Where(line => line.Length > 0).ToArray();
        string[] header = lines[0].Split(',');
        if (header[^1] != set.LabelColumn)
            throw new InvalidDataException($"{path}: the last column is '{header[^1]}', expected the label '{set.LabelColumn}'.");

        int featureCount = header.Length - 1;
        var rows = new LabelledRow[lines.Length - 1];
        for (int i = 0; i < rows.Length; i++)
        {
            string[] cells = lines[i + 1].Split(',');
            if (cells.Length != header.Length)
                throw new InvalidDataException($"{path} line {i + 2}: {cells.Length} fields, the header has {header.Length}.");
            float[] values = cells.Select(cell => float.Parse(cell, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
            rows[i] = new LabelledRow(values[..featureCount], values[^1]);
        }

        int classes = set.Task == MlTask.Regression ? 0 : CheckClassLabels(path, rows.Select(row => row.Label).ToArray());
        if (set.Task == MlTask.Binary && classes != 2)
            throw new InvalidDataException($"{path}: a binary set needs labels 0 and 1, found {classes} classes.");

        IDataView view = set.Task == MlTask.Binary
            ? ml.Data.LoadFromEnumerable(rows.Select(row => new BinaryRow { Features = row.Features, Label = row.Label == 1 }).ToArray(), Schema<BinaryRow>(featureCount))
            : ml.Data.LoadFromEnumerable(rows.Select(row => new FloatRow { Features = row.Features, Label = row.Label }).ToArray(), Schema<FloatRow>(featureCount));
        if (set.Task == MlTask.Multiclass)
            view = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(view).Transform(view);
        return new LoadedData(view, rows.Length, featureCount, classes);
    }

    /// <summary>Class labels must be the integers 0..k-1, each present; returns k.</summary>
    private static int CheckClassLabels(string path, float[] labels)
    {
        float[] distinct = labels.Distinct().Order().ToArray();
        for (int k = 0; k < distinct.Length; k++)
        {
            if (distinct[k] != k)
                throw new InvalidDataException($"{path}: class labels must be 0..k-1; found {string.Join(", ", distinct)}.");
        }

        return distinct.Length;
    }

    /// <summary>The trainers need a known-size feature vector, which a plain float[] property does not declare.</summary>
    private static SchemaDefinition Schema<TRow>(int featureCount)
    {
        var schema = SchemaDefinition.Create(typeof(TRow));
        schema[nameof(FloatRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        return schema;
    }

    private sealed record LabelledRow(float[] Features, float Label);

    // Internal, not private: ML.NET builds the column getters of these row classes by reflection.
    internal sealed class FloatRow
    {
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    internal sealed class BinaryRow
    {
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }
}
