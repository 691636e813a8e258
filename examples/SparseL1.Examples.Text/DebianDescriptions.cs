// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;

namespace SparseL1.Examples.Text;

/// <summary>A package's description and its archive section.</summary>
public sealed class PackageText
{
    /// <summary>The short and the long description.</summary>
    public string Description { get; set; } = string.Empty;

    /// <summary>The archive section (libs, python, games, ...), without its component prefix.</summary>
    public string Section { get; set; } = string.Empty;
}

/// <summary>
/// A real labelled text corpus that every Debian machine has offline: the descriptions of the packages in the apt
/// index (<c>apt-cache dumpavail</c>, Debian 12 main: about 64,000 packages), labelled by their archive section.
/// </summary>
public static class DebianDescriptions
{
    /// <summary>
    /// <paramref name="count"/> packages drawn with <paramref name="seed"/> from those in the <paramref name="sections"/>
    /// most common sections.
    /// </summary>
    public static PackageText[] Load(int count, int sections, int seed)
    {
        var all = Parse(DumpAvail()).ToList();
        var kept = all.GroupBy(p => p.Section).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Take(sections).Select(g => g.Key).ToHashSet();
        var pool = all.Where(p => kept.Contains(p.Section)).OrderBy(p => p.Description, StringComparer.Ordinal).ToArray();
        new Random(seed).Shuffle(pool);
        return pool.Take(count).ToArray();
    }

    private static string DumpAvail()
    {
        var start = new ProcessStartInfo("apt-cache", "dumpavail") { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start apt-cache.");
        string text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 || text.Length == 0)
            throw new InvalidOperationException("apt-cache dumpavail gave no package index; run apt-get update first.");
        return text;
    }

    /// <summary>One record per package (the first of each name), from the Section and Description fields.</summary>
    private static IEnumerable<PackageText> Parse(string dump)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string record in dump.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? name = null, section = null;
            var description = new StringBuilder();
            bool inDescription = false;
            foreach (string line in record.Split('\n'))
            {
                if (line.StartsWith(' ') && inDescription)
                {
                    description.Append(' ').Append(line.Trim() == "." ? "" : line.Trim());
                    continue;
                }

                inDescription = false;
                if (line.StartsWith("Package: ", StringComparison.Ordinal))
                    name = line[9..];
                else if (line.StartsWith("Section: ", StringComparison.Ordinal))
                    section = line[9..][(line[9..].LastIndexOf('/') + 1)..];
                else if (line.StartsWith("Description: ", StringComparison.Ordinal))
                {
                    description.Append(line[13..]);
                    inDescription = true;
                }
            }

            if (name is not null && section is not null && description.Length > 0 && seen.Add(name))
                yield return new PackageText { Description = description.ToString(), Section = section };
        }
    }
}
