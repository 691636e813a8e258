// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.SparseL1.Onnx;

namespace Microsoft.ML.SparseL1.Scoring;

/// <summary>
/// The lazy result of <c>Transform</c>: the input view with the prediction columns appended. A data transform over
/// its input (<see cref="Source"/>) that writes itself as ONNX, so <c>mlContext.Model.ConvertToOnnx</c>, which walks
/// transforms back from the scored view, exports the network and every exportable step before it.
/// </summary>
internal sealed class ScoredDataView(IDataView input, SparseMlpRowMapper mapper) : ITransformCanSaveOnnx
{
    public IDataView Source => input;

    public bool CanShuffle => input.CanShuffle;

    public DataViewSchema Schema => mapper.OutputSchema;

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.ToArray();
        return mapper.CreateCursor(input.GetRowCursor(InputColumns(needed), rand), needed, Environment.ProcessorCount);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var needed = columnsNeeded.ToArray();
        var cursors = input.GetRowCursorSet(InputColumns(needed), n, rand);
        // The cursors of a set run in parallel already: share the cores between their block scorers.
        int threads = Math.Max(1, Environment.ProcessorCount / cursors.Length);
        return cursors.Select(c => mapper.CreateCursor(c, needed, threads)).ToArray();
    }

    bool ICanSaveOnnx.CanSaveOnnx(OnnxContext ctx) => true;

    void ISaveAsOnnx.SaveAsOnnx(OnnxContext ctx) => mapper.WriteOnnx(new OnnxGraph(ctx, mapper.OutputSchema));

    /// <summary>Not a model: the transformer is saved (mlContext.Model.Save), never the scored view.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        throw new NotSupportedException("A scored data view is not saved; save the transformer with mlContext.Model.Save.");

    private IEnumerable<DataViewSchema.Column> InputColumns(DataViewSchema.Column[] needed) =>
        mapper.GetDependencies(needed).Select(c => input.Schema[c.Index]);
}
