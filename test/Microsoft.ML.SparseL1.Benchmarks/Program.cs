// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using BenchmarkDotNet.Running;
using Microsoft.ML.SparseL1.Benchmarks;
using Microsoft.ML.SparseL1.Kernels;

// Usage:
//   dotnet run -c Release --project test/Microsoft.ML.SparseL1.Benchmarks -- json [gemm] [epoch] [breakeven] [predict] [deploy] [predict-wide[=DIR]] [sparse-input] [frozen-sparse] [input-selection] [input-interactions] [fashion-noise] [sparse-forward] [sparse-epoch] [selection-run] [threads-epoch] [parallel-section] [fit-cost] [fit-cost-wide] [fit-cost-wide-epochs] [fit-cost-wide-schedule[=E1,E2]] [fit-cost-ratios=N] [memory-synthetic|memory-fashion]   console figures as JSON (memory: one per process)
//   dotnet run -c Release --project test/Microsoft.ML.SparseL1.Benchmarks -- bdn [BenchmarkDotNet args]  BenchmarkDotNet suites
if (args.Length > 0 && args[0] == "bdn")
{
    BenchmarkSwitcher.FromAssembly(typeof(GemmBenchmarks).Assembly).Run(args[1..]);
    return;
}

var wanted = args.Length > 1 ? args[1..].ToHashSet() : ["gemm", "epoch", "breakeven", "predict"];
var results = new List<Dictionary<string, object>>();
if (wanted.Contains("gemm"))
    results.AddRange(EngineBenchmarks.DenseProducts());
if (wanted.Contains("breakeven"))
    results.AddRange(PredictionBenchmarks.BreakEven());
if (wanted.Contains("predict"))
    results.AddRange(PredictionBenchmarks.Predict());
// "fashion-noise" keeps 784 inputs in its selection run; "fashion-noise=N" keeps N.
foreach (string item in wanted.Where(w => w == "fashion-noise" || w.StartsWith("fashion-noise=", StringComparison.Ordinal)))
    results.AddRange(FashionNoiseBenchmarks.Run(inputsToKeep: item.Contains('=') ? int.Parse(item[(item.IndexOf('=') + 1)..], System.Globalization.CultureInfo.InvariantCulture) : 784));
if (wanted.Contains("input-selection"))
    results.AddRange(InputSelectionBenchmarks.Run());
if (wanted.Contains("input-interactions"))
    results.AddRange(InputSelectionBenchmarks.RunInteractions());
if (wanted.Contains("sparse-input"))
    results.AddRange(SparseInputBenchmarks.Run(rows: 20000));
if (wanted.Contains("frozen-sparse"))
    results.AddRange(FrozenSparseBenchmarks.Run(threads: 2));
if (wanted.Contains("deploy"))
    results.AddRange(DeploymentBenchmarks.Run(trainRows: 60000));
// "predict-wide" trains both networks; "predict-wide=DIR" keeps their weights in DIR and reads them from there next time.
if (wanted.Contains("predict-wide") || Value("predict-wide") is not null)
    results.AddRange(WidePredictionBenchmarks.Run(Value("predict-wide")));
if (wanted.Contains("memory-synthetic"))
    results.AddRange(MemoryBenchmarks.Synthetic());
if (wanted.Contains("memory-fashion"))
    results.AddRange(MemoryBenchmarks.Fashion());
if (wanted.Contains("epoch"))
    results.AddRange(EngineBenchmarks.TrainingEpoch(threads: 2));
if (wanted.Contains("sparse-forward"))
    results.AddRange(SparseTrainingBenchmarks.ForwardBreakEven(threads: 2));
if (wanted.Contains("sparse-epoch"))
    results.AddRange(SparseTrainingBenchmarks.SparseEpoch(threads: 2));
if (wanted.Contains("frozen-epoch"))
    results.AddRange(SparseTrainingBenchmarks.FrozenEpoch());
if (wanted.Contains("frozen-layer-parts"))
    results.AddRange(SparseTrainingBenchmarks.FrozenLayerParts());
if (wanted.Contains("threads-epoch"))
    results.AddRange(SparseTrainingBenchmarks.ThreadsEpoch());
// "fit-cost" runs the narrow network's rows; "fit-cost-wide" adds the wide network at the same nonzeros; "fit-cost-every=K"
// holds the pattern between whole-gradient steps every K steps instead of the trainer's default.
if (wanted.Contains("fit-cost") || wanted.Contains("fit-cost-wide"))
{
    results.AddRange(FitCostBenchmarks.Run(includeWide: wanted.Contains("fit-cost-wide"),
        IntValue("fit-cost-every") ?? Microsoft.ML.SparseL1.Trainers.DataDefaults.DenseGradientEvery));
}
// "fit-cost-ratios=N": N interleaved rounds of the dense and 90 % runs on 1 and 2 threads, and the medians' ratios.
if (IntValue("fit-cost-ratios") is int rounds)
    results.AddRange(FitCostBenchmarks.Ratios(rounds, Microsoft.ML.SparseL1.Trainers.DataDefaults.DenseGradientEvery));
// "fit-cost-wide-epochs": the wide network in fewer epochs than the narrow one's 20, against it.
if (wanted.Contains("fit-cost-wide-epochs"))
    results.AddRange(FitCostBenchmarks.WideEpochs(Microsoft.ML.SparseL1.Trainers.DataDefaults.DenseGradientEvery));
// "fit-cost-wide-schedule[=E1,E2,...]": the wide network in 20 epochs with its schedule ending at each fraction of the steps
// (0.6, the default, 0.35 and 0.25 unless given), against the narrow one.
if (Value("fit-cost-wide-schedule") is var givenEnds && (givenEnds is not null || wanted.Contains("fit-cost-wide-schedule")))
{
    double[] ends = givenEnds is string given
        ? given.Split(',').Select(e => double.Parse(e, System.Globalization.CultureInfo.InvariantCulture)).ToArray()
        : [0.6, 0.35, 0.25];
    results.AddRange(FitCostBenchmarks.WideSchedule(Microsoft.ML.SparseL1.Trainers.DataDefaults.DenseGradientEvery, ends));
}
// "fit-cost-accuracy=K": accuracy at four sparsities and three seeds, the whole gradient every step and every K steps.
if (IntValue("fit-cost-accuracy") is int accuracyEvery)
    results.AddRange(FitCostBenchmarks.Accuracy(accuracyEvery));
if (wanted.Contains("gemm-pair"))
    results.AddRange(EngineBenchmarks.GemmPair());
if (wanted.Contains("parallel-section"))
    results.AddRange(ParallelSectionBenchmarks.Run());
if (wanted.Contains("step-parts"))
    results.AddRange(EngineBenchmarks.StepParts());
if (wanted.Contains("selection-run"))
    results.AddRange(SparseTrainingBenchmarks.SelectionRun(threads: 2));

var report = new Dictionary<string, object>
{
    ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd"),
    ["machine"] = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}",
    ["kernelPath"] = KernelDispatch.Hardware.ToString(),
    ["results"] = results,
};
Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));

// The text after "name=" of the first such argument, or null.
string? Value(string name) => wanted.FirstOrDefault(w => w.StartsWith(name + "=", StringComparison.Ordinal)) is string item ? item[(name.Length + 1)..] : null;

int? IntValue(string name) => Value(name) is string text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : null;
