// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.ML.Runtime;

namespace Microsoft.ML.SparseL1;

/// <summary>A sparse l1-regularized MLP for binary classification (label: Boolean; outputs Score, Probability, PredictedLabel).</summary>
public sealed class SparseMlpBinaryTrainer : SparseMlpTrainerBase<SparseMlpBinaryTrainer.Options>
{
    /// <summary>Creates the trainer.</summary>
    /// <param name="context">The ML.NET context (its log receives progress).</param>
    /// <param name="options">Training options; see <see cref="SparseMlpOptionsBase"/>.</param>
    public SparseMlpBinaryTrainer(MLContext context, Options options)
        : base(context, options, SparseMlpTask.BinaryClassification)
    {
    }

    internal SparseMlpBinaryTrainer(IHostEnvironment environment, Options options)
        : base(environment, options, SparseMlpTask.BinaryClassification)
    {
    }

    /// <summary>Options of <see cref="SparseMlpBinaryTrainer"/>.</summary>
    public sealed class Options : SparseMlpOptionsBase
    {
    }
}
