// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.Generic;
using System.IO;
using System.Linq;
using SparseL1.Bench.Defaults.Shared;

namespace SparseL1.Bench.Tabular;

/// <summary>
/// The JSON of a configuration: its name, the SparseMlp settings, one line per run that added to it (when, where, which
/// sets) and every set's per-fold results. Runs of the same configuration on other sets add to the file, so a long
/// measurement can be split into chunks.
/// </summary>
internal sealed record TabularRun(string Configuration, string SparseMlpSettings, string[] Runs, SetResult[] Sets)
{
    /// <summary>This run's sets merged into <paramref name="path"/>'s when that holds the same configuration.</summary>
    public static TabularRun Merge(string path, TabularRun run, IReadOnlyList<TabularSet> order)
    {
        if (!File.Exists(path))
            return run;
        var earlier = Output.ReadJson<TabularRun>(path);
        if (earlier.Configuration != run.Configuration || earlier.SparseMlpSettings != run.SparseMlpSettings)
            return run;
        var sets = earlier.Sets.Where(set => run.Sets.All(added => added.Set != set.Set)).Concat(run.Sets)
            .OrderBy(set => Position(order, set.Set)).ToArray();
        return new TabularRun(run.Configuration, run.SparseMlpSettings, [.. earlier.Runs, .. run.Runs], sets);
    }

    /// <summary>The peers' results alone (our trainer left out), to be read by a later run with <c>--peers</c>.</summary>
    public TabularRun PeersOnly() => this with
    {
        Configuration = "peers",
        SparseMlpSettings = string.Empty,
        Sets = Sets.Select(set => set with { Trainers = set.Trainers.Where(trainer => !trainer.IsOurs).ToArray() }).ToArray(),
    };

    /// <summary>
    /// The results of this set's trainers in <paramref name="trainers"/> order: the ones run now, the others from the
    /// peers file (when it has them).
    /// </summary>
    public static TrainerResult[] WithPeers(IReadOnlyList<TabularTrainer> trainers, IReadOnlyList<TrainerResult> ran, TabularRun? peers, string set)
    {
        var cached = peers?.Sets.SingleOrDefault(result => result.Set == set)?.Trainers ?? [];
        return trainers.Select(trainer => ran.SingleOrDefault(result => result.Trainer == trainer.Spec.Name)
                ?? cached.SingleOrDefault(result => result.Trainer == trainer.Spec.Name))
            .OfType<TrainerResult>().ToArray();
    }

    private static int Position(IReadOnlyList<TabularSet> order, string name)
    {
        for (int i = 0; i < order.Count; i++)
        {
            if (order[i].Name == name)
                return i;
        }

        return int.MaxValue;
    }
}
