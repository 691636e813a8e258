// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.ML.Runtime;

namespace Microsoft.ML.SparseL1;

/// <summary>A sparse l1-regularized MLP for multiclass classification (label: a key; outputs Score vector and PredictedLabel key).</summary>
public sealed class SparseMlpMulticlassTrainer : SparseMlpTrainerBase<SparseMlpMulticlassTrainer.Options>
{
    /// <summary>Creates the trainer.</summary>
    /// <param name="context">The ML.NET context (its log receives progress).</param>
    /// <param name="options">Training options; see <see cref="SparseMlpOptionsBase"/>.</param>
    public SparseMlpMulticlassTrainer(MLContext context, Options options)
        : base(context, options, SparseMlpTask.MulticlassClassification)
    {
    }

    internal SparseMlpMulticlassTrainer(IHostEnvironment environment, Options options)
        : base(environment, options, SparseMlpTask.MulticlassClassification)
    {
    }

    /// <summary>Options of <see cref="SparseMlpMulticlassTrainer"/>.</summary>
    public sealed class Options : SparseMlpOptionsBase
    {
    }
}
