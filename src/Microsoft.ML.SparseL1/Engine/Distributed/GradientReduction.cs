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

    /// <summary>Sums <paramref name="arrays"/> (each fully) and <paramref name="scalars"/> over the ranks, in place.</summary>
    public void Sum(float[][] arrays, float[][] moreArrays, Span<double> scalars)
    {
        if (scalars.Length != _doubles)
            throw new ArgumentException($"Expected {_doubles} scalars, got {scalars.Length}.", nameof(scalars));
        var doubles = MemoryMarshal.Cast<byte, double>(_local.AsSpan(0, _doubles * sizeof(double)));
        var floats = MemoryMarshal.Cast<byte, float>(_local.AsSpan(_doubles * sizeof(double)));
        scalars.CopyTo(doubles);
        int at = Pack(arrays, floats, 0);
        at = Pack(moreArrays, floats, at);
        if (at != _floats)
            throw new ArgumentException($"The gradient holds {at} values; the reduction was made for {_floats}.", nameof(arrays));

        _communicator.AllGather(_local, _gathered);

        int stride = _local.Length;
        for (int rank = 0; rank < _communicator.Size; rank++)
        {
            var part = _gathered.AsSpan(rank * stride, stride);
            var partDoubles = MemoryMarshal.Cast<byte, double>(part[..(_doubles * sizeof(double))]);
            var partFloats = MemoryMarshal.Cast<byte, float>(part[(_doubles * sizeof(double))..]);
            if (rank == 0)
            {
                partDoubles.CopyTo(scalars);
                partFloats.CopyTo(floats);
            }
            else
            {
                TensorPrimitives.Add(scalars, partDoubles, scalars);
                TensorPrimitives.Add(floats, partFloats, floats);
            }
        }

        at = Unpack(floats, arrays, 0);
        Unpack(floats, moreArrays, at);
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

    private static int Unpack(ReadOnlySpan<float> from, float[][] arrays, int at)
    {
        foreach (var array in arrays)
        {
            from.Slice(at, array.Length).CopyTo(array);
            at += array.Length;
        }

        return at;
    }
}
