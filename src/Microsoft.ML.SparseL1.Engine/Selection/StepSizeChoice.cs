// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Loop;

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
    /// <summary>The default candidates, as multiples of the default step (Adam: 3e-4, 1e-3, 3e-3, 1e-2).</summary>
    public static readonly float[] DefaultMultipliers = [0.3f, 1f, 3f, 10f];

    /// <summary>Folds of the cross-validation (<see cref="FoldValidation.Folds"/>).</summary>
    public const int Folds = FoldValidation.Folds;

    /// <summary>Returns the chosen step and each candidate's validation loss (mean over all rows; infinite when it diverged, NaN when not run).</summary>
    /// <param name="data">The training rows.</param>
    /// <param name="training">The delivered run's settings; each candidate changes only the step.</param>
    /// <param name="multipliers">The candidates as multiples of the step in <paramref name="training"/>, ascending, with 1 not last.</param>
    /// <param name="train">Trains a network on a subset with the given settings, as the delivered run would.</param>
    public static (float LearningRate, double[] ValidationLosses) Choose(TrainingData data, TrainingSettings training, float[] multipliers,
        Func<TrainingData, TrainingSettings, MlpParameters> train)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(multipliers);
        var validation = new FoldValidation(data, training.Seed, training.Loss, training.Threads);
        var losses = new double[multipliers.Length];
        Array.Fill(losses, double.NaN);
        int low = Array.IndexOf(multipliers, 1f);
        Run([low, low + 1]);
        // The loss falls toward the better middle candidate's side: walk outward on that side (down when both diverged)
        // while each further candidate improves on the one before it.
        int direction = losses[low + 1] < losses[low] ? 1 : -1;
        for (int c = direction > 0 ? low + 2 : low - 1; c >= 0 && c < multipliers.Length; c += direction)
        {
            Run([c]);
            if (!(losses[c] < losses[c - direction]))
                break;
        }

        void Run(int[] candidates)
        {
            double[] candidateLosses = validation.Losses(candidates.Length,
                (k, fit) => train(fit, training with { LearningRate = training.LearningRate * multipliers[candidates[k]], Threads = 1 }));
            for (int k = 0; k < candidates.Length; k++)
                losses[candidates[k]] = candidateLosses[k];
        }

        int best = -1;
        for (int c = 0; c < multipliers.Length; c++)
        {
            if (double.IsFinite(losses[c]) && (best < 0 || losses[c] < losses[best]))
                best = c;
        }

        // Every candidate diverged: the default step, whose divergence the caller handles as without the choice.
        return (training.LearningRate * (best < 0 ? 1f : multipliers[best]), losses);
    }
}
