// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.Runtime;
using Microsoft.ML.SparseL1.Data;
using Microsoft.ML.SparseL1.Trainers;
using Microsoft.ML.Trainers;

namespace Microsoft.ML.SparseL1;

/// <summary>
/// The estimator shared by the three sparse MLP trainers: an MLP trained with l1 regularization on its weights by
/// proximal gradient steps (gradient step, then soft-thresholding, so weights become exactly zero), with λ either
/// fixed or chosen by the parameter-selection iteration of Shen, Wang, Xu and Yan (arXiv 2408.02801) to reach
/// target sparsity levels.
/// </summary>
/// <typeparam name="TOptions">The trainer's options type.</typeparam>
public abstract class SparseMlpTrainerBase<TOptions> : ITrainerEstimator<SparseMlpPredictionTransformer, SparseMlpModelParameters>
    where TOptions : SparseMlpOptionsBase
{
    private readonly IHostEnvironment _environment;
    private readonly SparseMlpTask _task;

    private protected SparseMlpTrainerBase(IHostEnvironment environment, TOptions options, SparseMlpTask task)
    {
        _environment = environment ?? throw new ArgumentNullException(nameof(environment));
        TrainerOptions = options ?? throw new ArgumentNullException(nameof(options));
        OptionsValidation.Validate(options);
        _task = task;
    }

    /// <summary>The options this trainer was created with.</summary>
    public TOptions TrainerOptions { get; }

    /// <summary>Features should be normalized (for example with <c>NormalizeMinMax</c>); no caching or calibration needed.</summary>
    public TrainerInfo Info => new(normalization: true, calibration: false, caching: false);

    /// <summary>Trains on <paramref name="input"/>.</summary>
    /// <param name="input">Training data with the label, feature and optional weight columns.</param>
    /// <returns>The fitted prediction transformer.</returns>
    public SparseMlpPredictionTransformer Fit(IDataView input) => SparseMlpFit.Fit(_environment, _task, TrainerOptions, input);

    /// <summary>Checks the input columns and returns the schema after the prediction columns are appended.</summary>
    /// <param name="inputSchema">The shape of the training data.</param>
    /// <returns>The output shape.</returns>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => SchemaChecks.CheckAndBuildOutputShape(inputSchema, _task, TrainerOptions);
}
