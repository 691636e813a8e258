// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Data;
using Microsoft.ML.SparseL1.Onnx;

namespace Microsoft.ML.SparseL1.Scoring;

/// <summary>
/// Maps input rows to input rows plus the prediction columns ML.NET's evaluators expect (Score;
/// Probability and PredictedLabel for binary; PredictedLabel as a key carrying the label's key values for multiclass).
/// </summary>
internal sealed class SparseMlpRowMapper : IRowToRowMapper
{
    private readonly SparseMlpModelParameters _model;
    private readonly DataViewSchema.Column _featureColumn;
    private readonly int _firstOutput;

    public SparseMlpRowMapper(SparseMlpModelParameters model, string featureColumnName, DataViewSchema inputSchema)
    {
        _model = model;
        InputSchema = inputSchema;
        _featureColumn = SchemaChecks.Find(inputSchema, featureColumnName, "feature");
        int size = SchemaChecks.CheckFeatureType(_featureColumn);
        if (size != model.InputCount)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"The feature column '{featureColumnName}' has {size} values; the model was trained on {model.InputCount}.");
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        TaskDescriptor.For(model.Task).AddColumns(builder, model);
        OutputSchema = builder.ToSchema();
        _firstOutput = inputSchema.Count;
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) =>
        dependingColumns.Any(c => c.Index >= _firstOutput)
            ? dependingColumns.Where(c => c.Index < _firstOutput).Append(_featureColumn).Distinct()
            : dependingColumns.Where(c => c.Index < _firstOutput);

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new ScoredRow(this, input, activeColumns.Select(c => c.Index).ToHashSet());

    /// <summary>Makes the scorer for one input row or cursor.</summary>
    internal RowScorer CreateScorer(DataViewRow input) => new(_model, input, _featureColumn);

    /// <summary>The cursor serving <paramref name="needed"/> over <paramref name="input"/>: block-scored when it reads predictions.</summary>
    internal DataViewRowCursor CreateCursor(DataViewRowCursor input, DataViewSchema.Column[] needed, int threads) =>
        needed.Any(IsOutput) ? new BlockScoringCursor(this, _model, input, _featureColumn, needed, threads) : new PassThroughCursor(this, input);

    /// <summary>Writes the network and the output columns into an ONNX export.</summary>
    internal void WriteOnnx(OnnxGraph graph) => OnnxNetworkWriter.Write(graph, _model, _featureColumn.Name);

    internal bool IsOutput(DataViewSchema.Column column) => column.Index >= _firstOutput;

    /// <summary>An input row with the prediction columns appended.</summary>
    private sealed class ScoredRow : DataViewRow
    {
        private readonly SparseMlpRowMapper _mapper;
        private readonly DataViewRow _input;
        private readonly HashSet<int> _active;
        private readonly RowScorer _scorer;

        public ScoredRow(SparseMlpRowMapper mapper, DataViewRow input, HashSet<int> active)
        {
            _mapper = mapper;
            _input = input;
            _active = active;
            _scorer = mapper.CreateScorer(input);
        }

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override DataViewSchema Schema => _mapper.OutputSchema;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            _mapper.IsOutput(column) ? _active.Contains(column.Index) : _input.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            _mapper.IsOutput(column) ? _scorer.GetGetter<TValue>(column.Name) : _input.GetGetter<TValue>(_input.Schema[column.Index]);
    }
}
