// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Microsoft.ML.SparseL1.Distributed;

/// <summary>
/// The per-step reduction of data-parallel training: every layer's weight and bias gradient and a few double scalars
/// (loss, example weight, a cancellation flag) packed into one buffer and summed over the ranks as a reduce-scatter
/// then an all-gather: the buffer is cut into one block per rank (all-to-all), rank c adds the ranks' copies of block c
/// in rank order (rank 0 + rank 1 + …), and the summed blocks are gathered back. Each value is therefore summed once,
/// on one rank, in a fixed order, and copied everywhere: every rank holds bit-identical sums, repeated runs with the
/// same rank count repeat them, whatever algorithm the transport uses; and each rank moves about twice the buffer per
/// step whatever the number of ranks (a gather of every rank's whole buffer would move Size times it). The buffers are
/// made once per training run.
/// </summary>
internal sealed class GradientReduction
{
    private readonly SparseL1Communicator _communicator;
    private readonly int _floats;
    private readonly int _doubles;
    /// <summary>Floats per block; block 0 starts with the scalars (two floats' room each).</summary>
    private readonly int _block;
    private readonly float[] _send;
    private readonly float[] _received;
    private readonly float[] _mine;
    private readonly float[] _summed;
    private readonly int[]?[]? _positions;

    /// <param name="communicator">The group.</param>
    /// <param name="floatCount">Gradient values reduced (<see cref="Count(float[][], int[][])"/> of the arrays and positions).</param>
    /// <param name="doubleCount">Scalars reduced beside them.</param>
    /// <param name="positions">
    /// Per array of the first group passed to <see cref="Sum"/>, the positions to reduce, or null for the whole array: a
    /// layer whose zero pattern is frozen steps its kept weights only, so only their gradient needs summing (a tenth of
    /// the layer at 90 % sparsity). The other positions keep this rank's own values.
    /// </param>
    public GradientReduction(SparseL1Communicator communicator, long floatCount, int doubleCount, int[]?[]? positions = null)
    {
        _communicator = communicator;
        _positions = positions;
        // The exchange is one buffer of bytes; a span of bytes holds at most int.MaxValue of them.
        if ((floatCount + 2L * doubleCount + communicator.Size) * sizeof(float) > int.MaxValue)
            throw new InvalidOperationException($"Data-parallel training exchanges the gradient in one buffer of at most 2 GiB; this network's {floatCount} gradient values need {floatCount * sizeof(float)} bytes. Train it in one process, or with fewer weights.");
        _floats = (int)floatCount;
        _doubles = doubleCount;
        int ranks = communicator.Size;
        long total = 2L * doubleCount + _floats;
        _block = checked((int)Math.Max((total + ranks - 1) / ranks, 2L * doubleCount));
        int padded = checked(_block * ranks);
        _send = new float[padded];
        _received = new float[padded];
        _mine = new float[_block];
        _summed = new float[padded];
    }

    /// <summary>
    /// Sums <paramref name="arrays"/> and <paramref name="moreArrays"/> (each fully) and <paramref name="scalars"/> over
    /// the ranks, in place; with <paramref name="divisorIndex"/> ≥ 0 the summed arrays are then divided by the summed
    /// scalar at that index (0 when it is not positive), in the same pass that writes them back.
    /// </summary>
    public void Sum(float[][] arrays, float[][] moreArrays, Span<double> scalars, int divisorIndex = -1)
    {
        if (scalars.Length != _doubles)
            throw new ArgumentException($"Expected {_doubles} scalars, got {scalars.Length}.", nameof(scalars));
        int scalarFloats = 2 * _doubles;
        scalars.CopyTo(MemoryMarshal.Cast<float, double>(_send.AsSpan(0, scalarFloats)));
        int at = Pack(arrays, _positions, _send, scalarFloats);
        at = Pack(moreArrays, null, _send, at);
        if (at != scalarFloats + _floats)
            throw new ArgumentException($"The gradient holds {at - scalarFloats} values; the reduction was made for {_floats}.", nameof(arrays));

        // Reduce-scatter: block c of every rank to rank c, summed there in rank order.
        _communicator.AllToAll(MemoryMarshal.AsBytes(_send.AsSpan()), MemoryMarshal.AsBytes(_received.AsSpan()));
        int ranks = _communicator.Size, block = _block;
        int from = 0;
        if (_communicator.Rank == 0)
        {
            var sum = MemoryMarshal.Cast<float, double>(_mine.AsSpan(0, scalarFloats));
            MemoryMarshal.Cast<float, double>(_received.AsSpan(0, scalarFloats)).CopyTo(sum);
            for (int rank = 1; rank < ranks; rank++)
                TensorPrimitives.Add(sum, MemoryMarshal.Cast<float, double>(_received.AsSpan(rank * block, scalarFloats)), sum);
            from = scalarFloats;
        }

        var mine = _mine.AsSpan(from);
        int length = block - from;
        if (ranks == 1)
            _received.AsSpan(from, length).CopyTo(mine);
        else
            TensorPrimitives.Add(_received.AsSpan(from, length), _received.AsSpan(block + from, length), mine);
        for (int rank = 2; rank < ranks; rank++)
            TensorPrimitives.Add(mine, _received.AsSpan(rank * block + from, length), mine);

        // All-gather of the summed blocks: every rank holds every sum, bit for bit.
        _communicator.AllGather(MemoryMarshal.AsBytes(_mine.AsSpan()), MemoryMarshal.AsBytes(_summed.AsSpan()));
        MemoryMarshal.Cast<float, double>(_summed.AsSpan(0, scalarFloats)).CopyTo(scalars);
        float scale = divisorIndex < 0 ? 1f : scalars[divisorIndex] > 0 ? (float)(1.0 / scalars[divisorIndex]) : 0f;
        at = Unpack(_summed, scalarFloats, arrays, _positions, scale, divisorIndex >= 0);
        Unpack(_summed, at, moreArrays, null, scale, divisorIndex >= 0);
    }

    /// <summary>The number of values in <paramref name="arrays"/>.</summary>
    public static long Count(params float[][][] arrays)
    {
        long count = 0;
        foreach (var group in arrays)
        {
            foreach (var array in group)
                count += array.Length;
        }

        return count;
    }

    /// <summary>The number of values reduced of <paramref name="arrays"/> with <paramref name="positions"/> (null: all).</summary>
    public static long Count(float[][] arrays, int[]?[] positions)
    {
        long count = 0;
        for (int j = 0; j < arrays.Length; j++)
            count += positions[j]?.Length ?? arrays[j].Length;
        return count;
    }

    private static int Pack(float[][] arrays, int[]?[]? positions, float[] into, int at)
    {
        for (int j = 0; j < arrays.Length; j++)
        {
            float[] array = arrays[j];
            if (positions?[j] is { } kept)
            {
                foreach (int position in kept)
                    into[at++] = array[position];
            }
            else
            {
                array.CopyTo(into, at);
                at += array.Length;
            }
        }

        return at;
    }

    private static int Unpack(float[] from, int at, float[][] arrays, int[]?[]? positions, float scale, bool scaled)
    {
        for (int j = 0; j < arrays.Length; j++)
        {
            float[] array = arrays[j];
            if (positions?[j] is { } kept)
            {
                // The same product as the whole-array multiply below, value by value.
                for (int k = 0; k < kept.Length; k++)
                    array[kept[k]] = scaled ? from[at + k] * scale : from[at + k];
                at += kept.Length;
                continue;
            }

            var source = from.AsSpan(at, array.Length);
            if (scaled)
                TensorPrimitives.Multiply(source, scale, array);
            else
                source.CopyTo(array);
            at += array.Length;
        }

        return at;
    }
}
