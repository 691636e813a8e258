// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;

namespace Microsoft.ML.SparseL1.Model;

/// <summary>The lazy result of <c>Transform</c>: the input view with the prediction columns appended.</summary>
internal sealed class ScoredDataView(IDataView input, SparseMlpRowMapper mapper) : IDataView
{
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

    private IEnumerable<DataViewSchema.Column> InputColumns(DataViewSchema.Column[] needed) =>
        mapper.GetDependencies(needed).Select(c => input.Schema[c.Index]);
}
