// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.IO;
using Microsoft.ML.SparseL1.Model;

namespace Microsoft.ML.SparseL1;

/// <summary>
/// The fitted sparse MLP: appends the prediction columns to its input (multiclass <c>Score</c> vector and key
/// <c>PredictedLabel</c>; binary <c>Score</c>, <c>Probability</c>, <c>PredictedLabel</c>; regression <c>Score</c>).
/// Saved into and loaded from the ML.NET model zip by <c>mlContext.Model.Save/Load</c>.
/// </summary>
public sealed class SparseMlpPredictionTransformer : ISingleFeaturePredictionTransformer<SparseMlpModelParameters>
{
    internal SparseMlpPredictionTransformer(SparseMlpModelParameters model, string featureColumnName)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        FeatureColumnName = featureColumnName;
        FeatureColumnType = new VectorDataViewType(NumberDataViewType.Single, model.InputCount);
    }

    /// <summary>The trained network.</summary>
    public SparseMlpModelParameters Model { get; }

    /// <summary>The feature column the model reads.</summary>
    public string FeatureColumnName { get; }

    /// <summary>A vector of <see cref="float"/> of the model's input size.</summary>
    public DataViewType FeatureColumnType { get; }

    /// <summary>Always true: prediction engines can score single rows.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The input schema with the prediction columns appended.</summary>
    /// <param name="inputSchema">The schema of the data to score.</param>
    /// <returns>The output schema.</returns>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => GetRowToRowMapper(inputSchema).OutputSchema;

    /// <summary>A row mapper for single-row scoring (prediction engines).</summary>
    /// <param name="inputSchema">The schema of the rows to score.</param>
    /// <returns>The mapper.</returns>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new SparseMlpRowMapper(Model, FeatureColumnName, inputSchema);
    }

    /// <summary>Scores <paramref name="input"/> lazily.</summary>
    /// <param name="input">Data with the feature column.</param>
    /// <returns>The input with the prediction columns appended.</returns>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new ScoredDataView(input, new SparseMlpRowMapper(Model, FeatureColumnName, input.Schema));
    }

    /// <summary>Writes the model into an ML.NET model zip (called by <c>mlContext.Model.Save</c>).</summary>
    /// <param name="ctx">ML.NET's save context.</param>
    void ICanSaveModel.Save(ModelSaveContext ctx) => MlNetZipPersistence.Save(ctx, this);
}
