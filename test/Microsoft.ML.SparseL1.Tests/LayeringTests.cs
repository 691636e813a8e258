// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests;

/// <summary>
/// The library's two halves: <c>Engine/</c> (kernels, training, selection, compact network, model format) knows nothing
/// of ML.NET; <c>MlNet/</c> (catalog, trainers and options, data reading, scoring, zip persistence, sweep) brings it into
/// ML.NET. Data flows from the adapter into the engine, never back.
/// </summary>
[TestClass]
public class LayeringTests
{
    // ML.NET namespaces and types, and the adapter's own types, that no engine file may name.
    private static readonly Regex s_forbidden = new(
        @"using\s+Microsoft\.ML(\.Data|\.Runtime|\.Trainers|\.Transforms)?\s*;|\b(IDataView|MLContext|IHostEnvironment|DataViewSchema|VBuffer|ModelSaveContext|ModelLoadContext"
        + @"|SparseMlpOptionsBase|OptionsValidation|SchemaChecks|DataViewReader|SparseMlpPredictionTransformer|SparseMlpRowMapper|SparseMlpFit|MlNetZipPersistence)\b",
        RegexOptions.Compiled);

    [TestMethod]
    public void EngineFiles_NameNoMlNetOrAdapterType()
    {
        string source = Path.Combine(RepositoryRoot(), "src", "Microsoft.ML.SparseL1");
        var engineFiles = Directory.GetFiles(Path.Combine(source, "Engine"), "*.cs", SearchOption.AllDirectories);
        Assert.IsGreaterThan(30, engineFiles.Length, "the engine's files");
        var offences = engineFiles
            .SelectMany(file => File.ReadLines(file).Select((line, i) => (file, line, i)))
            .Where(x => !x.line.TrimStart().StartsWith("//", StringComparison.Ordinal) && s_forbidden.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(source, x.file)}:{x.i + 1}: {x.line.Trim()}")
            .ToArray();
        Assert.IsEmpty(offences, "Engine files must not depend on ML.NET or the adapter:\n" + string.Join("\n", offences));

        var stray = Directory.GetFiles(source, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(source, f))
            .Where(f => !f.StartsWith("Engine", StringComparison.Ordinal) && !f.StartsWith("MlNet", StringComparison.Ordinal) && !f.StartsWith("obj", StringComparison.Ordinal) && !f.StartsWith("bin", StringComparison.Ordinal))
            .ToArray();
        Assert.IsEmpty(stray, "every source file belongs to Engine/ or MlNet/: " + string.Join(", ", stray));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SparseL1.MLNet.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("SparseL1.MLNet.sln not found above " + AppContext.BaseDirectory);
    }
}
