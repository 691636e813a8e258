// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Passes;

namespace Microsoft.ML.SparseL1.Selection;

/// <summary>
/// The weighted share of rows a network misclassifies: the class of the largest output (multiclass) or the sign of
/// the output (binary) against the label. A choice between encodings of the inputs reads it rather than the
/// cross-entropy, which a network with sharper fits can raise while it classifies more rows right.
/// </summary>
internal static class ValidationError
{
    /// <summary>The weighted error rate of <paramref name="parameters"/> on <paramref name="data"/>, in data order.</summary>
    /// <param name="parameters">The network.</param>
    /// <param name="data">The rows, with class indices (multiclass) or 0/1 labels (binary).</param>
    /// <param name="loss">The classification loss the network was trained with.</param>
    /// <param name="batchSize">Rows a forward pass takes at once.</param>
    /// <param name="threads">Threads of each pass.</param>
    public static double Rate(MlpParameters parameters, TrainingData data, LossKind loss, int batchSize, int threads)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(data);
        if (loss == LossKind.SquaredError)
            throw new ArgumentException("An error rate is for classification; regression is scored by its loss.", nameof(loss));
        int batch = Math.Clamp(batchSize, 1, Math.Max(1, data.Rows));
        int outputs = parameters.OutputSize;
        var pass = new BatchGradient(data, loss, parameters.LayerSizes, batch, threads);
        double wrong = 0, total = 0;
        for (int start = 0; start < data.Rows; start += batch)
        {
            int rows = Math.Min(batch, data.Rows - start);
            // The forward pass of the loss leaves each row's outputs in place.
            pass.ForwardLoss(parameters, start, rows);
            ReadOnlySpan<float> z = pass.Network.Outputs(rows);
            for (int i = 0; i < rows; i++)
            {
                float weight = data.WeightOf(start + i);
                float label = data.Labels[start + i];
                var row = z.Slice(i * outputs, outputs);
                bool right = loss == LossKind.SigmoidLogLoss ? row[0] > 0 == label > 0.5f : Model.PredictedClass.Of(row) == (int)label;
                total += weight;
                if (!right)
                    wrong += weight;
            }
        }

        return total > 0 ? wrong / total : 0;
    }
}
