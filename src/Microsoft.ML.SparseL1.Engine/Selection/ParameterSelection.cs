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
        var state = new SelectionState(selection, layerSizes);
        // Resume: the saved runs replay the iteration's bookkeeping (report, best, bracket, next λ) without training.
        foreach (var saved in CompletedRuns(checkpoint, layerSizes, data.Shard))
        {
            if (state.Replay(saved))
                return (saved.Parameters, saved.Record.Lambdas.ToArray(), state.Report(saved.Record.Iteration, converged: true));
        }

        // Runs remain to be trained and saved: a folder that cannot be written fails now, not after the first of them (a
        // finished selection in a read-only folder still replays, above).
        CheckWritable(checkpoint, data.Shard);
        for (int iteration = state.NextIteration; iteration < selection.MaxIterations + 2; iteration++)
        {
            var run = TrainRun(data, layerSizes, seed, training, state, iteration, epochCompleted, cancellation);
            var record = state.Record(run, iteration);
            if (state.Reached(run.Outcome.LayerNonZeroCounts))
            {
                Save(checkpoint, new CompletedRun(record, null, record.Lambdas.ToArray(), state.RunNote, run.Parameters), data.Shard);
                return (run.Parameters, record.Lambdas.ToArray(), state.Report(iteration, converged: true));
            }

            if (iteration + 1 < selection.MaxIterations + 2)
            {
                int[]? mark = state.PrepareNextRun(run, iteration, training.Epochs, () => AddLastStepGradient(run.Gradient, run.Parameters, data, training));
                Save(checkpoint, new CompletedRun(record, mark, (float[])state.Lambdas.Clone(), state.RunNote, run.Parameters), data.Shard);
            }
        }

        return state.Closest();
    }

    /// <summary>One run of the iteration from the seeded network at the current λ, stopped by the target, and its full gradient.</summary>
    private static SelectionRun TrainRun(TrainingData data, int[] layerSizes, int seed, TrainingSettings training, SelectionState state, int iteration,
        Action<int, float[], EpochSummary>? epochCompleted, TrainingCancellation cancellation)
    {
        var selection = state.Selection;
        var watch = Stopwatch.StartNew();
        var parameters = MlpParameters.Initialize(layerSizes, seed);
        var settings = training with
        {
            Lambdas = (float[])state.Lambdas.Clone(),
            Epochs = iteration == 1 ? selection.SmallProbeEpochs : training.Epochs,
        };
        bool endedTooSparse = false;
        // The counts when the stop rule starts to apply (the end of epoch MinimumEpochsBeforeStop): with the final
        // counts of a run trained to its end, they tell TrajectoryAim where the run's trajectory crossed.
        int[] atStopMark = parameters.CountNonZeroWeights();
        var outcome = ProximalTrainingLoop.Train(data, parameters, settings,
            step =>
            {
                if (step.Epoch > selection.MinimumEpochsBeforeStop && state.Reached(step.LayerNonZeroCounts))
                    return true;
                endedTooSparse = iteration == 0 && selection.EndLargeProbeOnceTooSparse && state.AllBelowWindow(step.LayerNonZeroCounts);
                return endedTooSparse;
            },
            summary =>
            {
                if (summary.Epoch == selection.MinimumEpochsBeforeStop)
                    atStopMark = summary.LayerNonZeroCounts.ToArray();
                epochCompleted?.Invoke(iteration, settings.Lambdas, summary);
            },
            cancellation);
        var (gradient, loss) = FullGradient.Compute(parameters, data, training.Loss, Math.Max(training.EffectiveBatchSize(data.GlobalRows), 1024), training.Threads);
        watch.Stop();
        return new SelectionRun(parameters, outcome, gradient, loss, endedTooSparse, atStopMark, watch.Elapsed.TotalSeconds);
    }

    /// <summary>A trained run of the iteration.</summary>
    /// <param name="Parameters">Its network.</param>
    /// <param name="Outcome">How it ended and its counts.</param>
    /// <param name="Gradient">The full-data gradient at its end.</param>
    /// <param name="Loss">The full-data loss at its end.</param>
    /// <param name="EndedTooSparse">The large probe ended early, already too sparse.</param>
    /// <param name="AtStopMark">Its counts when the stop rule started to apply.</param>
    /// <param name="Seconds">Its wall time.</param>
    private sealed record SelectionRun(MlpParameters Parameters, TrainingOutcome Outcome, float[][] Gradient, double Loss, bool EndedTooSparse, int[] AtStopMark,
        double Seconds);

    /// <summary>
    /// The iteration's bookkeeping across runs: the λ brackets, the report's runs, the closest network so far, the λ and
    /// the note of the next run.
    /// </summary>
    private sealed class SelectionState
    {
        private readonly int[] _layerWeights;
        private readonly LambdaBracket[] _brackets;
        private readonly int _required;
        private readonly List<SelectionIteration> _iterations = [];
        private MlpParameters? _best;
        private double _bestMiss = double.PositiveInfinity;
        private int _bestIndex;

        public SelectionState(SelectionSettings selection, int[] layerSizes)
        {
            Selection = selection;
            int layers = layerSizes.Length - 1;
            _layerWeights = MlpParameters.LayerWeightCounts(layerSizes);
            long totalWeights = _layerWeights.Sum(w => (long)w);
            _brackets = selection.Targets.Select((t, g) => new LambdaBracket(t, selection.LayerWise ? _layerWeights[g] : totalWeights)).ToArray();
            _required = selection.LayerWise ? selection.RequiredLayersWithinTolerance ?? layers : 1;
            Lambdas = Enumerable.Repeat(selection.LargeProbe, layers).ToArray();
        }

        public SelectionSettings Selection { get; }

        /// <summary>λ per layer of the next run.</summary>
        public float[] Lambdas { get; private set; }

        /// <summary>The report's note of the next run (of the last one, once it is recorded).</summary>
        public string RunNote { get; private set; } = "probe: large λ";

        /// <summary>The first run still to train (after the replayed ones).</summary>
        public int NextIteration { get; private set; }

        /// <summary>Replays a saved run; true when it reached the targets (the selection ends with it).</summary>
        public bool Replay(CompletedRun saved)
        {
            var counts = saved.Record.LayerNonZeroCounts.ToArray();
            _iterations.Add(saved.Record);
            Consider(saved.Parameters, counts, saved.Record.Iteration);
            if (Reached(counts))
                return true;
            AddToBrackets(saved.Record.Lambdas.ToArray(), counts, saved.Mark);
            Lambdas = (float[])saved.NextLambdas.Clone();
            RunNote = saved.NextNote;
            NextIteration = saved.Record.Iteration + 1;
            return false;
        }

        /// <summary>Records a trained run in the report and as a candidate for the closest network.</summary>
        public SelectionIteration Record(SelectionRun run, int iteration)
        {
            int[] counts = run.Outcome.LayerNonZeroCounts;
            bool stopped = run.Outcome.Exit == TrainingExit.StopRule && !run.EndedTooSparse;
            Consider(run.Parameters, counts, iteration);
            if (run.EndedTooSparse)
                RunNote += string.Create(CultureInfo.InvariantCulture, $"; ended in epoch {run.Outcome.EpochsStarted}: too sparse");
            var record = new SelectionIteration(iteration, (float[])Lambdas.Clone(), counts, run.Loss, run.Outcome.EpochsStarted, stopped, run.Seconds, RunNote);
            _iterations.Add(record);
            return record;
        }

        /// <summary>
        /// Adds a run that missed to the brackets and sets the next run's λ and note; returns the run's counts at the stop
        /// mark when it has a trajectory worth aiming from (else null).
        /// </summary>
        public int[]? PrepareNextRun(SelectionRun run, int iteration, int epochs, Action addLastStepGradient)
        {
            int[] counts = run.Outcome.LayerNonZeroCounts;
            // Only an update run (every one trains the full epochs) that ran to its end has a trajectory worth aiming
            // from: the probes sit far outside the target on purpose, where count ∝ 1/λ does not hold (a full-length
            // small probe on the paper's regression network kept 25,395 of 25,408 weights and sent the aim nowhere).
            // With stopping allowed from the first step (the authors' rule) the mark would be the untrained network,
            // which says nothing about this λ: the final count stands for both ends.
            bool fullRun = iteration >= 2 && run.Outcome.Exit == TrainingExit.Completed;
            int[]? mark = !fullRun ? null : Selection.MinimumEpochsBeforeStop == 0 ? counts : run.AtStopMark;
            AddToBrackets(Lambdas, counts, mark);
            if (iteration == 0)
            {
                Array.Fill(Lambdas, Selection.SmallProbe);
                RunNote = Selection.SmallProbeEpochs < epochs
                    ? string.Create(CultureInfo.InvariantCulture, $"probe: small λ, {Selection.SmallProbeEpochs} of {epochs} epochs")
                    : "probe: small λ";
            }
            else
            {
                if (Selection.AccumulatedGradient)
                    addLastStepGradient();
                RunNote = UpdateLambdas(_brackets, Lambdas, run.Gradient, Selection);
            }

            return mark;
        }

        /// <summary>The closest network of all runs, when none reached the targets.</summary>
        public (MlpParameters Parameters, float[] Lambdas, SparsitySelectionReport Report) Closest() =>
            (_best!, _iterations[_bestIndex].Lambdas.ToArray(), Report(_bestIndex, converged: false));

        public SparsitySelectionReport Report(int chosen, bool converged) =>
            new(Selection.Strategy, Selection.LayerWise, Selection.Targets, _layerWeights, Selection.Tolerance, _iterations, chosen, converged);

        /// <summary>Whether enough groups are within tolerance for a run to count as reaching the targets.</summary>
        public bool Reached(int[] counts) => CountWithin(counts) >= _required;

        public bool AllBelowWindow(int[] counts)
        {
            for (int g = 0; g < _brackets.Length; g++)
            {
                if (Selection.GroupCount(counts, g) >= (1 - Selection.Tolerance) * _brackets[g].Target)
                    return false;
            }

            return true;
        }

        private void Consider(MlpParameters parameters, int[] counts, int iteration)
        {
            double miss = Miss(counts);
            if (miss < _bestMiss)
                (_best, _bestMiss, _bestIndex) = (parameters, miss, iteration);
        }

        // A run's λ and counts join each bracket; its counts at the stop mark too when it ran its full length (mark set).
        private void AddToBrackets(float[] used, int[] counts, int[]? mark)
        {
            for (int g = 0; g < _brackets.Length; g++)
                _brackets[g].Add(Selection.LayerWise ? used[g] : used[0], Selection.GroupCount(counts, g), mark is null ? null : Selection.GroupCount(mark, g));
        }

        private int CountWithin(int[] counts)
        {
            int within = 0;
            for (int g = 0; g < _brackets.Length; g++)
                within += Selection.IsWithin(Selection.GroupCount(counts, g), g) ? 1 : 0;
            return within;
        }

        private double Miss(int[] counts)
        {
            double worst = 0;
            for (int g = 0; g < _brackets.Length; g++)
                worst = Math.Max(worst, Math.Abs(Selection.GroupCount(counts, g) - _brackets[g].Target) / Math.Max(1.0, _brackets[g].Target));
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
}
