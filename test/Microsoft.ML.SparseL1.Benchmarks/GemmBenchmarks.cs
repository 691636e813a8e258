// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.SparseL1.Kernels;

namespace Microsoft.ML.SparseL1.Benchmarks;

/// <summary>BenchmarkDotNet suite for the dense product on the first MLP layer's forward shape (batch 128).</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] _x = [], _w = [], _z = [];

    /// <summary>Threads given to the product.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Seeded operands.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _x = new float[128 * 784];
        _w = new float[300 * 784];
        _z = new float[128 * 300];
        for (int i = 0; i < _x.Length; i++)
            _x[i] = (float)random.NextDouble();
        for (int i = 0; i < _w.Length; i++)
            _w[i] = (float)(random.NextDouble() - 0.5);
    }

    /// <summary>Z = X·Wᵀ, 128x784 by (300x784)ᵀ; returns one element so the work cannot be dropped.</summary>
    [Benchmark]
    public float Forward128x784x300()
    {
        DenseGemm.Multiply(MatrixOperand.RowMajor(_x, 128, 784), MatrixOperand.RowMajor(_w, 300, 784).Transpose(), _z, 0, 300, false, Threads);
        return _z[17];
    }
}
