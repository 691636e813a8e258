// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.ML;
using SparseL1.Bench.Defaults;
using SparseL1.Bench.Defaults.Shared;

// Defaults benchmark (issue 16, item 5): k-fold cross-validation of SparseMlp with default options against ML.NET's
// own trainers with theirs, on the small real sets in data/, without normalization. Markdown to stdout, progress to
// stderr. Arguments: [--sets wine,digits,...] [--folds N] [--json path]
const string Usage = "usage: SparseL1.Bench.Defaults [--sets wine,digits,breast_cancer,diabetes,boston,mg] [--folds N (default 5)] [--json path]";
// Untimed fits of each trainer on each set before its timed folds: at least this many, and for at least this long.
const int MinimumWarmUpFits = 3;
var minimumWarmUp = TimeSpan.FromSeconds(2);
var sets = DataSet.All.ToList();
int folds = 5;
string? jsonPath = null;
for (int i = 0; i < args.Length; i++)
{
    string? value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--sets" when value is not null:
            string[] names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            string[] unknown = names.Where(name => DataSet.All.All(set => set.Name != name)).ToArray();
            if (unknown.Length > 0)
                return Fail($"unknown set(s): {string.Join(", ", unknown)}");
            sets = DataSet.All.Where(set => names.Contains(set.Name)).ToList();
            i++;
            break;
        case "--folds" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out folds) && folds >= 2:
            i++;
            break;
        case "--json" when value is not null:
            jsonPath = Path.GetFullPath(value);
            i++;
            break;
        case "--help" or "-h":
            Console.WriteLine(Usage);
            return 0;
        default:
            return Fail($"bad argument '{args[i]}'{(value is null ? string.Empty : $" '{value}'")}");
    }
}

string dataDirectory = Path.Combine(Repository.FindRoot(), "data");
string startLoad = LoadAverage();
string mlNetVersion = typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?";
Console.WriteLine($"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, " +
    $"{RuntimeInformation.FrameworkDescription}, ML.NET {mlNetVersion}. {folds}-fold CrossValidate (seed {Trainers.Seed}, the same folds for " +
    $"every trainer), MLContext(seed: 1), every trainer with its default options, no normalization. Score: mean ± sample sd over the " +
    $"folds; fit s / fold: median over the folds of the wall-clock time of one fold's Fit, after untimed fits of the trainer on the whole set " +
    $"(at least three, for at least two seconds: compilation, the JIT's background recompilation of hot code and native loading are not in the times). Best score in bold.");
Console.WriteLine();

var results = new List<SetResult>();
foreach (var set in sets)
{
    var trainerResults = new List<TrainerResult>();
    LoadedData? shape = null;
    foreach (var spec in Trainers.For(set.Task))
    {
        // Untimed fits first, in their own context, so that the timed folds run compiled code.
        WarmUp.Run(spec, DataLoading.Load(new MLContext(seed: 1), set, dataDirectory).View, MinimumWarmUpFits, minimumWarmUp);

        // A fresh context per trainer: its random state then does not depend on which trainers ran before.
        var ml = new MLContext(seed: 1);
        var data = DataLoading.Load(ml, set, dataDirectory);
        shape = data;
        trainerResults.Add(Trainers.Measure(ml, set.Name, set.Task, data.View, spec, folds));
    }

    var setResult = new SetResult(set.Name, set.Task.ToString().ToLowerInvariant(), Trainers.MetricName(set.Task), shape!.Rows, shape.Features,
        shape.Classes, folds, [.. trainerResults]);
    results.Add(setResult);
    Console.WriteLine(Output.SetTable(setResult));
}

Console.WriteLine(Output.SummaryTable(results));
Console.WriteLine($"1-minute load average {startLoad} at the start, {LoadAverage()} at the end (more than the core count means the fit times are inflated).");
if (jsonPath is not null)
{
    Output.WriteJson(jsonPath, results);
    Console.Error.WriteLine($"Wrote {jsonPath}.");
}

return 0;

// The fit times only mean something next to the machine's load: other processes share the cores.
static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

static int Fail(string message)
{
    Console.Error.WriteLine(message);
    Console.Error.WriteLine(Usage);
    return 2;
}
