// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using SparseL1.Bench.Defaults.Shared;

namespace SparseL1.Bench.Tabular;

/// <summary>
/// Reads a set's CSV with ML.NET's TextLoader and featurizes it as a user's pipeline does: categorical columns one-hot
/// encoded, missing numbers (NaN) replaced by the column mean, everything concatenated to <c>Features</c>; the label
/// becomes a key (multiclass), Boolean (binary) or Single (regression). No normalization.
/// </summary>
internal static class TabularLoading
{
    /// <summary>
    /// The featurizer is fitted once on the whole set (one-hot vocabularies and imputation means from all rows, no label
    /// information), like the label's key mapping, so every fold and trainer sees the same columns and classes; the result
    /// is cached in memory so fit times exclude parsing.
    /// </summary>
    public static LoadedData Load(MLContext ml, TabularSet set, string path)
    {
        string[] header = ReadHeader(path);
        if (!header.Contains(set.Label))
            throw new InvalidDataException($"{path}: no label column '{set.Label}'.");
        string[] missing = set.Categorical.Where(column => !header.Contains(column)).ToArray();
        if (missing.Length > 0)
            throw new InvalidDataException($"{path}: no categorical column(s) {string.Join(", ", missing)}.");

        var labelKind = set.Task switch { MlTask.Multiclass => DataKind.String, MlTask.Binary => DataKind.Boolean, _ => DataKind.Single };
        var columns = header.Select((name, index) =>
            name == set.Label ? new TextLoader.Column("Label", labelKind, index)
            : set.Categorical.Contains(name) ? new TextLoader.Column(name, DataKind.String, index)
            : new TextLoader.Column(name, DataKind.Single, index)).ToArray();
        var raw = ml.Data.CreateTextLoader(columns, separatorChar: ',', hasHeader: true, allowQuoting: true).Load(path);

        string[] numeric = header.Where(name => name != set.Label && !set.Categorical.Contains(name)).ToArray();
        IEstimator<ITransformer> pipeline = new EstimatorChain<ITransformer>();
        string[] parts = set.Categorical;
        if (numeric.Length > 0)
        {
            pipeline = pipeline.Append(ml.Transforms.Concatenate("Numeric", numeric)).Append(ml.Transforms.ReplaceMissingValues("Numeric"));
            parts = ["Numeric", .. parts];
        }

        if (set.Categorical.Length > 0)
            pipeline = pipeline.Append(ml.Transforms.Categorical.OneHotEncoding(set.Categorical.Select(column => new InputOutputColumnPair(column)).ToArray()));
        pipeline = pipeline.Append(ml.Transforms.Concatenate("Features", parts));
        if (set.Task == MlTask.Multiclass)
            pipeline = pipeline.Append(ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue));
        pipeline = pipeline.Append(ml.Transforms.SelectColumns("Label", "Features"));

        var view = ml.Data.Cache(pipeline.Fit(raw).Transform(raw));
        int rows = CountRows(view);
        int features = ((VectorDataViewType)view.Schema["Features"].Type).Size;
        int classes = set.Task switch { MlTask.Multiclass => (int)((KeyDataViewType)view.Schema["Label"].Type).Count, MlTask.Binary => 2, _ => 0 };
        return new LoadedData(view, rows, features, classes);
    }

    /// <summary>The header's column names, without R's quotes.</summary>
    private static string[] ReadHeader(string path)
    {
        using var reader = new StreamReader(path);
        string line = reader.ReadLine() ?? throw new InvalidDataException($"{path}: empty file.");
        return line.Split(',').Select(name => name.Trim().Trim('"')).ToArray();
    }

    /// <summary>Counts the rows, which also fills the cache.</summary>
    private static int CountRows(IDataView view)
    {
        int rows = 0;
        using var cursor = view.GetRowCursor(view.Schema);
        while (cursor.MoveNext())
            rows++;
        return rows;
    }
}
