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
    /// border). 0 for an input the network does not use or that is constant on the data.
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

        var sums = new double[size];
        var squares = new double[size];
        long rows = 0;
        using (var cursor = data.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> row = default;
            while (cursor.MoveNext())
            {
                getter(ref row);
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

        double[] importance = model.GetInputWeightNorms();
        for (int i = 0; i < size; i++)
        {
            double mean = rows == 0 ? 0 : sums[i] / rows;
            importance[i] *= rows == 0 ? 0 : Math.Sqrt(Math.Max(0, squares[i] / rows - mean * mean));
        }

        return importance;
    }
}
