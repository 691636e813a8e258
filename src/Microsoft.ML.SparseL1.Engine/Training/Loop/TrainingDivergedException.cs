// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Training.Loop;

/// <summary>The training loss became NaN or infinite; the caller may retry with a smaller step.</summary>
internal sealed class TrainingDivergedException : InvalidOperationException
{
    public TrainingDivergedException(float learningRate, string message)
        : base(message)
    {
        LearningRate = learningRate;
    }

    /// <summary>The step size that diverged.</summary>
    public float LearningRate { get; }
}
