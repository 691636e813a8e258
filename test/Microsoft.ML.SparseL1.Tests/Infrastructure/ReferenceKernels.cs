// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Tests.Infrastructure;

/// <summary>Naive scalar references, written independently of the product kernels (never calls them).</summary>
internal static class ReferenceKernels
{
    /// <summary>C(i, j) = Σ_p A(i, p) B(p, j) in double, with A(i, p) = a(i, p) and B(p, j) = b(p, j).</summary>
    public static double[] Multiply(Func<int, int, float> a, Func<int, int, float> b, int m, int n, int k)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                    sum += (double)a(i, p) * b(p, j);
                c[i * n + j] = sum;
            }
        }

        return c;
    }

    /// <summary>Soft-threshold by cases: v − t above t, v + t below −t, zero between.</summary>
    public static float SoftThreshold(float v, float t)
    {
        if (float.IsNaN(v))
            return float.NaN;
        if (v > t)
            return v - t;
        if (v < -t)
            return v + t;
        return 0f;
    }
}
