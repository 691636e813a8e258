// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Experiment;

/// <summary>
/// Student's t distribution with a whole number of degrees of freedom: the quantile a paired t-test on a few folds'
/// differences reads its threshold from (<see cref="SparseMlpExperimentResult.Best"/>).
/// </summary>
internal static class StudentT
{
    /// <summary>
    /// The value t with P(T ≤ t) = <paramref name="probability"/> for T of Student's t law with
    /// <paramref name="degreesOfFreedom"/> degrees of freedom (at least 1), for a probability in [0.5, 1).
    /// </summary>
    public static double Quantile(int degreesOfFreedom, double probability)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(degreesOfFreedom, 1);
        if (!(probability >= 0.5 && probability < 1))
            throw new ArgumentOutOfRangeException(nameof(probability), $"The probability must be in [0.5, 1); got {probability}.");
        // The distribution function rises with t: bisection to a relative 1e-15, from a bracket that holds the quantile
        // (one degree of freedom at 1 - 1e-12 is about 3e11); a probability so close to 1 that no finite t reaches it is refused.
        double low = 0, high = 1;
        while (Distribution(degreesOfFreedom, high) < probability)
        {
            high *= 2;
            if (double.IsInfinity(high))
                throw new ArgumentOutOfRangeException(nameof(probability), $"The probability {probability} is too close to 1 for a finite quantile.");
        }
        for (int i = 0; i < 200 && high - low > 1e-15 * high; i++)
        {
            double middle = 0.5 * (low + high);
            if (Distribution(degreesOfFreedom, middle) < probability)
                low = middle;
            else
                high = middle;
        }

        return 0.5 * (low + high);
    }

    /// <summary>
    /// P(T ≤ t) for t at least 0, from the finite series of a whole number of degrees of freedom (Abramowitz and Stegun
    /// 26.7.3 and 26.7.4: P(|T| ≤ t) in powers of cos θ, θ = atan(t / √ν)).
    /// </summary>
    public static double Distribution(int degreesOfFreedom, double t)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(degreesOfFreedom, 1);
        if (!(t >= 0))
            throw new ArgumentOutOfRangeException(nameof(t), $"t must be at least 0; got {t}.");
        double theta = Math.Atan(t / Math.Sqrt(degreesOfFreedom));
        double sin = Math.Sin(theta), cos2 = Math.Cos(theta) * Math.Cos(theta);
        double central;
        if (degreesOfFreedom % 2 == 0)
        {
            // sin θ (1 + 1/2 cos²θ + 1·3/(2·4) cos⁴θ + ... up to cos^(ν-2) θ).
            double term = 1, sum = 1;
            for (int k = 2; k <= degreesOfFreedom - 2; k += 2)
            {
                term *= cos2 * (k - 1) / k;
                sum += term;
            }

            central = sin * sum;
        }
        else
        {
            // 2/π (θ + sin θ cos θ (1 + 2/3 cos²θ + 2·4/(3·5) cos⁴θ + ... up to cos^(ν-3) θ)); θ alone for one degree.
            double series = 0;
            if (degreesOfFreedom > 1)
            {
                double term = 1, sum = 1;
                for (int k = 3; k <= degreesOfFreedom - 2; k += 2)
                {
                    term *= cos2 * (k - 1) / k;
                    sum += term;
                }

                series = sin * Math.Cos(theta) * sum;
            }

            central = 2 / Math.PI * (theta + series);
        }

        return 0.5 + 0.5 * Math.Min(central, 1);
    }
}
