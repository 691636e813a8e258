// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Kernels;

[TestClass]
public class DenseGemmTests
{
    private static readonly (int M, int N, int K)[] s_shapes =
    [
        (1, 1, 1), (0, 5, 3), (4, 0, 3), (3, 4, 0), (5, 7, 3), (6, 32, 17), (7, 33, 129), (13, 65, 1),
        (31, 17, 300), (145, 40, 130), (128, 100, 300), (2, 300, 7),
        // Thin C (ThinGemm): few rows, few columns, and widths leaving every kind of remainder (vectors, 4-lane vectors, scalars).
        (1, 100, 128), (3, 110, 33), (10, 100, 128), (16, 37, 19), (17, 40, 9), (128, 1, 100), (130, 2, 77), (128, 3, 100),
        (100, 13, 128), (110, 5, 31), (100, 16, 128), (1, 1, 300), (3, 114, 21), (100, 30, 32), (9, 17, 5),
    ];

    [TestMethod]
    public void Multiply_AllTransposes_MatchNaiveReference()
    {
        var random = new Random(42);
        KernelPaths.ForEach(path =>
        {
            foreach (var (m, n, k) in s_shapes)
            {
                foreach (bool transposeA in new[] { false, true })
                {
                    foreach (bool transposeB in new[] { false, true })
                    {
                        foreach (bool accumulate in new[] { false, true })
                            CheckOne(random, path, m, n, k, transposeA, transposeB, accumulate);
                    }
                }
            }
        });
    }

    [TestMethod]
    public void Multiply_ResultDoesNotDependOnThreadCount()
    {
        var random = new Random(7);
        int m = 128, n = 300, k = 784;
        float[] a = TestData.Uniform(random, m * k), b = TestData.Uniform(random, k * n);
        var one = new float[m * n];
        var two = new float[m * n];
        DenseGemm.Multiply(MatrixOperand.RowMajor(a, m, k), MatrixOperand.RowMajor(b, k, n), one, 0, n, false, 1);
        DenseGemm.Multiply(MatrixOperand.RowMajor(a, m, k), MatrixOperand.RowMajor(b, k, n), two, 0, n, false, 2);
        CollectionAssert.AreEqual(one, two);
    }

    /// <summary>
    /// A thin C (at most 16 rows or 32 columns) or a shallow product (depth at most 32, C at least 64 wide) skips the packing, but each element is computed as the packed path computes
    /// it (the same depth blocks, each summed in depth order and added to C): the two agree bit for bit, so which path
    /// a product takes (skipped inactive neurons, a scoring block's size) never changes a result.
    /// </summary>
    [TestMethod]
    public void Multiply_ThinProducts_EqualThePackedPathBitForBit()
    {
        var random = new Random(5);
        (int M, int N, int K)[] shapes =
        [
            (1, 100, 128), (2, 110, 33), (3, 100, 450), (10, 100, 128), (16, 300, 7), (1, 1, 300),
            (128, 1, 100), (130, 3, 77), (100, 13, 128), (100, 16, 1024), (257, 5, 201), (40, 2, 1),
            // Tails of whole vectors, the last overlapping the one before, odd rows paired with themselves. Tail (columns
            // after the 4-vector blocks) and vectors at widths 16 / 8 / 4: 84: 20 → 2 / 20 → 3 / 4 → 1; 114: 50 → 4 /
            // 18 → 3 / 2 (a remainder); 80: 16 → 1 / 16 → 2 / 0; 17: 17 → 2 / 17 → 3 / 1; 50: 50 → 4 / 18 → 3 / 2; 61: 61 →
            // 4 / 29 → 4 / 13 → 4; 22: 22 → 2 / 22 → 3 / 6 → 2; 26: 26 → 2 / 26 → 4 / 10 → 3; 40: 40 → 3 / 8 → 1 / 8 → 2.
            // The columns form up to 32 columns; the rows form of shallow products (depth up to 32, C at least 64 wide).
            (128, 100, 13), (33, 64, 32), (200, 70, 1), (2, 84, 40), (3, 114, 21), (5, 80, 9), (9, 17, 5), (7, 50, 300), (3, 61, 9), (5, 22, 13), (2, 26, 7), (3, 40, 11),
            (100, 30, 32), (100, 24, 128), (33, 32, 450), (61, 26, 9),
        ];
        KernelPaths.ForEach(path =>
        {
            foreach (var (m, n, k) in shapes)
            {
                foreach (bool transposeA in new[] { false, true })
                {
                    foreach (bool transposeB in new[] { false, true })
                    {
                        foreach (bool accumulate in new[] { false, true })
                        {
                            var (a, b) = Operands(random, m, n, k, transposeA, transposeB);
                            float[] thin = TestData.Uniform(random, m * n), packed = (float[])thin.Clone();
                            DenseGemm.Multiply(a, b, thin, 0, n, accumulate, 1, allowThin: true);
                            DenseGemm.Multiply(a, b, packed, 0, n, accumulate, 1, allowThin: false);
                            CollectionAssert.AreEqual(packed, thin, $"{path} m={m} n={n} k={k} tA={transposeA} tB={transposeB} acc={accumulate}");
                        }
                    }
                }
            }
        });
    }

    /// <summary>The thin forms split C between threads too (an output layer scoring a large block): one thread and two agree bit for bit.</summary>
    [TestMethod]
    [DataRow(8, 3000, 100, false, false, "Rows", DisplayName = "rows")]
    [DataRow(16, 640, 100, false, true, "Rows", DisplayName = "rows, B copied to contiguous rows")]
    [DataRow(3000, 100, 13, false, true, "Rows", DisplayName = "rows, a shallow product split by rows")]
    [DataRow(3000, 100, 13, true, false, "Rows", DisplayName = "rows, a shallow product of a transposed A split by rows")]
    [DataRow(100, 3000, 10, false, false, "Rows", DisplayName = "rows, a shallow product split by columns")]
    [DataRow(5000, 9, 100, true, false, "Columns", DisplayName = "columns")]
    [DataRow(4001, 30, 50, true, false, "Columns", DisplayName = "columns, 30 columns, the last range's tail overlapping")]
    [DataRow(20000, 1, 100, true, true, "Columns", DisplayName = "columns, one column")]
    [DataRow(6000, 2, 100, false, false, "Chains", DisplayName = "chains")]
    public void Multiply_ThinProducts_DoNotDependOnThreadCount(int m, int n, int k, bool transposeA, bool transposeB, string form)
    {
        var random = new Random(11);
        var (a, b) = Operands(random, m, n, k, transposeA, transposeB);
        Assert.IsGreaterThanOrEqualTo(2 * DenseGemm.MinMultiplyAddsPerThread, (long)m * n * k, "large enough for two threads");
        Assert.AreEqual(form, ThinGemm.FormOf(a, b).ToString(), "the form under test");
        // C sits at an offset in a wider array (leading dimension n + 3), so a split that misplaces a range shows.
        int offset = 7, ldc = n + 3;
        KernelPaths.ForEach(path =>
        {
            float[] initial = TestData.Uniform(random, offset + m * ldc);
            var one = (float[])initial.Clone();
            var two = (float[])initial.Clone();
            var packed = (float[])initial.Clone();
            DenseGemm.Multiply(a, b, one, offset, ldc, true, 1);
            DenseGemm.Multiply(a, b, two, offset, ldc, true, 2);
            DenseGemm.Multiply(a, b, packed, offset, ldc, true, 1, allowThin: false);
            CollectionAssert.AreEqual(one, two, path.ToString());
            CollectionAssert.AreEqual(packed, two, $"{path}: the packed path's bits");
        });
    }

    [TestMethod]
    [DataRow(27, 19, 5, false, false, "None", DisplayName = "packed")]
    [DataRow(3, 50, 7, false, false, "Rows", DisplayName = "thin rows")]
    [DataRow(3, 50, 7, false, true, "Rows", DisplayName = "thin rows, B copied")]
    [DataRow(60, 3, 5, true, false, "Columns", DisplayName = "thin columns")]
    [DataRow(60, 30, 5, true, false, "Columns", DisplayName = "thin columns, 30 columns")]
    [DataRow(3, 84, 7, false, false, "Rows", DisplayName = "thin rows, a tail of overlapping vectors")]
    [DataRow(40, 70, 5, true, true, "Rows", DisplayName = "shallow rows")]
    [DataRow(60, 2, 40, false, true, "Chains", DisplayName = "thin chains")]
    public void Multiply_WritesNothingOutsideC(int m, int n, int k, bool transposeA, bool transposeB, string form)
    {
        var random = new Random(3);
        int ldc = n + 4, offset = 11;
        var (a, b) = Operands(random, m, n, k, transposeA, transposeB);
        Assert.AreEqual(form, ThinGemm.FormOf(a, b).ToString(), "the form under test");
        KernelPaths.ForEach(path =>
        {
            var c = new float[offset + (m - 1) * ldc + n + 13];
            Array.Fill(c, float.NaN);
            DenseGemm.Multiply(a, b, c, offset, ldc, false, 2);
            for (int index = 0; index < c.Length; index++)
            {
                int relative = index - offset;
                bool inside = relative >= 0 && relative / ldc < m && relative % ldc < n;
                Assert.AreEqual(inside, !float.IsNaN(c[index]), $"{path}: element {index} inside={inside}");
            }

            // Adding to C at an offset with a leading dimension wider than C: the packed path's bits inside, nothing outside.
            var added = (float[])c.Clone();
            var packed = (float[])c.Clone();
            DenseGemm.Multiply(a, b, added, offset, ldc, true, 2);
            DenseGemm.Multiply(a, b, packed, offset, ldc, true, 2, allowThin: false);
            CollectionAssert.AreEqual(packed, added, $"{path}: accumulated");
        });
    }

    [TestMethod]
    public void Multiply_ThrowsForMismatchedShapes()
    {
        var a = new float[6];
        var c = new float[100];
        Assert.ThrowsExactly<ArgumentException>(() =>
            DenseGemm.Multiply(MatrixOperand.RowMajor(a, 2, 3), MatrixOperand.RowMajor(a, 2, 3), c, 0, 3, false, 1));
        Assert.ThrowsExactly<ArgumentException>(() =>
            DenseGemm.Multiply(MatrixOperand.RowMajor(a, 2, 3), MatrixOperand.RowMajor(a, 3, 2), new float[3], 0, 2, false, 1));
        Assert.ThrowsExactly<ArgumentException>(() => MatrixOperand.RowMajor(a, 3, 3));
    }

    [TestMethod]
    public void Multiply_PropagatesNaNAndInfinity()
    {
        KernelPaths.ForEach(path =>
        {
            // A = [[1, NaN], [2, 3]], B = I: row 0 is NaN everywhere (NaN·0 = NaN), row 1 is exact.
            float[] a = [1f, float.NaN, 2f, 3f];
            float[] b = [1f, 0f, 0f, 1f];
            var c = new float[4];
            DenseGemm.Multiply(MatrixOperand.RowMajor(a, 2, 2), MatrixOperand.RowMajor(b, 2, 2), c, 0, 2, false, 1);
            Assert.IsTrue(float.IsNaN(c[0]) && float.IsNaN(c[1]), path.ToString());
            Assert.AreEqual(2f, c[2], path.ToString());
            Assert.AreEqual(3f, c[3], path.ToString());

            // A(0, 1) = +∞: C(0, 0) = 1 + ∞·0 = NaN, C(0, 1) = 0 + ∞·1 = +∞.
            a[1] = float.PositiveInfinity;
            DenseGemm.Multiply(MatrixOperand.RowMajor(a, 2, 2), MatrixOperand.RowMajor(b, 2, 2), c, 0, 2, false, 1);
            Assert.IsTrue(float.IsNaN(c[0]), path.ToString());
            Assert.AreEqual(float.PositiveInfinity, c[1], path.ToString());
        });
    }

    /// <summary>Random m x k and k x n operands, each stored transposed (column-major) when asked.</summary>
    private static (MatrixOperand A, MatrixOperand B) Operands(Random random, int m, int n, int k, bool transposeA, bool transposeB)
    {
        float[] aData = TestData.Uniform(random, m * k), bData = TestData.Uniform(random, k * n);
        return (transposeA ? MatrixOperand.RowMajor(aData, k, m).Transpose() : MatrixOperand.RowMajor(aData, m, k),
            transposeB ? MatrixOperand.RowMajor(bData, n, k).Transpose() : MatrixOperand.RowMajor(bData, k, n));
    }

    private static void CheckOne(Random random, KernelPath path, int m, int n, int k, bool transposeA, bool transposeB, bool accumulate)
    {
        float[] aData = TestData.Uniform(random, m * k + 3), bData = TestData.Uniform(random, k * n + 2);
        var a = transposeA ? MatrixOperand.RowMajor(aData, k, m, 3).Transpose() : MatrixOperand.RowMajor(aData, m, k, 3);
        var b = transposeB ? MatrixOperand.RowMajor(bData, n, k, 2).Transpose() : MatrixOperand.RowMajor(bData, k, n, 2);
        float[] initial = TestData.Uniform(random, m * n);
        var c = (float[])initial.Clone();
        DenseGemm.Multiply(a, b, c, 0, n, accumulate, 2);

        var expected = ReferenceKernels.Multiply((i, p) => a[i, p], (p, j) => b[p, j], m, n, k);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double magnitude = 0;
                for (int p = 0; p < k; p++)
                    magnitude += Math.Abs((double)a[i, p] * b[p, j]);
                double want = expected[i * n + j] + (accumulate ? initial[i * n + j] : 0);
                TestData.AssertClose(want, c[i * n + j], 0, 1e-6 * (magnitude + 1),
                    $"{path} m={m} n={n} k={k} tA={transposeA} tB={transposeB} acc={accumulate} C({i},{j})");
            }
        }
    }
}
