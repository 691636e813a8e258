// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Data;
using Microsoft.ML.SparseL1.Training.Loop;

namespace Microsoft.ML.SparseL1.Selection;

/// <summary>
/// The feedback law of <see cref="SparsityTracking"/>, one proximal step at a time: from each step's nonzero counts (and
/// the inputs still used) it returns what the next steps use, and the training loop applies it
/// (<see cref="ControlledSteps"/>): λ per layer, the input penalty's group step, the reweighting offset when the schedule
/// starts, the freeze once the counts have settled, and the refit's decaying step size after it. It reads the parameters
/// once (their mean magnitude when the schedule starts) and writes nothing.
/// </summary>
internal sealed class SparsityController
{
    /// <summary>λ when the schedule starts; the feedback law moves it by up to a factor e^gain per step from there.</summary>
    private const float InitialLambda = 1e-6f;

    private readonly MlpParameters _parameters;
    private readonly TrainingSettings _training;
    private readonly SelectionSettings _selection;
    private readonly TrackingSettings _tracking;
    private readonly TrackingSchedule _schedule;

    /// <summary>Inputs the group penalty steers the first layer down to (TrackingSettings.InputsToKeep), or null.</summary>
    private readonly int? _inputTarget;

    /// <summary>Inputs chosen before the run bound the first layer's weights as a kept count does; no penalty steers them.</summary>
    private readonly int? _reachableInputs;

    private readonly float[] _lambdas;
    private readonly long[] _counts;
    private bool _started;
    private float _inputLambda;
    private int _usedInputs;

    /// <summary>The inputs the schedule wants at the step of the input-group step asked for last.</summary>
    private double _wantedInputs;

    public SparsityController(MlpParameters parameters, TrainingSettings training, SelectionSettings selection, TrackingSettings tracking, TrackingSchedule schedule)
    {
        _parameters = parameters;
        _training = training;
        _selection = selection;
        _tracking = tracking;
        _schedule = schedule;
        _inputTarget = tracking.InputsToKeep;
        _reachableInputs = _inputTarget ?? tracking.KeptInputs?.Length;
        _usedInputs = tracking.KeptInputs?.Length ?? parameters.InputSize;
        _lambdas = new float[schedule.Groups];
        _counts = new long[schedule.Groups];
    }

    /// <summary>The step at which the zero pattern was frozen; 0 while it is not.</summary>
    public long FrozenAt { get; private set; }

    /// <summary>λ per layer when the pattern was frozen; null while it is not.</summary>
    public float[]? FrozenLambdas { get; private set; }

    /// <summary>The λ per layer the feedback law holds now (at the freeze, its last values).</summary>
    public float[] Lambdas => Expand(_lambdas, _schedule.Layers);

    /// <summary>
    /// Whether a run on inputs chosen before it, which keeps its l1 to the end (<see cref="TrackingSettings.SettleBelowUnreachableTarget"/>
    /// false), ended at or below a target its inputs cannot reach: the target met as an upper bound, without a freeze.
    /// </summary>
    public bool EndedBelowUnreachableTarget => FrozenAt == 0 && KeepsL1BelowUnreachableTarget && WithinOrBelowReachable();

    /// <summary>A run on inputs chosen before it whose counts below an unreachable target do not settle it (<see cref="TrackingSettings.SettleBelowUnreachableTarget"/>).</summary>
    private bool KeepsL1BelowUnreachableTarget => _inputTarget is null && _reachableInputs is not null && !_tracking.SettleBelowUnreachableTarget;

    /// <summary>The inputs the run may end with, when inputs are selected; null otherwise.</summary>
    public int? ReachableInputs => _reachableInputs;

    /// <summary>An epoch's summary with the schedule's count at its end and whether the pattern is frozen.</summary>
    public EpochSummary Annotate(EpochSummary summary) => summary with
    {
        ScheduledNonZeroCount = (long)Math.Round(Enumerable.Range(0, _schedule.Groups).Sum(g => _schedule.Scheduled(g, summary.Epoch * _schedule.StepsPerEpoch))),
        PatternFrozen = FrozenAt > 0,
    };

    /// <summary>What the steps after <paramref name="step"/> use.</summary>
    public StepControl Next(TrainingStep step)
    {
        if (FrozenAt > 0)
            return _tracking.DecayRefit ? new StepControl { LearningRate = RefitLearningRate(step.Step) } : StepControl.Unchanged;
        if (step.Step < _schedule.Start)
            return StepControl.Unchanged;
        if (step.UsedInputs is int used)
            FollowInputSchedule(used);
        for (int g = 0; g < _schedule.Groups; g++)
            _counts[g] = _selection.GroupCount(step.LayerNonZeroCounts, g);

        if (!_started)
            return Start(step.Step);
        if (step.Step >= _schedule.End && Settled())
            return Freeze(step.Step);
        FollowSchedule(step.Step);
        return new StepControl { Lambdas = Lambdas, NextInputStep = InputStep(step.Step + 1) };
    }

    /// <summary>
    /// The dense phase ends: λ starts from a small value, and the reweighting offset is set from the weights' magnitude
    /// now, so that it means the same for any feature or label scale.
    /// </summary>
    private StepControl Start(long step)
    {
        _started = true;
        Array.Fill(_lambdas, InitialLambda);
        _inputLambda = InitialLambda;
        return new StepControl
        {
            Lambdas = Lambdas,
            ReweightOffset = _tracking.ReweightFactor * MeanAbsoluteWeight(_parameters),
            NextInputStep = InputStep(step + 1),
        };
    }

    /// <summary>The counts have settled after the schedule: the pattern is frozen and the kept weights refit without l1.</summary>
    private StepControl Freeze(long step)
    {
        FrozenAt = step;
        FrozenLambdas = Lambdas;
        return new StepControl { FreezeZeroPattern = true, Lambdas = new float[_schedule.Layers], ReweightOffset = 0f };
    }

    /// <summary>Each group's λ is multiplied by e^(gain·relative count error) towards the schedule's count.</summary>
    private void FollowSchedule(long step)
    {
        for (int g = 0; g < _schedule.Groups; g++)
        {
            double wanted = _schedule.Scheduled(g, step);
            double error = Math.Clamp((_counts[g] - wanted) / Math.Max(wanted, 1.0), -1.0, 1.0);
            _lambdas[g] = (float)(_lambdas[g] * Math.Exp(_schedule.Gain * error));
        }
    }

    /// <summary>The input penalty's λ follows the inputs the last group step left, as λ follows the counts.</summary>
    private void FollowInputSchedule(int used)
    {
        _usedInputs = used;
        _inputLambda *= (float)Math.Exp(_schedule.Gain * Math.Clamp((_usedInputs - _wantedInputs) / Math.Max(_wantedInputs, 1.0), -1.0, 1.0));
    }

    /// <summary>
    /// The input-group step after proximal step <paramref name="step"/>: at the schedule's end the strongest inputs are
    /// kept and the others stay out (an element-wise step could otherwise revive them); before, the group penalty follows
    /// the schedule without going below it. Null without input selection.
    /// </summary>
    private InputGroupStep? InputStep(long step)
    {
        if (_inputTarget is not int keep)
            return null;
        int inputs = _parameters.InputSize;
        _wantedInputs = keep + (inputs - keep) * Math.Pow(1.0 - Math.Clamp((double)(step - _schedule.Start) / (_schedule.End - _schedule.Start), 0.0, 1.0), 3);
        return new InputGroupStep(_inputLambda, _wantedInputs) { KeepStrongest = step >= _schedule.End ? keep : null };
    }

    /// <summary>The refit's step decays to zero along a half cosine over the steps left, so the kept weights settle.</summary>
    private float RefitLearningRate(long step) =>
        (float)(_training.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * (step - FrozenAt) / Math.Max(1, _schedule.TotalSteps - FrozenAt))));

    private bool Settled() => _reachableInputs is null || KeepsL1BelowUnreachableTarget ? AllWithin() : WithinOrBelowReachable();

    /// <summary>At most the inputs the run may end with, and every count within tolerance or below an unreachable target.</summary>
    private bool WithinOrBelowReachable() => _usedInputs <= _reachableInputs && AllWithinOrBelow();

    private bool AllWithin()
    {
        for (int g = 0; g < _schedule.Groups; g++)
        {
            if (!_selection.IsWithin(_counts[g], g))
                return false;
        }

        return true;
    }

    /// <summary>
    /// With input selection, k inputs may hold fewer first-layer weights than the target allows (10 of 200 inputs x 100
    /// neurons is 1,000 weights): the target is then an upper bound, met by any count at or below it.
    /// </summary>
    private bool AllWithinOrBelow()
    {
        int[] layerWeights = _schedule.LayerWeights;
        for (int g = 0; g < _schedule.Groups; g++)
        {
            // The most weights the group can hold once only the kept inputs feed the first layer.
            long reachable = (g == 0 ? (long)_reachableInputs!.Value * _parameters.LayerSizes[1] : layerWeights[g])
                + (_selection.LayerWise ? 0 : layerWeights.Skip(1).Sum(w => (long)w));
            bool unreachable = _selection.Targets[g] > reachable;
            if (!_selection.IsWithin(_counts[g], g) && !(unreachable && _counts[g] <= _selection.Targets[g]))
                return false;
        }

        return true;
    }

    private static float[] Expand(float[] lambdas, int layers) =>
        lambdas.Length == layers ? (float[])lambdas.Clone() : Enumerable.Repeat(lambdas[0], layers).ToArray();

    private static float MeanAbsoluteWeight(MlpParameters parameters)
    {
        double sum = 0;
        long count = 0;
        foreach (var w in parameters.Weights)
        {
            foreach (float v in w)
                sum += Math.Abs(v);
            count += w.Length;
        }

        return (float)(sum / count);
    }
}

/// <summary>The steps of a <see cref="SparsityTracking"/> run, and the cubic schedule of the nonzero counts along them.</summary>
internal sealed class TrackingSchedule
{
    private readonly SelectionSettings _selection;

    public TrackingSchedule(TrainingData data, int[] layerSizes, TrainingSettings training, SelectionSettings selection, TrackingSettings tracking)
    {
        _selection = selection;
        Layers = layerSizes.Length - 1;
        LayerWeights = MlpParameters.LayerWeightCounts(layerSizes);
        Groups = selection.LayerWise ? Layers : 1;
        GroupWeights = selection.LayerWise ? LayerWeights.Select(w => (long)w).ToArray() : [LayerWeights.Sum(w => (long)w)];
        // Steps are of the whole training set (all shards together in data-parallel training).
        Batch = training.EffectiveBatchSize(data.GlobalRows);
        StepsPerEpoch = TrainingSettings.StepsPerEpoch(Batch, data.GlobalRows);
        TotalSteps = StepsPerEpoch * training.Epochs;
        Start = (long)Math.Round(tracking.ScheduleStart * TotalSteps);
        End = Math.Max(Start + 1, (long)Math.Round(tracking.ScheduleEnd * TotalSteps));
        // A short schedule needs a faster law: λ must be able to cross ten decades (e^23) within a quarter of it.
        Gain = Math.Max(tracking.Gain, 23.0 / (0.25 * (End - Start)));
    }

    /// <summary>Weight layers.</summary>
    public int Layers { get; }

    /// <summary>Weights per layer.</summary>
    public int[] LayerWeights { get; }

    /// <summary>Counted groups: one per layer when layer-wise, else one for all.</summary>
    public int Groups { get; }

    /// <summary>Weights per group.</summary>
    public long[] GroupWeights { get; }

    /// <summary>Examples per step.</summary>
    public int Batch { get; }

    /// <summary>Steps per epoch.</summary>
    public long StepsPerEpoch { get; }

    /// <summary>Steps of the run.</summary>
    public long TotalSteps { get; }

    /// <summary>The step at which the schedule starts (the dense phase before it).</summary>
    public long Start { get; }

    /// <summary>The step at which the schedule reaches the target.</summary>
    public long End { get; }

    /// <summary>The feedback law's gain per step.</summary>
    public double Gain { get; }

    /// <summary>The cubic schedule: all weights until the start, the target from the end on, (1-u)^3 of the difference between.</summary>
    public double Scheduled(int g, long step)
    {
        double u = Math.Clamp((double)(step - Start) / (End - Start), 0.0, 1.0);
        double remaining = 1.0 - u;
        return _selection.Targets[g] + (GroupWeights[g] - _selection.Targets[g]) * remaining * remaining * remaining;
    }
}
