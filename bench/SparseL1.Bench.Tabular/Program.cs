// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.ML;
using SparseL1.Bench.Defaults.Shared;
using SparseL1.Bench.Tabular;

// Tabular benchmark (issue 28): k-fold cross-validation of SparseMlp against LightGbm, FastTree and a normalized linear
// trainer on the sets of bench/tabular-sets.tsv, read with TextLoader and featurized as a user's pipeline does.
// Markdown to stdout, progress to stderr; see Arguments.Usage.
Arguments arguments;
try
{
    arguments = Arguments.Parse(args);
    // A misspelt option fails here, before any fit, not in every fold.
    arguments.SparseMlp.Apply(new Microsoft.ML.SparseL1.SparseMlpMulticlassTrainer.Options());
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(Arguments.Usage);
    return 2;
}

// Untimed fits of each trainer on each set before its timed folds: at least one (a long fit has compiled its hot code by
// its end), and at least two seconds of them, as in the defaults benchmark.
const int MinimumWarmUpFits = 1;
var minimumWarmUp = TimeSpan.FromSeconds(2);
string root = Repository.FindRoot();
var manifest = Manifest.Read(arguments.Manifest ?? Path.Combine(root, "bench", "tabular-sets.tsv"));
string exportDirectory = arguments.DataDirectory ?? Path.Combine(root, "bench", "tabular-data");
string[] unknown = (arguments.Sets ?? []).Where(name => manifest.All(set => set.Name != name)).ToArray();
if (unknown.Length > 0)
{
    Console.Error.WriteLine($"unknown set(s): {string.Join(", ", unknown)}");
    return 2;
}

var sets = manifest.Where(set => (arguments.Sets is null || arguments.Sets.Contains(set.Name)) && (arguments.Half == "all" || set.Half == arguments.Half)).ToArray();
if (arguments.Report)
{
    var stored = Output.ReadJson<TabularRun>(arguments.Json ?? throw new ArgumentException("--report needs --json"));
    var shown = stored.Sets.Where(result => sets.Any(set => set.Name == result.Set)).ToArray();
    Console.WriteLine($"Configuration **{stored.Configuration}**{(stored.SparseMlpSettings.Length == 0 ? ", SparseMlp with its defaults" : $", SparseMlp options `{stored.SparseMlpSettings}`")}. Runs:");
    Console.WriteLine();
    foreach (string line in stored.Runs)
        Console.WriteLine($"- {line}");
    Console.WriteLine();
    Console.WriteLine(Summary.Tables(stored.Configuration, shown, manifest));
    foreach (var result in shown)
        Console.WriteLine(Output.SetTable(result));
    return 0;
}

if (arguments.ExperimentSeconds is double budget)
{
    Console.WriteLine(ExperimentComparison.Run(sets, root, exportDirectory, budget, arguments.SplitSeed, arguments.ExperimentInputFractions));
    return 0;
}

var peers = arguments.Peers is not null && File.Exists(arguments.Peers) ? Output.ReadJson<TabularRun>(arguments.Peers) : null;
string mlNetVersion = typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?";
string startLoad = LoadAverage();
var clock = Stopwatch.StartNew();
var results = new List<SetResult>();
foreach (var set in sets)
{
    string path = set.FilePath(root, exportDirectory);
    var trainers = TabularTrainers.For(set.Task, arguments.SparseMlp);
    var ran = new List<TrainerResult>();
    LoadedData data = TabularLoading.Load(new MLContext(seed: 1), set, path);
    foreach (var trainer in trainers.Where(trainer => arguments.Trainers.Contains(trainer.Key)))
    {
        var spec = trainer.Spec;
        WarmUp.Run(spec, data.View, MinimumWarmUpFits, minimumWarmUp);
        // A fresh context per trainer: its random state then does not depend on which trainers ran before.
        var ml = new MLContext(seed: 1);
        ran.Add(Trainers.Measure(ml, set.Name, set.Task, data.View, spec, arguments.Folds));
    }

    var setResult = new SetResult(set.Name, set.Task.ToString().ToLowerInvariant(), Trainers.MetricName(set.Task), data.Rows, data.Features, data.Classes,
        arguments.Folds, TabularRun.WithPeers(trainers, ran, peers, set.Name));
    results.Add(setResult);
    Console.WriteLine(Output.SetTable(setResult));
}

string runLine = $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, " +
    $"ML.NET {mlNetVersion}: {string.Join(", ", sets.Select(set => set.Name))} with {string.Join(", ", arguments.Trainers)}" +
    $"{(peers is null ? string.Empty : " (the other trainers from the peers file)")}, {arguments.Folds} folds, {clock.Elapsed.TotalMinutes:F1} min, " +
    $"1-minute load average {startLoad} at the start and {LoadAverage()} at the end";
var run = new TabularRun(arguments.Configuration, arguments.SparseMlp.Text, [runLine], [.. results]);
Console.WriteLine(Summary.Tables(run.Configuration, run.Sets, manifest));
Console.WriteLine($"Run: {runLine}.");
if (arguments.Json is not null)
{
    Output.WriteJson(arguments.Json, TabularRun.Merge(arguments.Json, run, manifest));
    Console.Error.WriteLine($"Wrote {arguments.Json}.");
}

if (arguments.SavePeers is not null)
{
    Output.WriteJson(arguments.SavePeers, TabularRun.Merge(arguments.SavePeers, run.PeersOnly(), manifest));
    Console.Error.WriteLine($"Wrote {arguments.SavePeers}.");
}

return 0;

// The fit times only mean something next to the machine's load: other processes share the cores.
static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";
