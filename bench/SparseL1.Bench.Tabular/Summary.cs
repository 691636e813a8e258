// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using SparseL1.Bench.Defaults.Shared;

namespace SparseL1.Bench.Tabular;

/// <summary>Our trainer against the best ML.NET peer, per set and per half of the manifest.</summary>
internal static class Summary
{
    /// <summary>A set is a match when our mean score is at most this much below the best peer's.</summary>
    public const double Tolerance = 0.01;

    /// <summary>One set's comparison; null gap or ratio when a side is missing or failed.</summary>
    private sealed record Row(TabularSet Set, SetResult Result, TrainerResult? Ours, TrainerResult? Best, double? Gap, double? TimeRatio);

    public static string Tables(string configuration, IReadOnlyList<SetResult> results, IReadOnlyList<TabularSet> manifest)
    {
        var rows = results.Select(result => Compare(manifest.Single(set => set.Name == result.Set), result)).ToArray();
        var text = new StringBuilder();
        text.AppendLine($"### Summary ({configuration}): ours against the best ML.NET peer, each with its defaults");
        text.AppendLine();
        text.AppendLine("| half | set | task | rows × features | metric | best peer | its score | ours | gap (ours − best) | our sparsity (mean) | our epochs (median) | fit s ours / LightGbm | ratio |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var row in rows.OrderBy(row => Array.IndexOf(Manifest.Halves, row.Set.Half)))
        {
            var lightGbm = row.Result.Trainers.SingleOrDefault(trainer => trainer.Trainer == Trainers.LightGbm);
            string sparsity = row.Ours?.OurFolds is { Length: > 0 } folds ? $"{100 * folds.Average(fold => fold.Sparsity):F1} %" : "–";
            string epochs = row.Ours?.OurFolds is { Length: > 0 } runs ? Stats.Median(runs.Select(fold => (double)fold.Epochs).ToArray()).ToString("F0", CultureInfo.InvariantCulture) : "–";
            string times = row.Ours is { Failed: false } && lightGbm is { Failed: false }
                ? $"{row.Ours.FitSecondsMedian:F3} / {lightGbm.FitSecondsMedian:F3}" : "–";
            text.AppendLine($"| {row.Set.Half} | {row.Set.Name} | {Task(row.Result)} | {row.Result.Rows} × {row.Result.Features} | {row.Result.Metric} | " +
                $"{row.Best?.Trainer ?? "–"} | {Score(row.Best)} | {(row.Ours?.Failed == true ? "failed" : Score(row.Ours))} | " +
                $"{(row.Gap is double gap ? Output.Gap(gap) : "–")} | {sparsity} | {epochs} | {times} | {Ratio(row.TimeRatio)} |");
        }

        text.AppendLine();
        text.AppendLine($"| half | sets | ours within {Tolerance} of the best peer or ahead | median gap | worst gap (set) | median fit-time ratio to LightGbm | max ratio (set) |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        foreach (string half in Manifest.Halves.Append("all"))
        {
            var group = rows.Where(row => half == "all" || row.Set.Half == half).ToArray();
            if (group.Length == 0)
                continue;
            var gaps = group.Where(row => row.Gap is not null).ToArray();
            var ratios = group.Where(row => row.TimeRatio is not null).ToArray();
            int within = gaps.Count(row => row.Gap >= -Tolerance);
            var worst = gaps.MinBy(row => row.Gap!.Value);
            var slowest = ratios.MaxBy(row => row.TimeRatio!.Value);
            string failed = group.Length > gaps.Length ? $" ({group.Length - gaps.Length} without a comparison)" : string.Empty;
            text.AppendLine($"| {half} | {group.Length} | {within} ({100.0 * within / group.Length:F0} %){failed} | " +
                $"{(gaps.Length == 0 ? "–" : Output.Gap(Stats.Median(gaps.Select(row => row.Gap!.Value).ToArray())))} | " +
                $"{(worst is null ? "–" : $"{Output.Gap(worst.Gap!.Value)} ({worst.Set.Name})")} | " +
                $"{(ratios.Length == 0 ? "–" : Ratio(Stats.Median(ratios.Select(row => row.TimeRatio!.Value).ToArray())))} | " +
                $"{(slowest is null ? "–" : $"{Ratio(slowest.TimeRatio)} ({slowest.Set.Name})")} |");
        }

        return text.ToString();
    }

    private static Row Compare(TabularSet set, SetResult result)
    {
        var ours = result.Trainers.SingleOrDefault(trainer => trainer.IsOurs);
        var best = result.BestMlNet;
        var lightGbm = result.Trainers.SingleOrDefault(trainer => trainer.Trainer == Trainers.LightGbm);
        bool oursScored = ours is { Failed: false } && !double.IsNaN(ours.ScoreMean);
        double? gap = oursScored && best is not null ? ours!.ScoreMean - best.ScoreMean : null;
        double? ratio = oursScored && lightGbm is { Failed: false } ? ours!.FitSecondsMedian / lightGbm.FitSecondsMedian : null;
        return new Row(set, result, ours, best, gap, ratio);
    }

    private static string Task(SetResult result) => result.Classes > 2 ? $"{result.Classes} classes" : result.Task;

    private static string Score(TrainerResult? trainer) => trainer is null || trainer.Failed ? "–" : Output.Score(trainer.ScoreMean);

    private static string Ratio(double? ratio) => ratio is double value ? value.ToString("F1", CultureInfo.InvariantCulture) + "×" : "–";
}
