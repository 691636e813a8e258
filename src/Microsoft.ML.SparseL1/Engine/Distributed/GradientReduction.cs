// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Microsoft.ML.SparseL1.Distributed;

/// <summary>
/// The per-step reduction of data-parallel training: every layer's weight and bias gradient and a few double scalars
/// (loss, example weight, a cancellation flag) packed into one buffer, gathered in one collective, and summed in rank
/// order (see <see cref="Collectives"/>). The buffers are made once per training run.
/// </summary>
internal sealed class GradientReduction
{
    private readonly SparseL1Communicator _communicator;
    private readonly int _floats;
    private readonly int _doubles;
    private readonly byte[] _local;
    private readonly byte[] _gathered;

    /// <param name="communicator">The group.</param>
    /// <param name="floatCount">Gradient values (all layers' weights and biases).</param>
    /// <param name="doubleCount">Scalars reduced beside them.</param>
    public GradientReduction(SparseL1Communicator communicator, long floatCount, int doubleCount)
    {
        _communicator = communicator;
        _floats = checked((int)floatCount);
        _doubles = doubleCount;
        // Doubles first keeps both parts aligned to their size.
        int bytes = checked(doubleCount * sizeof(double) + _floats * sizeof(float));
        _local = new byte[bytes];
        _gathered = new byte[checked((long)bytes * communicator.Size)];
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
        int doubleBytes = _doubles * sizeof(double);
        scalars.CopyTo(MemoryMarshal.Cast<byte, double>(_local.AsSpan(0, doubleBytes)));
        var floats = MemoryMarshal.Cast<byte, float>(_local.AsSpan(doubleBytes));
        int at = Pack(arrays, floats, 0);
        at = Pack(moreArrays, floats, at);
        if (at != _floats)
            throw new ArgumentException($"The gradient holds {at} values; the reduction was made for {_floats}.", nameof(arrays));

        _communicator.AllGather(_local, _gathered);

        int stride = _local.Length, ranks = _communicator.Size;
        MemoryMarshal.Cast<byte, double>(_gathered.AsSpan(0, doubleBytes)).CopyTo(scalars);
        for (int rank = 1; rank < ranks; rank++)
            TensorPrimitives.Add(scalars, MemoryMarshal.Cast<byte, double>(_gathered.AsSpan(rank * stride, doubleBytes)), scalars);
        float scale = divisorIndex < 0 ? 1f : scalars[divisorIndex] > 0 ? (float)(1.0 / scalars[divisorIndex]) : 0f;
        at = Unpack(arrays, 0, ranks, stride, doubleBytes, scale, divisorIndex >= 0);
        Unpack(moreArrays, at, ranks, stride, doubleBytes, scale, divisorIndex >= 0);
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

    private static int Pack(float[][] arrays, Span<float> into, int at)
    {
        foreach (var array in arrays)
        {
            array.CopyTo(into[at..]);
            at += array.Length;
        }

        return at;
    }

    /// <summary>Writes each array's slice of the ranks' parts, summed in rank order (and scaled), straight into the array.</summary>
    private int Unpack(float[][] arrays, int at, int ranks, int stride, int doubleBytes, float scale, bool scaled)
    {
        foreach (var array in arrays)
        {
            var target = array.AsSpan();
            var first = Part(0, stride, doubleBytes).Slice(at, array.Length);
            if (ranks == 1)
                first.CopyTo(target);
            else
                TensorPrimitives.Add(first, Part(1, stride, doubleBytes).Slice(at, array.Length), target);
            for (int rank = 2; rank < ranks; rank++)
                TensorPrimitives.Add(target, Part(rank, stride, doubleBytes).Slice(at, array.Length), target);
            if (scaled)
                TensorPrimitives.Multiply(target, scale, target);
            at += array.Length;
        }

        return at;
    }

    private ReadOnlySpan<float> Part(int rank, int stride, int doubleBytes) =>
        MemoryMarshal.Cast<byte, float>(_gathered.AsSpan(rank * stride + doubleBytes, stride - doubleBytes));
}
