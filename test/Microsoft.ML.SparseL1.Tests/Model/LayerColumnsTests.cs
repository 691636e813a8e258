// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Model;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Model;

/// <summary>
/// <see cref="LayerColumns.Multiply"/>: each output the bias, then one fused multiply-add per nonzero weight of the row's
/// inputs in the order given (the bits of that naive sum), for a CSR and a dense layer; bad indices refused by name.
/// </summary>
[TestClass]
public class LayerColumnsTests
{
    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void Multiply_IsTheNaiveSumInTheInputsOrder_BitForBit(bool csr)
    {
        const int Outputs = 37, Inputs = 53;
        var random = new Random(csr ? 1 : 2);
        float[] weights = TestData.Uniform(random, Outputs * Inputs);
        TestData.KeepFraction(weights, 0.12, random);
        float[] bias = TestData.Uniform(random, Outputs);
        var layer = csr ? CompactLayer.FromDense(weights, bias, Outputs, Inputs) : CompactLayer.CreateDense(Inputs, Outputs, weights, bias);
        Assert.AreEqual(csr, layer.IsSparse);
        var columns = new LayerColumns(layer);
        // A row's nonzero inputs, not ascending (the order given is the order summed).
        int[] indices = Enumerable.Range(0, Inputs).Where(_ => random.NextDouble() < 0.4).OrderBy(_ => random.Next()).ToArray();
        float[] values = TestData.Uniform(random, indices.Length);

        var y = new float[Outputs];
        columns.Multiply(indices, values, y);
        for (int o = 0; o < Outputs; o++)
        {
            float expected = bias[o];
            for (int k = 0; k < indices.Length; k++)
            {
                float w = weights[o * Inputs + indices[k]];
                if (w != 0f)
                    expected = MathF.FusedMultiplyAdd(values[k], w, expected);
            }

            Assert.AreEqual(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(y[o]), $"output {o}");
        }
    }

    [TestMethod]
    public void Multiply_AnInputOutsideTheLayerOrTooFewValues_AreRefused()
    {
        var layer = CompactLayer.FromDense(new float[] { 1f, 0f, 0f, 2f }, [0f, 0f], 2, 2);
        var columns = new LayerColumns(layer);
        var y = new float[2];
        var outside = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => columns.Multiply([0, 2], [1f, 1f], y));
        StringAssert.Contains(outside.Message, "Input 2 at position 1");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => columns.Multiply([-1], [1f], y));
        Assert.ThrowsExactly<ArgumentException>(() => columns.Multiply([0, 1], [1f], y));
    }
}
