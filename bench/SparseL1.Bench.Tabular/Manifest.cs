// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Globalization;
using System.IO;
using System.Linq;
using SparseL1.Bench.Defaults.Shared;

namespace SparseL1.Bench.Tabular;

/// <summary>One line of bench/tabular-sets.tsv: a data set, how to read it, and the half it belongs to.</summary>
internal sealed record TabularSet(string Name, string Half, MlTask Task, string Source, string Label, string[] Categorical, string[] Dropped, int RowCap, string Note)
{
    /// <summary>The CSV file: the file in data/ named by the source, or the one bench/tabular-export.R wrote.</summary>
    public string FilePath(string repositoryRoot, string exportDirectory) =>
        Source.StartsWith("data/", StringComparison.Ordinal) ? Path.Combine(repositoryRoot, Source) : Path.Combine(exportDirectory, Name + ".csv");
}

/// <summary>Reads the manifest: tab-separated, a header line, '#' comments, '-' for an empty list.</summary>
internal static class Manifest
{
    /// <summary>The halves of the benchmark: defaults may be chosen on the first and are confirmed on the second.</summary>
    public static readonly string[] Halves = ["tune", "check"];

    public static TabularSet[] Read(string path)
    {
        string[] lines = File.ReadAllLines(path).Where(line => line.Length > 0 && !line.StartsWith('#')).ToArray();
        string[] header = lines[0].Split('\t');
        int Column(string name) => Array.IndexOf(header, name) is int index and >= 0 ? index : throw new InvalidDataException($"{path}: no column '{name}'.");
        int name = Column("name"), half = Column("half"), task = Column("task"), source = Column("source"), label = Column("label"),
            categorical = Column("categorical"), drop = Column("drop"), rowCap = Column("rowcap"), note = Column("note");
        return lines.Skip(1).Select((line, i) =>
        {
            string[] cells = line.Split('\t');
            if (cells.Length != header.Length)
                throw new InvalidDataException($"{path}: line {i + 2} has {cells.Length} fields, the header {header.Length}.");
            if (!Halves.Contains(cells[half]))
                throw new InvalidDataException($"{path}: {cells[name]}: half '{cells[half]}' is not one of {string.Join(", ", Halves)}.");
            return new TabularSet(cells[name], cells[half], Enum.Parse<MlTask>(cells[task], ignoreCase: true), cells[source], cells[label],
                List(cells[categorical]), List(cells[drop]), int.Parse(cells[rowCap], CultureInfo.InvariantCulture), cells[note]);
        }).ToArray();
    }

    private static string[] List(string cell) => cell == "-" ? [] : cell.Split(',', StringSplitOptions.TrimEntries);
}
