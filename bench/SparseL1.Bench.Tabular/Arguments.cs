// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Globalization;
using System.IO;
using System.Linq;

namespace SparseL1.Bench.Tabular;

/// <summary>The command line of the tabular benchmark.</summary>
internal sealed record Arguments
{
    public const string Usage = """
        usage: SparseL1.Bench.Tabular [--sets a,b,c] [--half tune|check|all] [--trainers sparsemlp,lightgbm,fasttree,linear]
                 [--sparsemlp 'Key=Value;Key=Value'] [--folds N] [--label NAME] [--json path] [--peers path] [--save-peers path]
                 [--report] [--manifest path] [--data dir] [--experiment SECONDS] [--split-seed N]
                 [--experiment-inputs F1,F2]
          --sets, --half     which sets of the manifest run (default: all of them)
          --trainers         which trainers run; the others' results come from --peers (a JSON of an earlier run)
          --sparsemlp        SparseMlp options by name, e.g. 'HiddenLayerSizes=256,256;NumberOfEpochs=100;TargetSparsity=0.9'
          --label            the configuration's name in the output (default: defaults, or custom with --sparsemlp)
          --json             this configuration's per-fold results; sets already there from a run of the same label and
                             options are kept, so chunks of a long run add up
          --save-peers       also merge the ML.NET trainers' results into this file
          --report           fit nothing: print the tables of every set in --json
          --experiment       instead of cross-validation: per set, a SparseMlpExperiment of SECONDS on 80 % of the rows against
                             SparseMlp, LightGbm, FastTree and the linear trainer with their defaults, all scored on the other 20 %
          --split-seed       the seed of the experiment's 80/20 split (default 1): other seeds repeat the comparison on other test rows
          --experiment-inputs  the experiment's InputFractions (default: the option's default), e.g. 0.5,1
        """;

    public string[]? Sets { get; init; }

    public string Half { get; init; } = "all";

    public string[] Trainers { get; init; } = TabularTrainers.Keys;

    public SparseMlpSettings SparseMlp { get; init; } = SparseMlpSettings.None;

    public int Folds { get; init; } = 5;

    public string? Label { get; init; }

    public string? Json { get; init; }

    public string? Peers { get; init; }

    public string? SavePeers { get; init; }

    public bool Report { get; init; }

    public string? Manifest { get; init; }

    public string? DataDirectory { get; init; }

    public double? ExperimentSeconds { get; init; }

    public int SplitSeed { get; init; } = 1;

    /// <summary>The experiment's <c>InputFractions</c>, or null for the option's default.</summary>
    public float[]? ExperimentInputFractions { get; init; }

    /// <summary>The configuration's name: the label, or what the options make it.</summary>
    public string Configuration => Label ?? (SparseMlp.Text.Length == 0 ? "defaults" : "custom");

    /// <summary>The parsed arguments, or the reason they cannot be.</summary>
    public static Arguments Parse(string[] args)
    {
        var parsed = new Arguments();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            parsed = args[i] switch
            {
                "--sets" => parsed with { Sets = List(Value()) },
                "--half" => parsed with { Half = CheckHalf(Value()) },
                "--trainers" => parsed with { Trainers = Known(List(Value())) },
                "--sparsemlp" => parsed with { SparseMlp = SparseMlpSettings.Parse(Value()) },
                "--folds" => parsed with { Folds = int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out int folds) && folds >= 2 ? folds : throw new ArgumentException("--folds takes a whole number of at least 2") },
                "--label" => parsed with { Label = Value() },
                "--json" => parsed with { Json = Path.GetFullPath(Value()) },
                "--peers" => parsed with { Peers = Path.GetFullPath(Value()) },
                "--save-peers" => parsed with { SavePeers = Path.GetFullPath(Value()) },
                "--report" => parsed with { Report = true },
                "--manifest" => parsed with { Manifest = Path.GetFullPath(Value()) },
                "--data" => parsed with { DataDirectory = Path.GetFullPath(Value()) },
                "--split-seed" => parsed with { SplitSeed = int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out int seed) ? seed : throw new ArgumentException("--split-seed takes a whole number") },
                "--experiment" => parsed with { ExperimentSeconds = double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds > 0 ? seconds : throw new ArgumentException("--experiment takes seconds above 0") },
                "--experiment-inputs" => parsed with { ExperimentInputFractions = List(Value()).Select(Fraction).ToArray() },
                _ => throw new ArgumentException($"unknown argument '{args[i]}'"),
            };
        }

        return parsed;
    }

    private static float Fraction(string value) =>
        float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float fraction) ? fraction : throw new ArgumentException($"--experiment-inputs: '{value}' is not a number");

    private static string CheckHalf(string value) => value is "tune" or "check" or "all" ? value : throw new ArgumentException($"--half {value}: tune, check or all");

    private static string[] List(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string[] Known(string[] trainers)
    {
        string[] unknown = trainers.Select(name => name.ToLowerInvariant()).Except(TabularTrainers.Keys).ToArray();
        return unknown.Length == 0 ? trainers.Select(name => name.ToLowerInvariant()).ToArray()
            : throw new ArgumentException($"unknown trainer(s) {string.Join(", ", unknown)}; known: {string.Join(", ", TabularTrainers.Keys)}");
    }
}
