// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Optimizer;
using Microsoft.ML.SparseL1.Training.Passes;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Training.Optimizer;

/// <summary>
/// After a freeze, a mostly-zero layer steps its kept weights only (<see cref="KeptWeights"/>); the result must be what a
/// whole-layer step followed by re-zeroing the frozen weights gives (the previous implementation), bit for bit.
/// </summary>
[TestClass]
public class FrozenPatternTests
{
    [TestMethod]
    [DataRow(SparseMlpOptimizer.Sgd)]
    [DataRow(SparseMlpOptimizer.Adam)]
    public void FrozenSparseLayer_StepsAsTheWholeLayerStepThenMask(SparseMlpOptimizer optimizer)
    {
        int[] sizes = [60, 40, 3];
        var parameters = MlpParameters.Initialize(sizes, seed: 1);
        var random = new Random(2);
        foreach (float[] w in parameters.Weights.Take(1))
        {
            for (int i = 0; i < w.Length; i++)
                w[i] = random.NextDouble() < 0.1 ? w[i] : 0f;
        }

        var settings = new TrainingSettings
        {
            Loss = LossKind.SoftmaxCrossEntropy, Optimizer = optimizer, LearningRate = optimizer == SparseMlpOptimizer.Adam ? 1e-2f : 0.1f,
            BatchSize = 8, Epochs = 1, Seed = 1, Threads = 1, Lambdas = [1e-3f, 1e-3f],
        };
        var frozen = new ProximalOptimizer(settings, parameters);
        frozen.FreezeZeroPattern(parameters);
        var reference = parameters.Weights.Select(w => (float[])w.Clone()).ToArray();
        var mask = reference.Select(w => w.Select(v => v != 0f ? 1f : 0f).ToArray()).ToArray();
        var moments = reference.Select(w => (new float[w.Length], new float[w.Length])).ToArray();
        var counts = new int[2];

        for (long step = 1; step <= 25; step++)
        {
            var gradients = parameters.Weights.Select(w => TestData.Uniform(random, w.Length)).ToArray();
            var biasGradients = parameters.Biases.Select(b => new float[b.Length]).ToArray();
            frozen.Step(parameters, gradients, biasGradients, counts);
            for (int j = 0; j < 2; j++)
            {
                if (optimizer == SparseMlpOptimizer.Sgd)
                    ProximalKernels.SgdStep(reference[j], gradients[j], settings.LearningRate, settings.LearningRate * settings.Lambdas[j]);
                else
                    ProximalKernels.AdamStep(reference[j], gradients[j], moments[j].Item1, moments[j].Item2,
                        new AdamCoefficients(settings.LearningRate, settings.AdamBeta1, settings.AdamBeta2, settings.AdamEpsilon, step), settings.Lambdas[j]);
                System.Numerics.Tensors.TensorPrimitives.Multiply(reference[j], mask[j], reference[j]);
                CollectionAssert.AreEqual(reference[j], parameters.Weights[j], $"step {step}, layer {j}");
            }

            CollectionAssert.AreEqual(mask.Select(m => (int)m.Sum()).ToArray(), counts, "the counts are the pattern's");
        }
    }
}
