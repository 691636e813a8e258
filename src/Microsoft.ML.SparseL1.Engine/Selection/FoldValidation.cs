// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Passes;

namespace Microsoft.ML.SparseL1.Selection;

/// <summary>
/// k-fold validation of candidate settings on the training rows, for the defaults that are chosen by measurement rather
/// than by a rule (the step of a small regression set, <see cref="StepSizeChoice"/>; the depth of a grown multiclass
/// network): each candidate trains one run per fold on the other folds, and its validation loss is summed over the folds.
/// The folds are drawn from the seed, so the choice is deterministic.
/// </summary>
internal sealed class FoldValidation
{
    /// <summary>
    /// Folds of the cross-validation: on the defaults benchmark 3 folds scored Boston better than 5 or 2, and mg and diabetes
    /// the same (docs/algorithm.md §6).
    /// </summary>
    public const int Folds = 3;

    private readonly TrainingData _data;
    private readonly LossKind _loss;
    private readonly int _threads;
    private readonly (TrainingData Fit, TrainingData Validation)[][] _folds;

    /// <summary>Splits <paramref name="data"/> into <see cref="Folds"/> folds drawn from <paramref name="seed"/>.</summary>
    /// <param name="data">The training rows.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="loss">The loss the validation rows are scored with.</param>
    /// <param name="threads">The candidate-fold runs that may run side by side (each with one thread).</param>
    public FoldValidation(TrainingData data, int seed, LossKind loss, int threads)
        : this([data], seed, loss, threads)
    {
    }

    /// <summary>
    /// Splits each of <paramref name="views"/>, the same rows prepared in different ways (for example with their inputs
    /// encoded and without), into the same <see cref="Folds"/> folds drawn from <paramref name="seed"/>: candidate k of
    /// <see cref="Losses"/> trains and is scored on view k, so the candidates differ only in what the view changes.
    /// </summary>
    /// <param name="views">The training rows, one view per candidate; every view has the same rows, labels and weights.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="loss">The loss the validation rows are scored with.</param>
    /// <param name="threads">The candidate-fold runs that may run side by side (each with one thread).</param>
    public FoldValidation(IReadOnlyList<TrainingData> views, int seed, LossKind loss, int threads)
    {
        ArgumentNullException.ThrowIfNull(views);
        if (views.Count == 0 || views.Any(v => v is null || v.Rows != views[0].Rows))
            throw new ArgumentException("Every view needs the same rows.", nameof(views));
        _data = views[0];
        _loss = loss;
        _threads = Math.Max(1, threads);
        int rows = _data.Rows;
        int[] order = Enumerable.Range(0, rows).ToArray();
        DeterministicRandom.ForStream(seed, ShuffleStream).Shuffle(order);
        _folds = new (TrainingData, TrainingData)[views.Count][];
        for (int v = 0; v < views.Count; v++)
        {
            _folds[v] = new (TrainingData, TrainingData)[Folds];
            for (int f = 0; f < Folds; f++)
            {
                int start = (int)((long)f * rows / Folds), end = (int)((long)(f + 1) * rows / Folds);
                _folds[v][f] = (views[v].Select(order[..start].Concat(order[end..]).ToArray()), views[v].Select(order[start..end]));
            }
        }
    }

    /// <summary>
    /// Whether classification candidates are scored by their weighted error rate on the validation rows
    /// (<see cref="ValidationError"/>) instead of their loss; regression keeps its loss.
    /// </summary>
    public bool ScoresErrorRate { get; init; }

    /// <summary>
    /// Each candidate's validation loss (or error rate, <see cref="ScoresErrorRate"/>): the mean over all rows of the loss of the run that did not train on them
    /// (infinite when a run diverged).
    /// </summary>
    /// <param name="candidates">The number of candidates: any with one view, one per view with several.</param>
    /// <param name="train">Trains candidate k on a fold's fitting rows, with one thread, as the delivered run would.</param>
    public double[] Losses(int candidates, Func<int, TrainingData, MlpParameters> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (_folds.Length > 1 && candidates != _folds.Length)
            throw new ArgumentOutOfRangeException(nameof(candidates), $"{_folds.Length} views need {_folds.Length} candidates, one per view; got {candidates}.");
        // The candidate-fold runs are independent: they run side by side, one thread each (results do not depend on the
        // thread count), and their losses are summed in a fixed order, so the choice does not depend on the schedule.
        var foldLosses = new double[candidates, Folds];
        try
        {
            System.Threading.Tasks.Parallel.For(0, candidates * Folds, new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = _threads }, run =>
            {
                int k = run / Folds, f = run % Folds;
                var (fit, validation) = _folds[_folds.Length > 1 ? k : 0][f];
                try
                {
                    var parameters = train(k, fit);
                    double score = ScoresErrorRate && _loss != LossKind.SquaredError
                        ? ValidationError.Rate(parameters, validation, _loss, 1024, 1)
                        : FullGradient.Loss(parameters, validation, _loss, 1024, 1);
                    foldLosses[k, f] = score * validation.TotalWeight;
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

        var losses = new double[candidates];
        for (int k = 0; k < candidates; k++)
        {
            double total = 0;
            for (int f = 0; f < Folds; f++)
                total += foldLosses[k, f];
            losses[k] = _data.TotalWeight > 0 ? total / _data.TotalWeight : total;
        }

        return losses;
    }

    /// <summary>The random stream of the fold assignment (the initial weights use -1, the epochs' shuffles 1, 2, ...).</summary>
    private const long ShuffleStream = -2;
}
