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
        /// <summary>
        /// Clamp each score of the delivered network to the range of the training labels (finite scores only; NaN and
        /// infinities pass as they are), as a tree ensemble's scores stay within its leaves': inside the input range a
        /// ReLU network can still combine several large inputs into a score far beyond any label (on the Ames houses, several
        /// times the price of a house larger than any training row's: docs/algorithm.md §6). The range is saved with the
        /// model and exported to ONNX; scores inside it are exactly as without it. Default true; false lets the network score
        /// beyond the labels it saw (a trend the training labels do not cover).
        /// </summary>
        public bool ClampScoresToLabelRange { get; set; } = true;
    }
}
