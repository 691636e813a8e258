// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.ML.SparseL1.Training.Passes;

namespace Microsoft.ML.SparseL1;

/// <summary>The prediction task a sparse MLP was trained for.</summary>
public enum SparseMlpTask
{
    /// <summary>K classes; softmax cross-entropy; label a key; outputs Score (K probabilities) and PredictedLabel.</summary>
    MulticlassClassification = 0,

    /// <summary>Two classes; sigmoid log-loss; label Boolean; outputs Score (margin), Probability and PredictedLabel.</summary>
    BinaryClassification = 1,

    /// <summary>Squared error; label Single; outputs Score.</summary>
    Regression = 2,
}

/// <summary>Task-dependent constants.</summary>
internal static class SparseMlpTaskExtensions
{
    public static LossKind Loss(this SparseMlpTask task) => task switch
    {
        SparseMlpTask.MulticlassClassification => LossKind.SoftmaxCrossEntropy,
        SparseMlpTask.BinaryClassification => LossKind.SigmoidLogLoss,
        _ => LossKind.SquaredError,
    };
}
