// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;

namespace Microsoft.ML.SparseL1.Training.Data;

/// <summary>
/// Feature (and regression label) standardization: the training data is trained on as (x − mean) / scale (in sparse
/// storage, rare columns as x / max |x| so zeros stay zeros, and the centring of dense columns as an offset), and the
/// affine maps are folded into the trained network afterwards, so the delivered network takes raw features and
/// returns raw-scale outputs. Folding multiplies or divides weights by positive scales, so zeros stay zeros.
/// </summary>
internal sealed class Standardization
{
    private Standardization(double[] means, double[] scales, double labelMean, double labelScale)
    {
        Means = means;
        Scales = scales;
        LabelMean = labelMean;
        LabelScale = labelScale;
    }

    /// <summary>Per feature: the mean subtracted.</summary>
    public double[] Means { get; }

    /// <summary>Per feature: the divisor (the standard deviation, 1 for a constant feature, which is only centred; for sparse features the largest magnitude).</summary>
    public double[] Scales { get; }

    /// <summary>The label's mean (0 when the label is left as it is).</summary>
    public double LabelMean { get; }

    /// <summary>The label's divisor (1 when the label is left as it is).</summary>
    public double LabelScale { get; }

    /// <summary>Measures the training data (unweighted population moments, in double; in data-parallel training of all shards together, each sum added over the ranks in rank order).</summary>
    /// <param name="data">The training data.</param>
    /// <param name="standardizeLabel">Standardize the label too (regression).</param>
    public static Standardization Measure(TrainingData data, bool standardizeLabel)
    {
        var (means, scales) = data.Sparse is { } sparse ? MeasureSparse(sparse, data) : MeasureDense(data);
        double labelMean = 0, labelScale = 1;
        if (standardizeLabel)
        {
            Span<double> sum = [0];
            foreach (float y in data.Labels)
                sum[0] += y;
            SumOverRanks(data, sum);
            labelMean = sum[0] / data.GlobalRows;
            Span<double> labelSquares = [0];
            foreach (float y in data.Labels)
                labelSquares[0] += (y - labelMean) * (y - labelMean);
            SumOverRanks(data, labelSquares);
            labelScale = ScaleOf(labelSquares[0] / data.GlobalRows, labelMean);
        }

        return new Standardization(means, scales, labelMean, labelScale);
    }

    /// <summary>
    /// Sparse storage: a column that is nonzero in at least half the rows (a numeric column beside a one-hot block) is
    /// standardized as dense data is, by its mean and standard deviation; its centring is not applied to the stored
    /// values (that would fill its zeros) but kept as an offset the first layer's products subtract exactly
    /// (<see cref="CsrFeatures.ColumnOffsets"/>). A rarer column (a word, a category) is divided by its largest magnitude
    /// and not centred: a word in a fraction p of the rows has sd ≈ √p, and dividing by it would blow rare words up to
    /// 1/√p, where the l1 penalty costs least (measured on a rule over 3 of 2,000 slots: docs/sparse-input.md).
    /// </summary>
    private static (double[] Means, double[] Scales) MeasureSparse(CsrFeatures x, TrainingData data)
    {
        var sums = new double[x.ColumnCount];
        var squares = new double[x.ColumnCount];
        var largest = new double[x.ColumnCount];
        var present = new int[x.ColumnCount];
        for (int k = 0; k < x.NonZeroCount; k++)
        {
            int c = x.Columns[k];
            double v = x.Values[k];
            sums[c] += v;
            squares[c] += v * v;
            largest[c] = Math.Max(largest[c], Math.Abs(v));
            present[c]++;
        }

        SumOverRanks(data, sums);
        SumOverRanks(data, squares);
        SumOverRanks(data, present);
        if (data.Shard is { } shard)
            Distributed.Collectives.Max(shard.Communicator, largest);
        int rows = data.GlobalRows;

        var means = new double[x.ColumnCount];
        var scales = new double[x.ColumnCount];
        for (int c = 0; c < scales.Length; c++)
        {
            if (2L * present[c] >= rows)
            {
                means[c] = sums[c] / rows;
                scales[c] = ScaleOf(Math.Max(0, squares[c] / rows - means[c] * means[c]), means[c]);
            }
            else
            {
                scales[c] = largest[c] > 0 ? largest[c] : 1;
            }
        }

        return (means, scales);
    }

    private static (double[] Means, double[] Scales) MeasureDense(TrainingData data)
    {
        int columns = data.Columns;
        var means = new double[columns];
        var squares = new double[columns];
        float[] x = data.Features;
        for (int r = 0; r < data.Rows; r++)
        {
            var row = x.AsSpan(r * columns, columns);
            for (int c = 0; c < columns; c++)
                means[c] += row[c];
        }

        SumOverRanks(data, means);
        for (int c = 0; c < columns; c++)
            means[c] /= data.GlobalRows;
        for (int r = 0; r < data.Rows; r++)
        {
            var row = x.AsSpan(r * columns, columns);
            for (int c = 0; c < columns; c++)
            {
                double d = row[c] - means[c];
                squares[c] += d * d;
            }
        }

        SumOverRanks(data, squares);
        var scales = new double[columns];
        for (int c = 0; c < columns; c++)
            scales[c] = ScaleOf(squares[c] / data.GlobalRows, means[c]);
        return (means, scales);
    }

    /// <summary>Adds each value over the ranks of a data-parallel fit (nothing for one process).</summary>
    private static void SumOverRanks(TrainingData data, Span<double> values)
    {
        if (data.Shard is { } shard)
            Distributed.Collectives.Sum(shard.Communicator, values);
    }

    private static void SumOverRanks(TrainingData data, int[] counts)
    {
        if (data.Shard is null)
            return;
        var values = Array.ConvertAll(counts, c => (double)c);
        SumOverRanks(data, values);
        for (int c = 0; c < counts.Length; c++)
            counts[c] = checked((int)values[c]);
    }

    /// <summary>Standardizes the data in place.</summary>
    public void Apply(TrainingData data)
    {
        int columns = data.Columns;
        var inverse = new float[columns];
        var offsets = new float[columns];
        for (int c = 0; c < columns; c++)
        {
            inverse[c] = (float)(1.0 / Scales[c]);
            offsets[c] = (float)Means[c];
        }

        if (data.Sparse is { } sparse)
        {
            for (int k = 0; k < sparse.NonZeroCount; k++)
                sparse.Values[k] *= inverse[sparse.Columns[k]];
            if (Means.Any(m => m != 0))
                sparse.ColumnOffsets = Means.Select((m, c) => (float)(m / Scales[c])).ToArray();
        }
        else
        {
            float[] x = data.Features;
            for (int r = 0; r < data.Rows; r++)
            {
                var row = x.AsSpan(r * columns, columns);
                for (int c = 0; c < columns; c++)
                    row[c] = (row[c] - offsets[c]) * inverse[c];
            }
        }

        if (LabelMean != 0 || LabelScale != 1)
        {
            float[] y = data.Labels;
            for (int r = 0; r < y.Length; r++)
                y[r] = (float)((y[r] - LabelMean) / LabelScale);
        }
    }

    /// <summary>
    /// Rewrites the network trained on standardized data into one that takes raw features and returns raw outputs:
    /// W₁' = W₁·diag(1/s), b₁' = b₁ − W₁'·m; for the label, W_D' = s_y·W_D, b_D' = s_y·b_D + m_y.
    /// </summary>
    public void FoldInto(MlpParameters parameters)
    {
        int inputs = parameters.InputSize, outputs = parameters.LayerSizes[1];
        float[] w = parameters.Weights[0], b = parameters.Biases[0];
        for (int o = 0; o < outputs; o++)
        {
            var row = w.AsSpan(o * inputs, inputs);
            double shift = 0;
            for (int i = 0; i < inputs; i++)
            {
                if (row[i] == 0f)
                    continue;
                double scaled = row[i] / Scales[i];
                row[i] = (float)scaled;
                shift += scaled * Means[i];
            }

            b[o] = (float)(b[o] - shift);
        }

        if (LabelMean == 0 && LabelScale == 1)
            return;
        float[] last = parameters.Weights[^1], lastBias = parameters.Biases[^1];
        for (int i = 0; i < last.Length; i++)
            last[i] = (float)(last[i] * LabelScale);
        for (int o = 0; o < lastBias.Length; o++)
            lastBias[o] = (float)(lastBias[o] * LabelScale + LabelMean);
    }

    // A spread below float resolution at the mean's magnitude is rounding noise, not signal: such a column is treated as
    // constant (centred, not scaled), so it cannot blow its weights up by 1/σ.
    private static double ScaleOf(double variance, double mean)
    {
        double deviation = Math.Sqrt(variance);
        return deviation > 1e-6 * Math.Max(Math.Abs(mean), 1e-30) && deviation > 0 ? deviation : 1.0;
    }
}
