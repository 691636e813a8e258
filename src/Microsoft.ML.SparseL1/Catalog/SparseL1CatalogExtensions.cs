// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.SparseL1;

namespace Microsoft.ML;

// ML.NET's catalog convention, which users expect: a simple overload with optional parameters beside the Options overload
// (as LightGbm and LbfgsMaximumEntropy have); the second overload takes no optional parameter, so calls stay unambiguous.
#pragma warning disable RS0026 // Do not add multiple public overloads with optional parameters
/// <summary>
/// <c>mlContext.{MulticlassClassification, BinaryClassification, Regression}.Trainers.SparseMlp(...)</c>. The only
/// catalog code that uses ML.NET internals (<c>IInternalCatalog.Environment</c>, to reach the MLContext).
/// </summary>
public static class SparseL1CatalogExtensions
{
    /// <summary>A sparse MLP for multiclass classification reaching <paramref name="targetSparsity"/>.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The label column: a key (use <c>MapValueToKey</c>).</param>
    /// <param name="featureColumnName">The feature column: a known-size vector of Single.</param>
    /// <param name="hiddenLayerSizes">Hidden layer sizes; null for <c>[100]</c>.</param>
    /// <param name="targetSparsity">Fraction of weights that are exactly zero, in [0, 1).</param>
    /// <returns>The trainer.</returns>
    public static SparseMlpMulticlassTrainer SparseMlp(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", int[]? hiddenLayerSizes = null,
        float targetSparsity = SparseMlpOptionsBase.Defaults.TargetSparsity) =>
        SparseMlp(catalog, Simple(new SparseMlpMulticlassTrainer.Options(), labelColumnName, featureColumnName, hiddenLayerSizes, targetSparsity));

    /// <summary>A sparse MLP for multiclass classification with all options.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="options">The options.</param>
    /// <returns>The trainer.</returns>
    public static SparseMlpMulticlassTrainer SparseMlp(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        SparseMlpMulticlassTrainer.Options options) => new(Environment(catalog), options);

    /// <summary>A sparse MLP for binary classification reaching <paramref name="targetSparsity"/>.</summary>
    /// <param name="catalog">The binary trainers catalog.</param>
    /// <param name="labelColumnName">The label column: Boolean.</param>
    /// <param name="featureColumnName">The feature column: a known-size vector of Single.</param>
    /// <param name="hiddenLayerSizes">Hidden layer sizes; null for <c>[100]</c>.</param>
    /// <param name="targetSparsity">Fraction of weights that are exactly zero, in [0, 1).</param>
    /// <returns>The trainer.</returns>
    public static SparseMlpBinaryTrainer SparseMlp(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", int[]? hiddenLayerSizes = null,
        float targetSparsity = SparseMlpOptionsBase.Defaults.TargetSparsity) =>
        SparseMlp(catalog, Simple(new SparseMlpBinaryTrainer.Options(), labelColumnName, featureColumnName, hiddenLayerSizes, targetSparsity));

    /// <summary>A sparse MLP for binary classification with all options.</summary>
    /// <param name="catalog">The binary trainers catalog.</param>
    /// <param name="options">The options.</param>
    /// <returns>The trainer.</returns>
    public static SparseMlpBinaryTrainer SparseMlp(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        SparseMlpBinaryTrainer.Options options) => new(Environment(catalog), options);

    /// <summary>A sparse MLP for regression reaching <paramref name="targetSparsity"/>.</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="labelColumnName">The label column: Single.</param>
    /// <param name="featureColumnName">The feature column: a known-size vector of Single.</param>
    /// <param name="hiddenLayerSizes">Hidden layer sizes; null for <c>[100]</c>.</param>
    /// <param name="targetSparsity">Fraction of weights that are exactly zero, in [0, 1).</param>
    /// <returns>The trainer.</returns>
    public static SparseMlpRegressionTrainer SparseMlp(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", int[]? hiddenLayerSizes = null,
        float targetSparsity = SparseMlpOptionsBase.Defaults.TargetSparsity) =>
        SparseMlp(catalog, Simple(new SparseMlpRegressionTrainer.Options(), labelColumnName, featureColumnName, hiddenLayerSizes, targetSparsity));

    /// <summary>A sparse MLP for regression with all options.</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="options">The options.</param>
    /// <returns>The trainer.</returns>
    public static SparseMlpRegressionTrainer SparseMlp(this RegressionCatalog.RegressionTrainers catalog,
        SparseMlpRegressionTrainer.Options options) => new(Environment(catalog), options);

    private static IHostEnvironment Environment(object catalog) => ((IInternalCatalog)catalog).Environment;

    private static TOptions Simple<TOptions>(TOptions options, string label, string features, int[]? hidden, float targetSparsity)
        where TOptions : SparseMlpOptionsBase
    {
        options.LabelColumnName = label;
        options.FeatureColumnName = features;
        options.HiddenLayerSizes = hidden ?? options.HiddenLayerSizes;
        options.TargetSparsity = targetSparsity;
        return options;
    }
}
#pragma warning restore RS0026
