// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Data;

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
        return new Cursor(mapper, input.GetRowCursor(InputColumns(needed), rand), needed);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var needed = columnsNeeded.ToArray();
        return input.GetRowCursorSet(InputColumns(needed), n, rand).Select(c => (DataViewRowCursor)new Cursor(mapper, c, needed)).ToArray();
    }

    private IEnumerable<DataViewSchema.Column> InputColumns(DataViewSchema.Column[] needed) =>
        mapper.GetDependencies(needed).Select(c => input.Schema[c.Index]);

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly SparseMlpRowMapper _mapper;
        private readonly DataViewRowCursor _input;
        private readonly HashSet<int> _active;
        private readonly RowScorer? _scorer;

        public Cursor(SparseMlpRowMapper mapper, DataViewRowCursor input, DataViewSchema.Column[] needed)
        {
            _mapper = mapper;
            _input = input;
            _active = needed.Select(c => c.Index).ToHashSet();
            _scorer = needed.Any(mapper.IsOutput) ? mapper.CreateScorer(input) : null;
        }

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override DataViewSchema Schema => _mapper.OutputSchema;

        public override bool MoveNext() => _input.MoveNext();

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            _mapper.IsOutput(column) ? _active.Contains(column.Index) : _input.IsColumnActive(_input.Schema[column.Index]);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_mapper.IsOutput(column))
                return _input.GetGetter<TValue>(_input.Schema[column.Index]);
            if (_scorer is null || !_active.Contains(column.Index))
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was created.");
            return _scorer.GetGetter<TValue>(column.Name);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _input.Dispose();
            base.Dispose(disposing);
        }
    }
}
