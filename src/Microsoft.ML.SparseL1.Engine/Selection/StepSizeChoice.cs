// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Passes;

namespace Microsoft.ML.SparseL1.Selection;

/// <summary>
/// The default step of a small regression set, chosen by k-fold cross-validation on the training rows: multiples of the
/// optimizer's default step each train one run per fold on the other folds, and the step with the least validation
/// loss over all folds trains the delivered network on every row (docs/algorithm.md §6). The two middle candidates run
/// first; then only the outer candidate on the side of the better one: three candidates instead of four.
/// </summary>
/// <remarks>
/// Why: one fixed step and budget overfit some small sets and underfit others: on the defaults benchmark the noisy
/// diabetes set wants a smaller step (or fewer steps) than Boston and mg, and no row-count rule separates them
/// (docs/algorithm.md §6 has the measurements). The choice is a validation measurement instead of a rule of thumb. Each
/// fold's run trains as many epochs as the delivered run, so that a candidate means the same amount of fitting there.
/// The walk from the middle gives the whole grid's choice whenever the validation loss has one minimum over the grid. In
/// the 15 fits of the defaults benchmark's regression sets (5 folds each of diabetes, Boston and mg) it had in 14: falling
/// with the step on mg, rising on diabetes, lowest inside the grid on Boston; one Boston fold had two (1x and 10x), where
/// the walk takes 1x, scoring as the whole grid did. It saves a quarter of the runs.
/// </remarks>
internal static class StepSizeChoice
{
    /// <summary>The candidates, as multiples of the default step (Adam: 3e-4, 1e-3, 3e-3, 1e-2).</summary>
    public static readonly float[] Multipliers = [0.3f, 1f, 3f, 10f];

    /// <summary>
    /// Folds of the cross-validation: on the defaults benchmark 3 folds scored Boston better than 5 or 2, and mg and diabetes
    /// the same (docs/algorithm.md §6).
    /// </summary>
    public const int Folds = 3;

    /// <summary>Returns the chosen step and each candidate's validation loss (mean over all rows; infinite when it diverged, NaN when not run).</summary>
    /// <param name="data">The training rows.</param>
    /// <param name="training">The delivered run's settings; each candidate changes only the step.</param>
    /// <param name="train">Trains a network on a subset with the given settings, as the delivered run would.</param>
    public static (float LearningRate, double[] ValidationLosses) Choose(TrainingData data, TrainingSettings training,
        Func<TrainingData, TrainingSettings, MlpParameters> train)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(train);
        int[] order = Enumerable.Range(0, data.Rows).ToArray();
        DeterministicRandom.ForStream(training.Seed, ShuffleStream).Shuffle(order);
        var folds = new (TrainingData Fit, TrainingData Validation)[Folds];
        for (int f = 0; f < Folds; f++)
        {
            int start = (int)((long)f * data.Rows / Folds), end = (int)((long)(f + 1) * data.Rows / Folds);
            folds[f] = (data.Select(order[..start].Concat(order[end..]).ToArray()), data.Select(order[start..end]));
        }

        // The candidate-fold runs are independent: they run side by side, one thread each (results do not depend on the
        // thread count), and their losses are summed in a fixed order, so the choice does not depend on the schedule.
        var losses = new double[Multipliers.Length];
        Array.Fill(losses, double.NaN);
        Run([1, 2]);
        // The loss falls toward the better middle candidate's side: the outer one there (down when both diverged).
        Run([losses[2] < losses[1] ? 3 : 0]);

        void Run(int[] candidates)
        {
            var foldLosses = new double[candidates.Length, Folds];
            try
            {
                System.Threading.Tasks.Parallel.For(0, candidates.Length * Folds,
                    new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, training.Threads) }, run =>
                    {
                        int k = run / Folds, f = run % Folds;
                        var candidate = training with { LearningRate = training.LearningRate * Multipliers[candidates[k]], Threads = 1 };
                        var (fit, validation) = folds[f];
                        try
                        {
                            var parameters = train(fit, candidate);
                            foldLosses[k, f] = FullGradient.Loss(parameters, validation, training.Loss, 1024, 1) * validation.TotalWeight;
                        }
                        catch (TrainingDivergedException)
                        {
                            foldLosses[k, f] = double.PositiveInfinity;
                        }
                    });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                // A cancellation (or any error) of a fold run surfaces as itself, as it would from a sequential loop.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            }

            for (int k = 0; k < candidates.Length; k++)
            {
                double total = 0;
                for (int f = 0; f < Folds; f++)
                    total += foldLosses[k, f];
                losses[candidates[k]] = data.TotalWeight > 0 ? total / data.TotalWeight : total;
            }
        }

        int best = -1;
        for (int c = 0; c < Multipliers.Length; c++)
        {
            if (double.IsFinite(losses[c]) && (best < 0 || losses[c] < losses[best]))
                best = c;
        }

        // Every candidate diverged: the default step, whose divergence the caller handles as without the choice.
        return (training.LearningRate * (best < 0 ? 1f : Multipliers[best]), losses);
    }

    /// <summary>The random stream of the fold assignment (the initial weights use -1, the epochs' shuffles 1, 2, ...).</summary>
    private const long ShuffleStream = -2;
}
