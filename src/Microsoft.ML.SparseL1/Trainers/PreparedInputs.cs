// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Training.Data;

namespace Microsoft.ML.SparseL1.Trainers;

/// <summary>
/// The rows a network trains on, as the trainer prepares them from the rows it read: densified and encoded
/// piecewise-linearly when asked, then standardized; with what the delivered model needs to treat a row the same way.
/// </summary>
/// <param name="Data">The prepared rows.</param>
/// <param name="Range">The range of each input over the read rows, which the model clamps its inputs to; null when not clamped.</param>
/// <param name="Encoding">The piecewise-linear encoding of the inputs, or null.</param>
/// <param name="Standardization">The standardization, folded into the network after training, or null.</param>
internal sealed record PreparedInputs(TrainingData Data, InputRange? Range, PiecewiseLinearInputs? Encoding, Standardization? Standardization)
{
    /// <summary>
    /// Prepares <paramref name="read"/> with <paramref name="bins"/> (null: the inputs as they are). Without an encoding
    /// the read rows are standardized in place; with one, an encoded copy with its own labels is, and the read rows stay
    /// as they were (so that both can be prepared from one read).
    /// </summary>
    public static PreparedInputs Of(TrainingData read, int? bins, SparseMlpTask task, SparseMlpOptionsBase options)
    {
        var data = bins.HasValue ? Densified(read, options.FeatureColumnName) : read;
        var range = options.ClampInputsToTrainingRange ? RangeOf(data) : null;
        PiecewiseLinearInputs? encoding = null;
        if (bins is int count)
            (data, encoding) = Encode(data, count, options.FeatureColumnName);
        var standardization = options.Standardize ? Standardization.Measure(data, standardizeLabel: TaskDescriptor.For(task).StandardizesLabel) : null;
        standardization?.Apply(data);
        return new PreparedInputs(data, range, encoding, standardization);
    }

    /// <summary>
    /// The range of each input over the training rows (of every rank), which the delivered network clamps its inputs to
    /// (<see cref="InputRange"/>); none for sparse rows, whose implicit zeros a range could move.
    /// </summary>
    private static InputRange? RangeOf(TrainingData data)
    {
        if (data.Sparse is not null)
            return null;
        return RangeOver(data, data.Features, data.Columns);
    }

    /// <summary>
    /// The range of the labels over the read rows (of every rank), which a regression network clamps its scores to
    /// (<see cref="SparseMlpRegressionTrainer.Options.ClampScoresToLabelRange"/>); null for the other tasks or when not asked.
    /// Read before the labels are standardized.
    /// </summary>
    public static InputRange? LabelRange(TrainingData read, SparseMlpOptionsBase options)
    {
        if (options is not SparseMlpRegressionTrainer.Options { ClampScoresToLabelRange: true })
            return null;
        return RangeOver(read, read.Labels, 1);
    }

    /// <summary>
    /// The range of each of <paramref name="columns"/> columns of <paramref name="values"/> (row-major, <paramref name="data"/>'s
    /// rows) over every rank's rows: each rank's extremes gathered, in rank order.
    /// </summary>
    private static InputRange RangeOver(TrainingData data, float[] values, int columns)
    {
        var (lower, upper) = InputRange.Extremes(values, data.Rows, columns);
        if (data.Shard?.Communicator is { } communicator)
            (lower, upper) = (Distributed.Collectives.AllGather<float>(communicator, lower), Distributed.Collectives.AllGather<float>(communicator, upper));
        return InputRange.FromExtremes(lower, upper, columns);
    }

    /// <summary>The rows as dense rows: rows the reader stored sparse (many one-hot slots) are densified for the encoding.</summary>
    private static TrainingData Densified(TrainingData data, string featureColumn)
    {
        const string option = nameof(SparseMlpOptionsBase.PiecewiseLinearBins);
        if (data.Sparse is not { } sparse)
            return data;
        if ((long)data.Rows * data.Columns > Array.MaxLength)
        {
            throw new ArgumentException($"{option} needs the feature column '{featureColumn}' as dense rows, and its {data.Rows} rows of {data.Columns} slots (mostly zeros, as text gives) do not fit in one array; leave {option} null for such features.",
                option);
        }

        return new TrainingData(sparse.ToDense(data.Rows), data.Labels, data.Rows, data.Columns, data.ExampleWeights);
    }

    /// <summary>
    /// The dense training rows encoded piecewise-linearly, with a copy of their labels (standardizing the copy leaves the
    /// read rows' labels alone), and the encoding, measured on them (every row counts the same, whatever its example weight).
    /// </summary>
    private static (TrainingData Data, PiecewiseLinearInputs Encoding) Encode(TrainingData data, int bins, string featureColumn)
    {
        const string option = nameof(SparseMlpOptionsBase.PiecewiseLinearBins);
        float[] features = data.Features;
        var encoding = PiecewiseLinearInputs.Measure(features, data.Rows, data.Columns, bins);
        if ((long)data.Rows * encoding.Width > Array.MaxLength)
        {
            throw new ArgumentException($"{option} = {bins} encodes the {data.Columns} values of the feature column '{featureColumn}' into {encoding.Width} slots, and {data.Rows} rows of them do not fit in one array ({Array.MaxLength} values); use fewer bins or fewer rows.",
                option);
        }

        return (new TrainingData(encoding.EncodeRows(features, data.Rows), (float[])data.Labels.Clone(), data.Rows, encoding.Width, data.ExampleWeights), encoding);
    }
}
