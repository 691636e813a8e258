// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>
/// Dense matrix product <c>C = A·B</c> or <c>C += A·B</c> for float32, blocked and packed in the
/// BLIS style: B is packed into depth x <c>ColumnTile</c> panels that stay in L1, A into
/// <c>RowTile</c> x depth panels that stay in L2, and a register-blocked micro-kernel (<see cref="IGemmMicroKernel"/>)
/// does the FMAs.
/// </summary>
/// <remarks>
/// Work is split between threads by column panels of C only, and every element of C is summed
/// over the depth in the same order whatever the split, so the result is bit-identical for any
/// thread count. Any strides are accepted (transposes are stride swaps); packing absorbs them. Products with a thin C
/// (few rows or columns, as an output layer gives) go to <see cref="ThinGemm"/>, which does not pack.
/// </remarks>
internal static class DenseGemm
{
    /// <summary>
    /// Largest depth per packed block (KC). The depth is split into near-equal blocks no deeper than this, rounded up to
    /// a multiple of 8 for the 8x8 packing transposes (784 = 3 x 200 + 184, not 6 x 128 + 16), so no block is a short
    /// remainder paying a full pass over C; a 200 x 32 B panel is 25 KiB, within L1 (128 measured slower, 256 the same).
    /// </summary>
    internal const int DepthBlock = 200;

    /// <summary>Rows of A per packed block (MC), a multiple of every micro-kernel's row tile (6 and 8).</summary>
    internal const int RowBlock = 144;

    /// <summary>Below this many multiply-adds per thread, extra threads cost more than they save.</summary>
    internal const long MinMultiplyAddsPerThread = 1L << 18;

    /// <summary>Computes <c>C = A·B</c>, or <c>C += A·B</c> when <paramref name="accumulate"/> is true.</summary>
    /// <param name="a">The m x k left operand.</param>
    /// <param name="b">The k x n right operand.</param>
    /// <param name="c">Destination array; C(i, j) is <c>c[cOffset + i * ldc + j]</c>.</param>
    /// <param name="cOffset">Offset of C(0, 0).</param>
    /// <param name="ldc">Row stride of C, at least n.</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    /// <param name="maxThreads">Upper bound on threads used.</param>
    public static void Multiply(in MatrixOperand a, in MatrixOperand b, float[] c, int cOffset, int ldc, bool accumulate, int maxThreads) =>
        Multiply(a, b, c, cOffset, ldc, accumulate, maxThreads, allowThin: true);

    /// <summary>As <see cref="Multiply(in MatrixOperand, in MatrixOperand, float[], int, int, bool, int)"/>; <paramref name="allowThin"/> false keeps thin products on the packed path (for tests that compare the two).</summary>
    internal static void Multiply(in MatrixOperand a, in MatrixOperand b, float[] c, int cOffset, int ldc, bool accumulate, int maxThreads, bool allowThin)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (a.Columns != b.Rows)
            throw new ArgumentException($"Inner dimensions differ: A is {a.Rows}x{a.Columns}, B is {b.Rows}x{b.Columns}.", nameof(b));
        int m = a.Rows, n = b.Columns, k = a.Columns;
        if (ldc < n)
            throw new ArgumentOutOfRangeException(nameof(ldc), $"Row stride {ldc} is less than the {n} columns of C.");
        ArgumentOutOfRangeException.ThrowIfNegative(cOffset);
        if (m > 0 && n > 0 && cOffset + (long)(m - 1) * ldc + n > c.Length)
            throw new ArgumentException($"C ({m}x{n}, stride {ldc}, offset {cOffset}) does not fit in {c.Length} elements.", nameof(c));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, 1);
        if (m == 0 || n == 0 || (allowThin && ThinGemm.TryMultiply(a, b, c, cOffset, ldc, accumulate, maxThreads)))
            return;

        switch (KernelDispatch.Current)
        {
            case KernelPath.Vector512:
                Run<VectorMicroKernel<Vector512<float>, Simd512>>(a, b, c, cOffset, ldc, accumulate, maxThreads);
                break;
            case KernelPath.Vector256:
                Run<VectorMicroKernel<Vector256<float>, Simd256>>(a, b, c, cOffset, ldc, accumulate, maxThreads);
                break;
            case KernelPath.Vector128:
                Run<VectorMicroKernel<Vector128<float>, Simd128>>(a, b, c, cOffset, ldc, accumulate, maxThreads);
                break;
            default:
                Run<ScalarMicroKernel>(a, b, c, cOffset, ldc, accumulate, maxThreads);
                break;
        }
    }

    private static void Run<TKernel>(MatrixOperand a, MatrixOperand b, float[] c, int cOffset, int ldc, bool accumulate, int maxThreads)
        where TKernel : IGemmMicroKernel
    {
        int n = b.Columns;
        // Threads take whole column panels.
        ParallelRanges.Run(n, TKernel.ColumnTile, ThreadsFor((long)a.Rows * n * Math.Max(a.Columns, 1), maxThreads),
            (first, end) => RunColumns<TKernel>(a, b, c, cOffset, ldc, accumulate, first, end));
    }

    /// <summary>Threads for a product of <paramref name="multiplyAdds"/>: at most <paramref name="maxThreads"/>, and one per <see cref="MinMultiplyAddsPerThread"/>.</summary>
    internal static int ThreadsFor(long multiplyAdds, int maxThreads) => (int)Math.Min(maxThreads, Math.Max(1, multiplyAdds / MinMultiplyAddsPerThread));

    /// <summary>Computes columns [<paramref name="firstColumn"/>, <paramref name="endColumn"/>) of C on this thread.</summary>
    private static void RunColumns<TKernel>(MatrixOperand a, MatrixOperand b, float[] c, int cOffset, int ldc, bool accumulate, int firstColumn, int endColumn)
        where TKernel : IGemmMicroKernel
    {
        int m = a.Rows, k = a.Columns;
        int rowTile = TKernel.RowTile, columnTile = TKernel.ColumnTile;
        int width = endColumn - firstColumn;
        if (k == 0)
        {
            if (!accumulate)
            {
                for (int i = 0; i < m; i++)
                    c.AsSpan(cOffset + i * ldc + firstColumn, width).Clear();
            }

            return;
        }

        int panels = (width + columnTile - 1) / columnTile;
        // The A buffer has 8 floats of slack: the vector A packing writes two padding lanes past each panel.
        var buffers = PackingBuffers.ForCurrentThread(RowBlock * DepthBlock + 8, panels * columnTile * DepthBlock);
        float[] packedA = buffers.A, packedB = buffers.B;

        int blockDepth = BlockDepth(k);
        for (int depthStart = 0; depthStart < k; depthStart += blockDepth)
        {
            int depth = Math.Min(blockDepth, k - depthStart);
            bool addToC = accumulate || depthStart > 0;
            GemmPacking.PackB(b, depthStart, depth, firstColumn, width, columnTile, packedB);
            for (int rowStart = 0; rowStart < m; rowStart += RowBlock)
            {
                int rows = Math.Min(RowBlock, m - rowStart);
                GemmPacking.PackA(a, rowStart, rows, depthStart, depth, rowTile, packedA);
                for (int panel = 0; panel < panels; panel++)
                {
                    int column = panel * columnTile;
                    int columns = Math.Min(columnTile, width - column);
                    int bPanel = panel * columnTile * depth;
                    for (int row = 0; row < rows; row += rowTile)
                    {
                        int tileRows = Math.Min(rowTile, rows - row);
                        int cIndex = cOffset + (rowStart + row) * ldc + firstColumn + column;
                        TKernel.Run(packedA, row * depth, packedB, bPanel, depth, c, cIndex, ldc, tileRows, columns, addToC);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The depth of the blocks a depth of <paramref name="k"/> is cut into (the last may be shorter). Each block's sum is
    /// added to C, so every kernel that must give the packed path's bits cuts the depth the same way.
    /// </summary>
    internal static int BlockDepth(int k)
    {
        int depthBlocks = (k + DepthBlock - 1) / DepthBlock;
        return Math.Min(DepthBlock, ((k + depthBlocks - 1) / depthBlocks + 7) & ~7);
    }

    /// <summary>Per-thread packing buffers, grown on demand and reused across calls.</summary>
    private sealed class PackingBuffers
    {
        // Thread-static: t_ (.editorconfig).
#pragma warning disable IDE1006
        [ThreadStatic]
        private static PackingBuffers? t_instance;
#pragma warning restore IDE1006

        public float[] A { get; private set; } = [];

        public float[] B { get; private set; } = [];

        public static PackingBuffers ForCurrentThread(int sizeA, int sizeB)
        {
            var buffers = t_instance ??= new PackingBuffers();
            if (buffers.A.Length < sizeA)
                buffers.A = new float[sizeA];
            if (buffers.B.Length < sizeB)
                buffers.B = new float[sizeB];
            return buffers;
        }
    }
}
