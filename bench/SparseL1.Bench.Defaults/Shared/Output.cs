// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SparseL1.Bench.Defaults.Shared;

/// <summary>One trainer on one set: per-fold values, or the error that stopped its cross-validation.</summary>
internal sealed record TrainerResult(string Trainer, bool IsOurs, double[] Scores, double[]? Auc, double[] FitSeconds, OurFold[]? OurFolds, string? Error)
{
    public bool Failed => Error is not null;

    public double ScoreMean => Stats.Mean(Scores);

    public double ScoreSd => Stats.SampleSd(Scores);

    public double? AucMean => Auc is null ? null : Stats.Mean(Auc);

    public double? AucSd => Auc is null ? null : Stats.SampleSd(Auc);

    public double FitSecondsMean => Stats.Mean(FitSeconds);

    /// <summary>What the tables show: the median is robust to a fold slowed by the shared machine.</summary>
    public double FitSecondsMedian => Stats.Median(FitSeconds);
}

/// <summary>All trainers on one set.</summary>
internal sealed record SetResult(string Set, string Task, string Metric, int Rows, int Features, int Classes, int Folds, TrainerResult[] Trainers)
{
    [JsonIgnore]
    public TrainerResult Ours => Trainers.Single(trainer => trainer.IsOurs);

    /// <summary>The best ML.NET trainer by mean metric; a NaN mean (a diverged fold) never wins.</summary>
    [JsonIgnore]
    public TrainerResult? BestMlNet => Trainers.Where(trainer => !trainer.IsOurs && !trainer.Failed && !double.IsNaN(trainer.ScoreMean))
        .OrderByDescending(trainer => trainer.ScoreMean).FirstOrDefault();

    public string? BestMlNetTrainer => BestMlNet?.Trainer;
}

internal static class Stats
{
    public static double Mean(double[] values) => values.Length == 0 ? double.NaN : values.Average();

    public static double Median(double[] values)
    {
        if (values.Length == 0)
            return double.NaN;
        double[] sorted = values.Order().ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>Sample standard deviation (n − 1) over the folds.</summary>
    public static double SampleSd(double[] values)
    {
        if (values.Length < 2)
            return double.NaN;
        double mean = values.Average();
        return Math.Sqrt(values.Sum(value => (value - mean) * (value - mean)) / (values.Length - 1));
    }
}

internal static class Output
{
    // Diverged linear trainers give NaN or huge metrics: JSON must be able to carry NaN and infinities.
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string SetTable(SetResult set)
    {
        bool binary = set.Trainers.Any(trainer => trainer.Auc is not null);
        var best = set.Trainers.Where(trainer => !trainer.Failed && !double.IsNaN(trainer.ScoreMean)).MaxBy(trainer => trainer.ScoreMean);
        var text = new StringBuilder();
        string classes = set.Classes > 0 ? $", {set.Classes} classes" : string.Empty;
        text.AppendLine($"### {set.Set} ({set.Task}, {set.Rows} rows, {set.Features} features{classes}; {set.Folds}-fold CV, {set.Metric})");
        text.AppendLine();
        text.AppendLine($"| trainer | {set.Metric} (mean ± sd) |{(binary ? " AUC (mean ± sd) |" : string.Empty)} fit s / fold (median) |");
        text.AppendLine($"|---|---|{(binary ? "---|" : string.Empty)}---|");
        foreach (var trainer in set.Trainers)
        {
            string score = trainer.Failed ? $"failed: {Cell(trainer.Error!)}" : MeanSd(trainer.ScoreMean, trainer.ScoreSd);
            if (trainer == best)
                score = $"**{score}**";
            string auc = !binary ? string.Empty : trainer.Failed ? " |" : $" {MeanSd(trainer.AucMean!.Value, trainer.AucSd!.Value)} |";
            string fit = trainer.Failed ? string.Empty : Seconds(trainer.FitSecondsMedian);
            text.AppendLine($"| {trainer.Trainer} | {score} |{auc} {fit} |");
        }

        if (set.Trainers.SingleOrDefault(trainer => trainer.IsOurs)?.OurFolds is { Length: > 0 } folds)
        {
            text.AppendLine();
            text.AppendLine($"SparseMlp per fold: sparsity {string.Join(", ", folds.Select(fold => (100 * fold.Sparsity).ToString("F1", CultureInfo.InvariantCulture) + " %"))}; " +
                $"selection converged in {folds.Count(fold => fold.Converged)} of {folds.Length} folds; selection runs {string.Join(", ", folds.Select(fold => fold.SelectionRuns))}; " +
                $"epochs {string.Join(", ", folds.Select(fold => fold.Epochs))}.");
        }

        return text.ToString();
    }

    public static string SummaryTable(IReadOnlyList<SetResult> sets)
    {
        var text = new StringBuilder();
        text.AppendLine("### Summary: our defaults against the best ML.NET trainer with its defaults");
        text.AppendLine();
        text.AppendLine("| set | metric | ours (defaults) | best ML.NET trainer | its score | gap (ours − best) | fit time ours / LightGbm (median per fold) |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var set in sets)
        {
            var ours = set.Ours;
            var best = set.BestMlNet;
            var lightGbm = set.Trainers.Single(trainer => trainer.Trainer == Trainers.LightGbm);
            string oursScore = ours.Failed ? "failed" : Number(ours.ScoreMean);
            string gap = ours.Failed || best is null ? "–" : Signed(ours.ScoreMean - best.ScoreMean);
            string ratio = ours.Failed || lightGbm.Failed ? "–" : $"{Number(ours.FitSecondsMedian / lightGbm.FitSecondsMedian, "F2")}× ({Seconds(ours.FitSecondsMedian)} s / {Seconds(lightGbm.FitSecondsMedian)} s)";
            text.AppendLine($"| {set.Set} | {set.Metric} | {oursScore} | {best?.Trainer ?? "none"} | {(best is null ? "–" : Number(best.ScoreMean))} | {gap} | {ratio} |");
        }

        return text.ToString();
    }

    public static void WriteJson(string path, object results) => File.WriteAllText(path, JsonSerializer.Serialize(results, s_json) + Environment.NewLine);

    /// <summary>Reads what <see cref="WriteJson"/> wrote.</summary>
    public static T ReadJson<T>(string path) => JsonSerializer.Deserialize<T>(File.ReadAllText(path), s_json)
        ?? throw new InvalidDataException($"{path}: no results in the file.");

    /// <summary>A score with four decimals (large ones in exponent form), as the tables print it.</summary>
    public static string Score(double value) => Number(value);

    /// <summary>A signed score difference, as the tables print it.</summary>
    public static string Gap(double value) => Signed(value);

    private static string MeanSd(double mean, double sd) => $"{Number(mean)} ± {Number(sd)}";

    // Unscaled linear trainers reach R² of -1e20; fixed point would print a wall of digits.
    private static string Number(double value, string format = "F4") =>
        double.IsFinite(value) && Math.Abs(value) >= 1e4 ? value.ToString("0.###E+0", CultureInfo.InvariantCulture) : value.ToString(format, CultureInfo.InvariantCulture);

    private static string Signed(double value) => (value >= 0 ? "+" : string.Empty) + Number(value);

    private static string Seconds(double value) => value.ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>An exception message as one table cell: one line, no pipes, bounded length.</summary>
    public static string Cell(string message)
    {
        string line = message.ReplaceLineEndings(" ").Replace('|', '/');
        return line.Length <= 300 ? line : line[..297] + "...";
    }
}
