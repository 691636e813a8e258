// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.SparseL1.Selection;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.ML.SparseL1.Training;
using Microsoft.ML.SparseL1.Training.Loop;
using Microsoft.ML.SparseL1.Training.Optimizer;
using Microsoft.ML.SparseL1.Training.Passes;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Selection;

/// <summary>The pruned start of <see cref="SparsityTracking"/> (<see cref="TrackingSettings.PrunedStartFactor"/>).</summary>
[TestClass]
public class PrunedStartTests
{
    // 400·330 + 330·40 + 40·4 = 145,360 weights: a network the optimizer holds; the first layer is the only one with an
    // eighth of them.
    private static readonly int[] s_sizes = [400, 330, 40, 4];
    private const int Target = 2_907; // 2 % of the weights: the first layer keeps 4 x 2 % = 8 % at the start

    private static TrainingSettings Training(int threads, int every = 8) => new()
    {
        Loss = LossKind.SoftmaxCrossEntropy, Optimizer = SparseMlpOptimizer.Adam, LearningRate = 3e-3f, BatchSize = 64, Epochs = 8, Seed = 2,
        Threads = threads, Lambdas = new float[3], DenseGradientEvery = every,
    };

    private static SelectionSettings Selection(bool layerWise = false) => new()
    {
        LayerWise = layerWise, Targets = layerWise ? [2_640, 1_320, 160] : [Target], Tolerance = 0.05f, MaxIterations = 1,
        Strategy = SelectionStrategy.SparsityTracking, LargeProbe = 1f, SmallProbe = 1e-4f, SmallProbeEpochs = 1,
    };

    /// <summary>Runs the tracking run as SparsityTracking does, watching each step; returns the parameters and the controller.</summary>
    private static (MlpParameters Parameters, SparsityController Controller) Run(TrainingSettings training, SelectionSettings selection, TrackingSettings tracking,
        Action<TrainingStep, ProximalOptimizer, MlpParameters>? observe = null)
    {
        var data = SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 640, 400, 4, seed: 21);
        var schedule = new TrackingSchedule(data, s_sizes, training, selection, tracking);
        var parameters = MlpParameters.Initialize(s_sizes, 5);
        var controller = new SparsityController(parameters, training, selection, tracking, schedule);
        ProximalTrainingLoop.Train(data, parameters, training, control: controller.Next,
            observe: observe is null ? null : (step, optimizer) => observe(step, optimizer, parameters));
        return (parameters, controller);
    }

    [TestMethod]
    public void PrunedStart_KeepsTheLargestWeightsAtTheScheduleStart_ThenNoZeroWeightRevivesUntilTheFreeze()
    {
        var tracking = new TrackingSettings();
        var schedule = new TrackingSchedule(SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 640, 400, 4, seed: 21), s_sizes, Training(1), Selection(), tracking);
        int firstLayerKept = (int)Math.Ceiling(4.0 * Target / 145_360 * 400 * 330);
        var violations = new List<string>();
        int[]? held = null;
        long prunedAt = 0, heldSteps = 0, frozenAt = 0;
        float[]? beforePrune = null;
        var (parameters, controller) = Run(Training(1), Selection(), tracking, (step, optimizer, p) =>
        {
            if (step.Step == schedule.Start)
                beforePrune = (float[])p.Weights[0].Clone();
            if (optimizer.Frozen)
            {
                frozenAt = frozenAt == 0 ? step.Step : frozenAt;
                return;
            }

            if (step.Step == schedule.Start + 1)
            {
                prunedAt = step.Step;
                // The pruned layer was made at the schedule's start from the weights then: here it holds at most that many.
                if (step.LayerNonZeroCounts[0] > firstLayerKept)
                    violations.Add($"step {step.Step}: {step.LayerNonZeroCounts[0]} nonzero after the prune, more than {firstLayerKept}");
                if (step.LayerNonZeroCounts[1] < 330 * 40 / 2)
                    violations.Add("the second layer (less than an eighth of the weights) was pruned");
            }

            if (step.Step > schedule.Start)
            {
                heldSteps += optimizer.Held ? 1 : 0;
                if (!optimizer.Held)
                    violations.Add($"step {step.Step}: not held before the freeze");
                var resident = optimizer.ResidentLayers?[0];
                if (resident is null)
                {
                    violations.Add($"step {step.Step}: the first layer is not resident");
                    return;
                }

                // One hold from the prune to the freeze: the same positions at every step, so no weight outside them
                // (every weight the prune zeroed) revives; the count is the held weights' nonzeros.
                int[] positions = resident.Positions.ToArray();
                if (held is not null && !held.SequenceEqual(positions))
                    violations.Add($"step {step.Step}: the held positions changed");
                held ??= positions;
                if (positions.Length > firstLayerKept)
                    violations.Add($"step {step.Step}: {positions.Length} weights held, more than the {firstLayerKept} the prune kept");
                int nonZero = resident.Values.Take(resident.Count).Count(v => v != 0f);
                if (nonZero != step.LayerNonZeroCounts[0])
                    violations.Add($"step {step.Step}: count {step.LayerNonZeroCounts[0]}, held weights {nonZero}");
            }
        });

        Assert.AreEqual(0, violations.Count, string.Join("; ", violations.Take(5)));
        Assert.IsTrue(prunedAt > 0 && heldSteps > 0, "the run pruned and held");
        Assert.IsTrue(controller.FrozenAt > 0, "the counts settled within tolerance and the pattern froze");
        int total = parameters.CountNonZeroWeights().Sum();
        Assert.IsTrue(Math.Abs(total - Target) <= 0.05 * Target, $"{total} nonzero against the target {Target}");
        // The weights the prune kept are the largest of the layer at the start: none of the first layer's nonzero weights
        // at the end was smaller there than every weight the prune removed.
        Assert.IsNotNull(beforePrune);
        float smallestKeptThen = parameters.Weights[0].Select((w, i) => (w, i)).Where(t => t.w != 0f).Min(t => MathF.Abs(beforePrune[t.i]));
        float[] sorted = beforePrune.Select(MathF.Abs).OrderByDescending(m => m).ToArray();
        Assert.IsGreaterThanOrEqualTo(sorted[firstLayerKept - 1], smallestKeptThen, "a surviving weight was among the largest at the prune");
    }

    [TestMethod]
    public void PrunedStart_BitIdenticalForAnyThreadCount_AndOffWhenTheTargetIsDenseOrThePatternIsNeverHeld()
    {
        var tracking = new TrackingSettings();
        var one = Run(Training(1), Selection(), tracking).Parameters;
        var two = Run(Training(2), Selection(), tracking).Parameters;
        for (int j = 0; j < 3; j++)
            CollectionAssert.AreEqual(one.Weights[j], two.Weights[j], $"layer {j}: 1 vs 2 threads");

        // Off: the same run from all weights differs; so do a run whose pattern is never held (the whole gradient every
        // step) and one at factor 0, and those two are the same run.
        var off = Run(Training(1), Selection(), tracking with { PrunedStartFactor = 0 }).Parameters;
        Assert.IsFalse(off.Weights[0].SequenceEqual(one.Weights[0]), "the pruned start changes the run");
        var everyStep = Run(Training(1, every: 1), Selection(), tracking).Parameters;
        var everyStepOff = Run(Training(1, every: 1), Selection(), tracking with { PrunedStartFactor = 0 }).Parameters;
        CollectionAssert.AreEqual(everyStepOff.Weights[0], everyStep.Weights[0], "no pruned start where the pattern is never held");

        // A target of 5 % is 20 % at the start, above PrunedStartDensity: no prune.
        var schedule = new TrackingSchedule(SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 640, 400, 4, seed: 21), s_sizes, Training(1), Selection(), tracking);
        int afterStart = 0;
        var dense = Selection() with { Targets = [7_268] };
        Run(Training(1), dense, tracking, (step, optimizer, p) => afterStart = step.Step == schedule.Start + 1 ? step.LayerNonZeroCounts[0] : afterStart);
        Assert.IsGreaterThan(0.9 * 400 * 330, afterStart, "a target of 5 % starts from all weights");
    }

    [TestMethod]
    public void PrunedStart_LayerTargets_PruneEachLargeLayerToItsOwnFactor()
    {
        var tracking = new TrackingSettings();
        var schedule = new TrackingSchedule(SyntheticData.Make(LossKind.SoftmaxCrossEntropy, 640, 400, 4, seed: 21), s_sizes, Training(1), Selection(layerWise: true), tracking);
        int[]? afterPrune = null;
        Run(Training(1), Selection(layerWise: true), tracking, (step, optimizer, p) =>
        {
            if (step.Step == schedule.Start + 1)
                afterPrune = (int[])step.LayerNonZeroCounts.Clone();
        });
        Assert.IsNotNull(afterPrune);
        Assert.IsLessThanOrEqualTo(4 * 2_640, afterPrune[0], "the first layer: 4 x its 2 % target at most");
        Assert.IsGreaterThan(330 * 40 / 2, afterPrune[1], "the second layer, under an eighth of the weights, stays whole");
    }
}
