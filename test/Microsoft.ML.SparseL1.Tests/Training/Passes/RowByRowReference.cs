// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Microsoft.ML.SparseL1.Kernels;

namespace Microsoft.ML.SparseL1.Tests.Training.Passes;

/// <summary>
/// The kept weights' gradient as the engine computed it before its lists by output groups (to commit 66a8ddc,
/// <c>CsrKernels.GradientFeatureMajor</c>): by CSR row, eight nonzeros of a row at a time sharing each load of the
/// row's deltas, then the row's last nonzeros one at a time; on the scalar path one lane at a time. The reference the
/// list kernel's bits are checked against.
/// </summary>
internal static class RowByRowReference
{
    public static void Gradient(KernelPath path, int[] rowStarts, int[] columns, float[] deltas, float[] x, int batch, float[] gradient)
    {
        switch (path)
        {
            case KernelPath.Vector512:
                Rows<Vector512<float>, Simd512>(rowStarts, columns, deltas, x, batch, gradient);
                break;
            case KernelPath.Vector256:
                Rows<Vector256<float>, Simd256>(rowStarts, columns, deltas, x, batch, gradient);
                break;
            case KernelPath.Vector128:
                Rows<Vector128<float>, Simd128>(rowStarts, columns, deltas, x, batch, gradient);
                break;
            default:
                for (int r = 0; r + 1 < rowStarts.Length; r++)
                {
                    for (int k = rowStarts[r]; k < rowStarts[r + 1]; k++)
                    {
                        float sum = 0;
                        for (int b = 0; b < batch; b++)
                            sum = MathF.FusedMultiplyAdd(deltas[r * batch + b], x[columns[k] * batch + b], sum);
                        gradient[k] = sum;
                    }
                }

                break;
        }
    }

    private static void Rows<TVec, TOps>(int[] rowStarts, int[] columns, float[] deltas, float[] x, int batch, float[] gradient)
        where TVec : struct
        where TOps : ISimdOps<TVec>
    {
        int width = TOps.Count, vectorLanes = batch - batch % width;
        for (int r = 0; r + 1 < rowStarts.Length; r++)
        {
            ref float deltaRow = ref deltas[r * batch];
            int k = rowStarts[r], end = rowStarts[r + 1];
            for (; k <= end - 8; k += 8)
            {
                var sums = new TVec[8];
                for (int b = 0; b < vectorLanes; b += width)
                {
                    TVec d = TOps.Load(ref deltaRow, (nuint)b);
                    for (int i = 0; i < 8; i++)
                        sums[i] = TOps.MultiplyAdd(d, TOps.Load(ref x[columns[k + i] * batch], (nuint)b), sums[i]);
                }

                for (int i = 0; i < 8; i++)
                    gradient[k + i] = Finish(ref deltaRow, ref x[columns[k + i] * batch], vectorLanes, batch, TOps.Sum(sums[i]));
            }

            for (; k < end; k++)
            {
                TVec a = TOps.Zero;
                for (int b = 0; b < vectorLanes; b += width)
                    a = TOps.MultiplyAdd(TOps.Load(ref deltaRow, (nuint)b), TOps.Load(ref x[columns[k] * batch], (nuint)b), a);
                gradient[k] = Finish(ref deltaRow, ref x[columns[k] * batch], vectorLanes, batch, TOps.Sum(a));
            }
        }
    }

    private static float Finish(ref float deltaRow, ref float inputRow, int vectorLanes, int batch, float sum)
    {
        for (int b = vectorLanes; b < batch; b++)
            sum = MathF.FusedMultiplyAdd(Unsafe.Add(ref deltaRow, b), Unsafe.Add(ref inputRow, b), sum);
        return sum;
    }
}
