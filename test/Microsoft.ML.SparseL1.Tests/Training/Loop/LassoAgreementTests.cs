// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using MathNet.Numerics.LinearAlgebra;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Passes;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Training.Loop;

/// <summary>
/// A network with no hidden layer and squared loss is the lasso
/// <c>min (1/N) Σ (x·w + b − y)² + λ‖w‖₁</c>; proximal full-batch training must reach the solution that an
/// independent coordinate-descent solver finds, including exactly which coefficients are zero.
/// </summary>
[TestClass]
public class LassoAgreementTests
{
    [TestMethod]
    public void ProximalTraining_AgreesWithCoordinateDescentLasso()
    {
        const int Rows = 200, Columns = 10;
        const double Lambda = 0.05;
        var random = new Random(17);
        float[] x = TestData.Uniform(random, Rows * Columns);
        double[] truth = [1.5, -2, 0, 0, 0.8, 0, 0, -0.05, 0, 0.03];
        var y = new float[Rows];
        for (int r = 0; r < Rows; r++)
        {
            double sum = 0.3;
            for (int c = 0; c < Columns; c++)
                sum += truth[c] * x[r * Columns + c];
            y[r] = (float)(sum + 0.1 * (random.NextDouble() - 0.5));
        }

        var (lassoWeights, lassoBias) = CoordinateDescentLasso(x, y, Rows, Columns, Lambda);
        Assert.IsTrue(lassoWeights.Count(w => w == 0) >= 3, "the test needs a solution with several exact zeros");

        // Step 1/L, L the Lipschitz constant of the gradient of the smooth part: 2·λmax([X 1]ᵀ[X 1]/N).
        var design = Matrix<double>.Build.Dense(Rows, Columns + 1, (r, c) => c < Columns ? x[r * Columns + c] : 1.0);
        double lipschitz = 2 * design.TransposeThisAndMultiply(design).Divide(Rows).Evd().EigenValues.Max(e => e.Real);

        var data = new TrainingData(x, y, Rows, Columns);
        var parameters = MlpParameters.Initialize([Columns, 1], seed: 1);
        var settings = new TrainingSettings
        {
            Loss = LossKind.SquaredError,
            LearningRate = (float)(1 / lipschitz),
            BatchSize = 0,
            Epochs = 20000,
            Lambdas = [(float)Lambda],
            Threads = 1, Optimizer = SparseMlpOptimizer.Sgd,
        };
        ProximalTrainingLoop.Train(data, parameters, settings);

        for (int c = 0; c < Columns; c++)
        {
            float trained = parameters.Weights[0][c];
            Assert.AreEqual(lassoWeights[c] == 0, trained == 0, $"zero pattern of w[{c}]: lasso {lassoWeights[c]}, trained {trained}");
            TestData.AssertClose(lassoWeights[c], trained, 0, 2e-5, $"w[{c}]");
        }

        TestData.AssertClose(lassoBias, parameters.Biases[0][0], 0, 2e-5, "bias");
    }

    /// <summary>Cyclic coordinate descent with an unpenalised intercept, run to a tight tolerance in double.</summary>
    private static (double[] Weights, double Bias) CoordinateDescentLasso(float[] x, float[] y, int rows, int columns, double lambda)
    {
        var w = new double[columns];
        double b = y.Average(v => (double)v);
        var residual = new double[rows];
        for (int r = 0; r < rows; r++)
            residual[r] = y[r] - b;
        var squaredNorms = new double[columns];
        for (int c = 0; c < columns; c++)
        {
            for (int r = 0; r < rows; r++)
                squaredNorms[c] += (double)x[r * columns + c] * x[r * columns + c] / rows;
        }

        for (int sweep = 0; sweep < 100000; sweep++)
        {
            double change = 0;
            for (int c = 0; c < columns; c++)
            {
                double rho = 0;
                for (int r = 0; r < rows; r++)
                    rho += x[r * columns + c] * (residual[r] + x[r * columns + c] * w[c]) / rows;

                // d/dw [(1/N)Σ(r − x w)² + λ|w|] = 0  ⇒  w = S_{λ/2}(ρ) / z.
                double updated = Math.Sign(rho) * Math.Max(Math.Abs(rho) - lambda / 2, 0) / squaredNorms[c];
                double delta = updated - w[c];
                if (delta != 0)
                {
                    for (int r = 0; r < rows; r++)
                        residual[r] -= x[r * columns + c] * delta;
                    w[c] = updated;
                    change = Math.Max(change, Math.Abs(delta));
                }
            }

            double meanResidual = residual.Average();
            b += meanResidual;
            for (int r = 0; r < rows; r++)
                residual[r] -= meanResidual;
            if (change < 1e-13 && Math.Abs(meanResidual) < 1e-13)
                break;
        }

        return (w, b);
    }
}
