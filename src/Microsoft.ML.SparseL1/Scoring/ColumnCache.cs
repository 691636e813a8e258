// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.Data;

namespace Microsoft.ML.SparseL1.Scoring;

/// <summary>
/// The values of one input column for a block of rows read ahead of the consumer: a block-scoring cursor reads many
/// input rows before it serves the first, so every column it passes through is copied per row and served from the copy.
/// </summary>
internal abstract class ColumnCache
{
    /// <summary>Reads the input's current row into <paramref name="slot"/>.</summary>
    public abstract void Capture(int slot);

    /// <summary>A getter serving the value held in the slot <paramref name="currentSlot"/> returns.</summary>
    public abstract Delegate Getter(Func<int> currentSlot);

    /// <summary>A cache for <paramref name="column"/> of <paramref name="input"/> holding <paramref name="slots"/> rows.</summary>
    public static ColumnCache For(DataViewRow input, DataViewSchema.Column column, int slots)
    {
        var raw = column.Type.RawType;
        var cache = raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>)
            ? typeof(VectorCache<>).MakeGenericType(raw.GetGenericArguments()[0])
            : typeof(ValueCache<>).MakeGenericType(raw);
        return (ColumnCache)Activator.CreateInstance(cache, input, column, slots)!;
    }

    /// <summary>Scalars (and reference types, shared as ML.NET shares them): a copy is an assignment.</summary>
    private sealed class ValueCache<T>(DataViewRow input, DataViewSchema.Column column, int slots) : ColumnCache
    {
        private readonly ValueGetter<T> _source = input.GetGetter<T>(column);
        private readonly T[] _values = new T[slots];

        public override void Capture(int slot) => _source(ref _values[slot]);

        public override Delegate Getter(Func<int> currentSlot) => (ValueGetter<T>)((ref T value) => value = _values[currentSlot()]);
    }

    /// <summary>Vectors: each slot owns its buffers (the source getter fills them), and the consumer gets its own copy.</summary>
    private sealed class VectorCache<T>(DataViewRow input, DataViewSchema.Column column, int slots) : ColumnCache
    {
        private readonly ValueGetter<VBuffer<T>> _source = input.GetGetter<VBuffer<T>>(column);
        private readonly VBuffer<T>[] _values = new VBuffer<T>[slots];

        public override void Capture(int slot) => _source(ref _values[slot]);

        public override Delegate Getter(Func<int> currentSlot) =>
            (ValueGetter<VBuffer<T>>)((ref VBuffer<T> value) => _values[currentSlot()].CopyTo(ref value));

        /// <summary>The vector held in <paramref name="slot"/>, not copied.</summary>
        public ref readonly VBuffer<T> this[int slot] => ref _values[slot];
    }

    /// <summary>The feature vector of <paramref name="slot"/>, when this cache holds a float vector column.</summary>
    public ref readonly VBuffer<float> Features(int slot) => ref ((VectorCache<float>)this)[slot];
}
