// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Training.Data;

/// <summary>
/// Training examples: the features as one row-major float matrix or, when they are mostly zeros, as compressed sparse
/// rows (<see cref="Sparse"/>); labels and optional example weights. What the engine trains on; built once (by the
/// ML.NET layer or a test) and never copied again.
/// </summary>
internal sealed class TrainingData
{
    /// <param name="features">Sparse features.</param>
    /// <param name="labels">Per row: the class index (multiclass), 0 or 1 (binary) or the target (regression).</param>
    /// <param name="exampleWeights">Optional non-negative weight of each example.</param>
    public TrainingData(CsrFeatures features, float[] labels, float[]? exampleWeights = null)
        : this([], features, labels, features.Rows, features.ColumnCount, exampleWeights)
    {
    }

    /// <param name="features">Rows x columns, row-major.</param>
    /// <param name="labels">Per row: the class index (multiclass), 0 or 1 (binary) or the target (regression).</param>
    /// <param name="rows">Number of examples.</param>
    /// <param name="columns">Number of features.</param>
    /// <param name="exampleWeights">Optional non-negative weight of each example.</param>
    public TrainingData(float[] features, float[] labels, int rows, int columns, float[]? exampleWeights = null)
        : this(features, null, labels, rows, columns, exampleWeights)
    {
    }

    private TrainingData(float[] features, CsrFeatures? sparse, float[] labels, int rows, int columns, float[]? exampleWeights)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if (sparse is null && features.Length != (long)rows * columns)
            throw new ArgumentException($"Expected {rows} x {columns} = {(long)rows * columns} feature values, got {features.Length}.", nameof(features));
        if (labels.Length != rows)
            throw new ArgumentException($"Expected {rows} labels, got {labels.Length}.", nameof(labels));
        if (exampleWeights is not null && exampleWeights.Length != rows)
            throw new ArgumentException($"Expected {rows} example weights, got {exampleWeights.Length}.", nameof(exampleWeights));

        Features = features;
        Sparse = sparse;
        Labels = labels;
        Rows = rows;
        Columns = columns;
        ExampleWeights = exampleWeights;
        TotalWeight = 0;
        for (int i = 0; i < rows; i++)
            TotalWeight += exampleWeights?[i] ?? 1f;
    }

    /// <summary>Rows x columns, row-major; empty when the features are <see cref="Sparse"/>.</summary>
    public float[] Features { get; }

    /// <summary>The features as compressed sparse rows, or null when they are dense.</summary>
    public CsrFeatures? Sparse { get; }

    public float[] Labels { get; }

    public float[]? ExampleWeights { get; }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>Sum of the example weights (the row count when unweighted): the mean's denominator.</summary>
    public double TotalWeight { get; }

    /// <summary>
    /// In data-parallel training, where these rows sit among all ranks' rows (set once the ranks agreed); null for one
    /// process. A set made by <see cref="Select"/> is a single-process set.
    /// </summary>
    public Distributed.ShardLayout? Shard { get; set; }

    /// <summary>Rows of the whole training set: all shards together in data-parallel training, else <see cref="Rows"/>.</summary>
    public int GlobalRows => Shard?.GlobalRows ?? Rows;

    /// <summary>Example weight of the whole training set (all shards together in data-parallel training).</summary>
    public double GlobalTotalWeight => Shard?.GlobalTotalWeight ?? TotalWeight;

    /// <summary>A new set of the rows <paramref name="rows"/>, kept in data order (sparse rows stay sparse).</summary>
    public TrainingData Select(int[] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int[] sorted = (int[])rows.Clone();
        Array.Sort(sorted);
        var labels = new float[sorted.Length];
        float[]? weights = ExampleWeights is null ? null : new float[sorted.Length];
        for (int i = 0; i < sorted.Length; i++)
        {
            labels[i] = Labels[sorted[i]];
            if (weights is not null)
                weights[i] = ExampleWeights![sorted[i]];
        }

        if (Sparse is { } sparse)
        {
            var builder = new CsrFeaturesBuilder(Columns, sorted.Length);
            foreach (int row in sorted)
                builder.Add(sparse.ColumnsOf(row), sparse.ValuesOf(row));
            var selected = builder.Build();
            selected.ColumnOffsets = sparse.ColumnOffsets;
            return new TrainingData(selected, labels, weights);
        }

        var features = new float[(long)sorted.Length * Columns];
        for (int i = 0; i < sorted.Length; i++)
            Array.Copy(Features, (long)sorted[i] * Columns, features, (long)i * Columns, Columns);
        return new TrainingData(features, labels, sorted.Length, Columns, weights);
    }

    /// <summary>
    /// A 64-bit digest (XxHash3) of this process's rows: the feature values (and, when sparse, their positions and column
    /// offsets), the labels and the example weights. Two sets that differ in any value differ here with near certainty;
    /// it names what a selection checkpoint was trained on (one pass over the data, small beside a training run).
    /// </summary>
    public long ContentDigest()
    {
        var hash = new System.IO.Hashing.XxHash3();
        if (Sparse is { } sparse)
        {
            hash.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(sparse.RowPointers.AsSpan()));
            // Only the stored entries: the arrays may have spare capacity beyond them.
            hash.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(sparse.Columns.AsSpan(0, sparse.NonZeroCount)));
            hash.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(sparse.Values.AsSpan(0, sparse.NonZeroCount)));
            hash.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes((sparse.ColumnOffsets ?? []).AsSpan()));
        }
        else
        {
            hash.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Features.AsSpan()));
        }

        hash.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Labels.AsSpan()));
        hash.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes((ExampleWeights ?? []).AsSpan()));
        return unchecked((long)hash.GetCurrentHashAsUInt64());
    }

    /// <summary>The weight of row <paramref name="row"/> (1 when unweighted).</summary>
    public float WeightOf(int row) => ExampleWeights?[row] ?? 1f;
}
