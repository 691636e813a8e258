// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.ML.Runtime;

namespace Microsoft.ML.SparseL1;

/// <summary>A sparse l1-regularized MLP for regression (label: Single; output Score; squared error without the 1/2, as in the paper).</summary>
public sealed class SparseMlpRegressionTrainer : SparseMlpTrainerBase<SparseMlpRegressionTrainer.Options>
{
    /// <summary>Creates the trainer.</summary>
    /// <param name="context">The ML.NET context (its log receives progress).</param>
    /// <param name="options">Training options; see <see cref="SparseMlpOptionsBase"/>.</param>
    public SparseMlpRegressionTrainer(MLContext context, Options options)
        : base(context, options, SparseMlpTask.Regression)
    {
    }

    internal SparseMlpRegressionTrainer(IHostEnvironment environment, Options options)
        : base(environment, options, SparseMlpTask.Regression)
    {
    }

    /// <summary>Options of <see cref="SparseMlpRegressionTrainer"/>.</summary>
    public sealed class Options : SparseMlpOptionsBase
    {
    }
}
