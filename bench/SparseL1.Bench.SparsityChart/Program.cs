// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML.SparseL1.Charts;

// Draws bench/sparsity-results.md (written by bench/sparsity.sh) as a chart of test accuracy against achieved sparsity,
// one line per method. Arguments: [results.md = bench/sparsity-results.md] [chart = bench/sparsity-chart.png].
string input = args.Length > 0 ? args[0] : "bench/sparsity-results.md";
string output = args.Length > 1 ? args[1] : "bench/sparsity-chart.png";
var series = new Dictionary<string, List<(double Sparsity, double Accuracy)>>();
string section = string.Empty;
foreach (string line in File.ReadLines(input))
{
    if (line.StartsWith("## ", StringComparison.Ordinal))
        section = line;
    if (!line.StartsWith("| ", StringComparison.Ordinal) || line.StartsWith("|---", StringComparison.Ordinal))
        continue;
    string[] cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
    if (section.Contains("SparseMlp", StringComparison.Ordinal) && Number(cells[0]) is not null)
    {
        // | target | test accuracy | sparsity reached | ... (fractions)
        Add("SparseMlp, default options (one 20-epoch run)", Number(cells[2])!.Value, Number(cells[1])!.Value);
    }
    else if (section.Contains("PyTorch", StringComparison.Ordinal) && cells.Length > 3 && cells[0] is "gmp" or "oneshot")
    {
        // | method | target | test acc % | sparsity % | ... (percent)
        string name = cells[0] == "gmp" ? "gradual magnitude pruning (PyTorch, 20 epochs)" : "one-shot pruning + 2 fine-tune epochs (PyTorch)";
        Add(name, Number(cells[3])!.Value / 100, Number(cells[2])!.Value / 100);
    }
}

if (series.Count == 0)
    throw new InvalidDataException($"'{input}' holds no result table; run bench/sparsity.sh first.");
SparseL1Charts.SaveAccuracyAtSparsityChart(series.Select(s => new AccuracyAtSparsitySeries(s.Key, s.Value)).ToArray(), output);
Console.WriteLine($"Wrote {output}: {string.Join("; ", series.Select(s => $"{s.Key} ({s.Value.Count} points)"))}.");

void Add(string name, double sparsity, double accuracy)
{
    if (!series.TryGetValue(name, out var points))
        series[name] = points = [];
    points.Add((sparsity, accuracy));
}

static double? Number(string text) =>
    double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : null;
