// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Data;
using Microsoft.ML.SparseL1.Model;

namespace Microsoft.ML.SparseL1.Scoring;

/// <summary>
/// The cursor of <c>Transform</c> when prediction columns are read: it reads a block of input rows ahead, scores them
/// together through the batch kernel (<see cref="CompactMlp.PredictBatch"/>: one vector multiply-add per nonzero and
/// 64 rows instead of per row), and serves them row by row. Every input column the consumer may read is copied per row
/// (<see cref="ColumnCache"/>), so the rows it serves are exactly the input's rows in the input's order, whatever is
/// upstream (filters, shuffles, a cursor set's split).
/// </summary>
internal sealed class BlockScoringCursor : DataViewRowCursor
{
    /// <summary>
    /// Rows read ahead: 8 kernel blocks, enough for two threads to share, while a 784-feature block stays at 1.6 MB and
    /// a consumer that stops early (a preview) reads at most this many rows too many.
    /// </summary>
    internal const int BlockRows = 8 * CompactMlp.BatchBlock;

    private readonly SparseMlpRowMapper _mapper;
    private readonly SparseMlpModelParameters _model;
    private readonly TaskDescriptor _task;
    private readonly DataViewRowCursor _input;
    private readonly HashSet<int> _activeOutputs;
    private readonly Dictionary<int, ColumnCache> _inputColumns;
    private readonly ColumnCache _features;
    private readonly ValueGetter<DataViewRowId> _idSource;
    private readonly DataViewRowId[] _ids = new DataViewRowId[BlockRows];

    // Per row, not per block: a cursor set's consolidator orders rows by the batch each one reports.
    private readonly long[] _batches = new long[BlockRows];
    private float[]? _blockFeatures;
    private float[]? _rowDense;
    private (float[] A, float[] B)? _rowScratch;
    private readonly float[] _blockOutputs;
    private readonly float[] _rowOutputs;
    private readonly int _threads;
    private readonly BatchWorkspace _workspace;
    private int _filled;
    private int _slot = -1;
    private long _position = -1;
    private bool _inputEnded;

    /// <param name="mapper">The mapper whose output columns are served.</param>
    /// <param name="model">The model that scores.</param>
    /// <param name="input">The input cursor, with the feature column active.</param>
    /// <param name="featureColumn">The feature column of <paramref name="input"/>.</param>
    /// <param name="needed">The columns the consumer asked for.</param>
    /// <param name="threads">Threads for scoring a block; results do not depend on it.</param>
    public BlockScoringCursor(SparseMlpRowMapper mapper, SparseMlpModelParameters model, DataViewRowCursor input,
        DataViewSchema.Column featureColumn, IEnumerable<DataViewSchema.Column> needed, int threads)
    {
        _mapper = mapper;
        _model = model;
        _task = TaskDescriptor.For(model.Task);
        _input = input;
        _threads = threads;
        _activeOutputs = needed.Where(mapper.IsOutput).Select(c => c.Index).ToHashSet();
        _inputColumns = input.Schema.Where(input.IsColumnActive).ToDictionary(c => c.Index, c => ColumnCache.For(input, c, BlockRows));
        _features = _inputColumns[featureColumn.Index];
        _idSource = input.GetIdGetter();
        _blockOutputs = new float[BlockRows * model.OutputCount];
        _rowOutputs = new float[model.OutputCount];
        _workspace = model.Network.CreateWorkspace();
    }

    public override long Position => _position;

    public override long Batch => _slot < 0 ? 0 : _batches[_slot];

    public override DataViewSchema Schema => _mapper.OutputSchema;

    public override bool MoveNext()
    {
        if (_failed)
            throw new InvalidOperationException("The cursor's input failed while reading ahead; create a new cursor.");
        if (_slot + 1 >= _filled)
        {
            bool read;
            try
            {
                read = ReadBlock();
            }
            catch
            {
                // Rows of the previous block must never be served as the next ones: a failed cursor stays failed.
                _failed = true;
                _filled = 0;
                _slot = -1;
                throw;
            }

            if (!read)
            {
                _position = -1;
                return false;
            }
        }

        _slot++;
        _position++;
        return true;
    }

    private bool _failed;

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = _ids[_slot];

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        _mapper.IsOutput(column) ? _activeOutputs.Contains(column.Index) : _inputColumns.ContainsKey(column.Index);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!IsColumnActive(column))
            throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was created.");
        var getter = _mapper.IsOutput(column)
            ? _task.Getter(column.Name, _rowOutputs, CopyCurrentOutputs)
            : _inputColumns[column.Index].Getter(() => _slot);
        return getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Column '{column.Name}' cannot be read as {typeof(TValue).Name}.");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _input.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>Reads and scores the next block; false when the input has no rows left.</summary>
    private bool ReadBlock()
    {
        _filled = 0;
        _slot = -1;
        while (!_inputEnded && _filled < BlockRows)
        {
            if (!_input.MoveNext())
            {
                _inputEnded = true;
                break;
            }

            foreach (var cache in _inputColumns.Values)
                cache.Capture(_filled);
            _idSource(ref _ids[_filled]);
            _batches[_filled] = _input.Batch;
            _filled++;
        }

        if (_filled == 0)
            return false;
        int inputs = _model.InputCount, outputs = _model.OutputCount;
        if (IsSparseBlock())
        {
            // Text-like rows: each through its own nonzeros; a dense block would be rows x slots of mostly zeros.
            _rowScratch ??= (new float[_model.Network.MaxWidth], new float[_model.Network.MaxWidth]);
            _rowDense ??= new float[inputs];
            for (int r = 0; r < _filled; r++)
                RowScorer.Predict(_model.Network, _features.Features(r), _rowDense, _blockOutputs.AsSpan(r * outputs, outputs), _rowScratch.Value);
        }
        else
        {
            _blockFeatures ??= new float[BlockRows * inputs];
            for (int r = 0; r < _filled; r++)
                RowScorer.CopyFeatures(_features.Features(r), _blockFeatures.AsSpan(r * inputs, inputs));
            _model.Network.PredictBatch(_blockFeatures.AsSpan(0, _filled * inputs), _filled, _blockOutputs.AsSpan(0, _filled * outputs), _threads, _workspace);
        }

        if (_task.SoftmaxOutputs)
        {
            for (int r = 0; r < _filled; r++)
                Softmax.InPlace(_blockOutputs.AsSpan(r * outputs, outputs));
        }

        return true;
    }

    /// <summary>Whether the block's rows arrived as sparse vectors holding less than a tenth of the slots in all.</summary>
    private bool IsSparseBlock()
    {
        long nonZeros = 0;
        for (int r = 0; r < _filled; r++)
        {
            ref readonly var row = ref _features.Features(r);
            if (row.IsDense)
                return false;
            nonZeros += row.GetValues().Length;
        }

        return nonZeros < DataViewReader.SparseDensity * _filled * (double)_model.InputCount;
    }

    private void CopyCurrentOutputs() => _blockOutputs.AsSpan(_slot * _rowOutputs.Length, _rowOutputs.Length).CopyTo(_rowOutputs);
}
