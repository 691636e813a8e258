// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.Data;

namespace Microsoft.ML.SparseL1.Scoring;

/// <summary>The cursor of <c>Transform</c> when no prediction column is read: the input's rows under the output schema.</summary>
internal sealed class PassThroughCursor(SparseMlpRowMapper mapper, DataViewRowCursor input) : DataViewRowCursor
{
    public override long Position => input.Position;

    public override long Batch => input.Batch;

    public override DataViewSchema Schema => mapper.OutputSchema;

    public override bool MoveNext() => input.MoveNext();

    public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        !mapper.IsOutput(column) && input.IsColumnActive(input.Schema[column.Index]);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
        IsColumnActive(column)
            ? input.GetGetter<TValue>(input.Schema[column.Index])
            : throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was created.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            input.Dispose();
        base.Dispose(disposing);
    }
}
