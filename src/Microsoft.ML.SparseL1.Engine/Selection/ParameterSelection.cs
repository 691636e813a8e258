// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Passes;

namespace Microsoft.ML.SparseL1.Selection;

/// <summary>
/// The paper's parameter-selection iteration (arXiv 2408.02801 as its authors ran it, docs/algorithm.md §3):
/// two probes, then per outer iteration one training run from the same seeded initialisation, stopped as soon as
/// the nonzero counts are within tolerance, and a new λ (per layer when layer-wise) from the bracket of earlier
/// runs and the full training-set gradient. Returns the first network within tolerance, or the closest one.
/// </summary>
internal static class ParameterSelection
{
    /// <summary>Runs the iteration and returns the chosen network, its λ and the report.</summary>
    /// <param name="data">Training data.</param>
    /// <param name="layerSizes">Input, hidden and output sizes.</param>
    /// <param name="seed">Seed of every run's initial network.</param>
    /// <param name="training">Loss, optimizer, step, batch and epochs of every run.</param>
    /// <param name="selection">Targets, tolerance, strategy, probes.</param>
    /// <param name="epochCompleted">Called after every epoch of every run.</param>
    /// <param name="cancellation">Checked before every step.</param>
    /// <param name="checkpoint">Where completed runs are saved and, on a new start, read back so the iteration resumes after the last one; or null.</param>
    public static (MlpParameters Parameters, float[] Lambdas, SparsitySelectionReport Report) Run(TrainingData data, int[] layerSizes, int seed,
        TrainingSettings training, SelectionSettings selection, Action<int, float[], EpochSummary>? epochCompleted, TrainingCancellation cancellation,
        SelectionCheckpoint? checkpoint = null)
    {
        int layers = layerSizes.Length - 1;
        int[] layerWeights = MlpParameters.LayerWeightCounts(layerSizes);
        long totalWeights = layerWeights.Sum(w => (long)w);
        var brackets = selection.Targets.Select((t, g) => new LambdaBracket(t, selection.LayerWise ? layerWeights[g] : totalWeights)).ToArray();
        int required = selection.LayerWise ? selection.RequiredLayersWithinTolerance ?? layers : 1;
        var iterations = new List<SelectionIteration>();
        MlpParameters? best = null;
        double bestMiss = double.PositiveInfinity;
        int bestIndex = 0;
        float[] lambdas = Enumerable.Repeat(selection.LargeProbe, layers).ToArray();
        string runNote = "probe: large λ";
        int first = 0;
        // Resume: the saved runs replay the iteration's bookkeeping (report, best, bracket, next λ) without training.
        foreach (var saved in CompletedRuns(checkpoint, layerSizes, data.Shard))
        {
            var counts = saved.Record.LayerNonZeroCounts.ToArray();
            var used = saved.Record.Lambdas.ToArray();
            iterations.Add(saved.Record);
            Consider(saved.Parameters, counts, saved.Record.Iteration);
            if (CountWithin(counts) >= required)
                return (saved.Parameters, used, Report(selection, layerWeights, iterations, saved.Record.Iteration, true));
            AddToBrackets(used, counts, saved.Mark);
            lambdas = (float[])saved.NextLambdas.Clone();
            runNote = saved.NextNote;
            first = saved.Record.Iteration + 1;
        }

        // Runs remain to be trained and saved: a folder that cannot be written fails now, not after the first of them (a
        // finished selection in a read-only folder still replays, above).
        CheckWritable(checkpoint, data.Shard);
        for (int iteration = first; iteration < selection.MaxIterations + 2; iteration++)
        {
            var watch = Stopwatch.StartNew();
            var parameters = MlpParameters.Initialize(layerSizes, seed);
            var settings = training with
            {
                Lambdas = (float[])lambdas.Clone(),
                Epochs = iteration == 1 ? selection.SmallProbeEpochs : training.Epochs,
            };
            int run = iteration;
            bool endedTooSparse = false;
            // The counts when the stop rule starts to apply (the end of epoch MinimumEpochsBeforeStop): with the final
            // counts of a run trained to its end, they tell TrajectoryAim where the run's trajectory crossed.
            int[] atStopMark = parameters.CountNonZeroWeights();
            var outcome = ProximalTrainingLoop.Train(data, parameters, settings,
                step =>
                {
                    if (step.Epoch > selection.MinimumEpochsBeforeStop && CountWithin(step.LayerNonZeroCounts) >= required)
                        return true;
                    endedTooSparse = iteration == 0 && selection.EndLargeProbeOnceTooSparse && AllBelowWindow(step.LayerNonZeroCounts);
                    return endedTooSparse;
                },
                summary =>
                {
                    if (summary.Epoch == selection.MinimumEpochsBeforeStop)
                        atStopMark = summary.LayerNonZeroCounts.ToArray();
                    epochCompleted?.Invoke(run, settings.Lambdas, summary);
                },
                cancellation);
            var (gradient, loss) = FullGradient.Compute(parameters, data, training.Loss, Math.Max(training.EffectiveBatchSize(data.GlobalRows), 1024), training.Threads);
            watch.Stop();

            int[] counts = outcome.LayerNonZeroCounts;
            bool stopped = outcome.Exit == TrainingExit.StopRule && !endedTooSparse;
            Consider(parameters, counts, iteration);
            bool done = CountWithin(counts) >= required;
            float[] used = (float[])lambdas.Clone();
            if (endedTooSparse)
                runNote += string.Create(CultureInfo.InvariantCulture, $"; ended in epoch {outcome.EpochsStarted}: too sparse");
            var record = new SelectionIteration(iteration, used, counts, loss, outcome.EpochsStarted, stopped, watch.Elapsed.TotalSeconds, runNote);
            iterations.Add(record);
            if (done)
            {
                Save(checkpoint, new CompletedRun(record, null, used, runNote, parameters), data.Shard);
                return (parameters, used, Report(selection, layerWeights, iterations, iteration, true));
            }

            if (iteration + 1 < selection.MaxIterations + 2)
            {
                // Only an update run (every one trains the full epochs) that ran to its end has a trajectory worth aiming
                // from: the probes sit far outside the target on purpose, where count ∝ 1/λ does not hold (a full-length
                // small probe on the paper's regression network kept 25,395 of 25,408 weights and sent the aim nowhere).
                // With stopping allowed from the first step (the authors' rule) the mark would be the untrained network,
                // which says nothing about this λ: the final count stands for both ends.
                bool fullRun = iteration >= 2 && outcome.Exit == TrainingExit.Completed;
                int[]? mark = !fullRun ? null : selection.MinimumEpochsBeforeStop == 0 ? counts : atStopMark;
                AddToBrackets(lambdas, counts, mark);
                if (iteration == 0)
                {
                    Array.Fill(lambdas, selection.SmallProbe);
                    runNote = selection.SmallProbeEpochs < training.Epochs
                        ? string.Create(CultureInfo.InvariantCulture, $"probe: small λ, {selection.SmallProbeEpochs} of {training.Epochs} epochs")
                        : "probe: small λ";
                }
                else
                {
                    if (selection.AccumulatedGradient)
                        AddLastStepGradient(gradient, parameters, data, training);
                    runNote = UpdateLambdas(brackets, lambdas, gradient, selection);
                }

                Save(checkpoint, new CompletedRun(record, mark, (float[])lambdas.Clone(), runNote, parameters), data.Shard);
            }
        }

        return (best!, iterations[bestIndex].Lambdas.ToArray(), Report(selection, layerWeights, iterations, bestIndex, false));

        void Consider(MlpParameters parameters, int[] counts, int iteration)
        {
            double miss = Miss(counts);
            if (miss < bestMiss)
                (best, bestMiss, bestIndex) = (parameters, miss, iteration);
        }

        // A run's λ and counts join each bracket; its counts at the stop mark too when it ran its full length (mark set).
        void AddToBrackets(float[] used, int[] counts, int[]? mark)
        {
            for (int g = 0; g < brackets.Length; g++)
                brackets[g].Add(selection.LayerWise ? used[g] : used[0], selection.GroupCount(counts, g), mark is null ? null : selection.GroupCount(mark, g));
        }

        int CountWithin(int[] counts)
        {
            int within = 0;
            for (int g = 0; g < brackets.Length; g++)
            {
                within += selection.IsWithin(selection.GroupCount(counts, g), g) ? 1 : 0;
            }

            return within;
        }

        bool AllBelowWindow(int[] counts)
        {
            for (int g = 0; g < brackets.Length; g++)
            {
                if (selection.GroupCount(counts, g) >= (1 - selection.Tolerance) * brackets[g].Target)
                    return false;
            }

            return true;
        }

        double Miss(int[] counts)
        {
            double worst = 0;
            for (int g = 0; g < brackets.Length; g++)
                worst = Math.Max(worst, Math.Abs(selection.GroupCount(counts, g) - brackets[g].Target) / Math.Max(1.0, brackets[g].Target));
            return worst;
        }
    }

    /// <summary>
    /// The saved runs to replay. In data-parallel training every rank must replay the same runs: the ranks agree on the
    /// fewest any of them found (rank 0 writes; a rank that does not see the folder replays none, and so do all), and a
    /// rank that cannot read a file stops every rank.
    /// </summary>
    private static List<CompletedRun> CompletedRuns(SelectionCheckpoint? checkpoint, int[] layerSizes, Distributed.ShardLayout? shard)
    {
        if (checkpoint is null)
            return [];
        List<CompletedRun> runs = [];
        int[] found = Distributed.Collectives.AgreeOnOutcome(shard?.Communicator, "read its selection checkpoint", () =>
        {
            runs = checkpoint.Load(layerSizes).ToList();
            return runs.Count;
        }, e => e is InvalidOperationException or System.IO.IOException or UnauthorizedAccessException);
        return runs.Take(found.Min()).ToList();
    }

    /// <summary>Probes the checkpoint folder for writing (rank 0 writes; the ranks agree on the outcome).</summary>
    private static void CheckWritable(SelectionCheckpoint? checkpoint, Distributed.ShardLayout? shard)
    {
        if (checkpoint is null)
            return;
        Distributed.Collectives.AgreeOnOutcome(shard?.Communicator, "write to the selection checkpoint folder", () =>
        {
            checkpoint.CheckWritable();
            return 0;
        }, e => e is System.IO.IOException or UnauthorizedAccessException);
    }

    /// <summary>
    /// Saves a completed run. In data-parallel training (rank 0 writes) the ranks then agree on whether the write
    /// succeeded, so a full disk stops every rank with the error instead of leaving the others waiting.
    /// </summary>
    private static void Save(SelectionCheckpoint? checkpoint, CompletedRun run, Distributed.ShardLayout? shard)
    {
        if (checkpoint is null)
            return;
        Distributed.Collectives.AgreeOnOutcome(shard?.Communicator, "write the selection checkpoint", () =>
        {
            checkpoint.Save(run);
            return 0;
        }, e => e is System.IO.IOException or UnauthorizedAccessException);
    }

    private static string UpdateLambdas(LambdaBracket[] brackets, float[] lambdas, float[][] gradient, SelectionSettings selection)
    {
        if (!selection.LayerWise)
        {
            var pooled = gradient.SelectMany(g => g).Select(MathF.Abs).ToArray();
            var (lambda, note) = brackets[0].Next(selection.Strategy, pooled);
            Array.Fill(lambdas, lambda);
            return note;
        }

        var notes = new string[brackets.Length];
        for (int j = 0; j < brackets.Length; j++)
        {
            var magnitudes = Array.ConvertAll(gradient[j], MathF.Abs);
            (lambdas[j], notes[j]) = brackets[j].Next(selection.Strategy, magnitudes);
        }

        return string.Join("; ", notes.Select((n, j) => $"layer {j}: {n}"));
    }

    /// <summary>
    /// The authors' PyTorch quirk: .grad was not zeroed, so the update saw the last step's gradient plus the full one.
    /// Approximated by the gradient of the last batch in data order at the final weights (exact in spirit for
    /// full-batch training, where that batch is the whole set).
    /// </summary>
    private static void AddLastStepGradient(float[][] gradient, MlpParameters parameters, TrainingData data, TrainingSettings training)
    {
        int batch = training.EffectiveBatchSize(data.Rows);
        var last = new BatchGradient(data, training.Loss, parameters.LayerSizes, batch, training.Threads);
        int start = ((data.Rows - 1) / batch) * batch;
        last.Compute(parameters, null, start, data.Rows - start, scale: null, accumulate: false);
        for (int j = 0; j < gradient.Length; j++)
            System.Numerics.Tensors.TensorPrimitives.Add(gradient[j], last.Network.WeightGradients[j], gradient[j]);
    }

    private static SparsitySelectionReport Report(SelectionSettings selection, int[] layerWeights, List<SelectionIteration> iterations, int chosen, bool converged) =>
        new(selection.Strategy, selection.LayerWise, selection.Targets, layerWeights, selection.Tolerance, iterations, chosen, converged);
}
