// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Data;
using Microsoft.ML.SparseL1.Persistence;
using Microsoft.ML.SparseL1.Scoring;

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

    /// <summary>
    /// The names of the inputs the network uses (<see cref="SparseMlpModelParameters.UsedInputIndices"/>), from the slot
    /// names of the feature column in <paramref name="inputSchema"/> (what <c>FeaturizeText</c>, <c>Concatenate</c> and
    /// one-hot encodings annotate); an input without a name is given as its index.
    /// </summary>
    /// <param name="inputSchema">A schema with the feature column, e.g. the one <c>mlContext.Model.Load</c> returns or the training data's.</param>
    /// <returns>One name per used input, in index order.</returns>
    public IReadOnlyList<string> GetUsedInputNames(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var column = SchemaChecks.Find(inputSchema, FeatureColumnName, "feature");
        var names = new VBuffer<ReadOnlyMemory<char>>();
        if (column.Annotations.Schema.GetColumnOrNull("SlotNames") is { Type: VectorDataViewType { ItemType: TextDataViewType } type } && type.Size == Model.InputCount)
            column.GetSlotNames(ref names);
        var dense = names.Length == Model.InputCount ? names.DenseValues().Select(n => n.ToString()).ToArray() : null;
        return Model.UsedInputIndices.Select(i => dense is not null && dense[i].Length > 0 ? dense[i] : i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

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
