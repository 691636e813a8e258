// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Data;

namespace Microsoft.ML.SparseL1;

/// <summary>How much a trained sparse MLP relies on each input, measured on data.</summary>
public static class InputImportanceExtensions
{
    /// <summary>
    /// Each input's first-layer weight norm times the input's standard deviation on <paramref name="data"/>: the
    /// weights in the standardized units the network was trained in (the delivered network has the standardization
    /// folded into its first layer, so its raw weights are large exactly for inputs that barely vary, such as an image's
    /// border). 0 for an input the network does not use or that is constant on the data. With a piecewise-linear input
    /// encoding (<see cref="SparseMlpOptionsBase.PiecewiseLinearBins"/>) each slot's norm is weighed by the slot's standard
    /// deviation on the data, and an input's importance is the root of the sum of its slots' squares.
    /// </summary>
    /// <param name="model">A trained model.</param>
    /// <param name="data">Rows with the feature column (the training rows, or rows like them).</param>
    /// <param name="featureColumnName">The feature column: a vector of <see cref="float"/> as long as the model's input.</param>
    /// <returns><see cref="SparseMlpModelParameters.InputCount"/> values.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The column is missing, not a vector of Single, or of another length.</exception>
    public static double[] GetInputImportance(this SparseMlpModelParameters model, IDataView data, string featureColumnName = "Features")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var column = SchemaChecks.Find(data.Schema, featureColumnName, "feature");
        int size = SchemaChecks.CheckFeatureType(column);
        if (size != model.InputCount)
            throw new ArgumentOutOfRangeException(nameof(featureColumnName), $"The feature column '{featureColumnName}' has {size} values; the model takes {model.InputCount}.");

        var network = model.Network;
        int slots = network.Layers[0].Inputs;
        var sums = new double[slots];
        var squares = new double[slots];
        // With an encoding each row is clamped and encoded as the predictor does, and the slots' spread is measured.
        float[] dense = network.Encoding is null ? [] : new float[size];
        float[] clamped = network.Encoding is null ? [] : new float[size];
        float[] encoded = network.Encoding is null ? [] : new float[slots];
        long rows = 0;
        using (var cursor = data.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> row = default;
            while (cursor.MoveNext())
            {
                getter(ref row);
                if (network.Encoding is not null)
                {
                    row.CopyTo(dense);
                    var encodedRow = network.FirstLayerInputs(dense, clamped, encoded);
                    for (int k = 0; k < slots; k++)
                    {
                        sums[k] += encodedRow[k];
                        squares[k] += (double)encodedRow[k] * encodedRow[k];
                    }

                    rows++;
                    continue;
                }

                var values = row.GetValues();
                var indices = row.IsDense ? default : row.GetIndices();
                for (int k = 0; k < values.Length; k++)
                {
                    int slot = row.IsDense ? k : indices[k];
                    sums[slot] += values[k];
                    squares[slot] += (double)values[k] * values[k];
                }

                rows++;
            }
        }

        // Per first-layer input: its weights' squares times its variance on the data.
        double[] weighted = model.FirstLayerColumnSquares();
        for (int i = 0; i < slots; i++)
        {
            double mean = rows == 0 ? 0 : sums[i] / rows;
            weighted[i] *= rows == 0 ? 0 : Math.Max(0, squares[i] / rows - mean * mean);
        }

        var importance = new double[size];
        for (int i = 0; i < slots; i++)
            importance[network.Encoding?.SlotSources[i] ?? i] += weighted[i];
        return Array.ConvertAll(importance, Math.Sqrt);
    }
}
