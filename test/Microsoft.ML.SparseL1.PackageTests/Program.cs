// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1;

// Smoke test of the installed package: train to a target sparsity, evaluate, save, reload, compare scores, export ONNX,
// on the ML.NET the project was restored for (built once per supported version by .ci/run).
// The "libraries" section (last in the dependency manifest) must list SparseL1.MLNet as a package, not a project.
string deps = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Microsoft.ML.SparseL1.PackageTests.deps.json"));
int entry = deps.LastIndexOf("\"SparseL1.MLNet/", StringComparison.Ordinal);
if (entry < 0 || !deps.AsSpan(entry, Math.Min(200, deps.Length - entry)).ToString().Contains("\"type\": \"package\"", StringComparison.Ordinal))
    throw new InvalidOperationException("SparseL1.MLNet is not referenced as a restored package.");
// The package holds two assemblies, the ML.NET adapter and the engine it packs (not a package of its own, no ML.NET
// reference): both come from the restored package and load side by side.
foreach (string dll in new[] { "Microsoft.ML.SparseL1.dll", "Microsoft.ML.SparseL1.Engine.dll" })
{
    if (!deps.Contains($"\"lib/net10.0/{dll}\"", StringComparison.Ordinal))
        throw new InvalidOperationException($"SparseL1.MLNet does not bring lib/net10.0/{dll}.");
}

if (deps.Contains("\"Microsoft.ML.SparseL1.Engine/", StringComparison.Ordinal))
    throw new InvalidOperationException("The engine is restored as a package or project of its own.");
string location = typeof(SparseMlpPredictionTransformer).Assembly.Location;
string engineLocation = typeof(SparseMlpModelParameters).Assembly.Location;
if (typeof(SparseMlpModelParameters).Assembly.GetName().Name != "Microsoft.ML.SparseL1.Engine" || Path.GetDirectoryName(engineLocation) != Path.GetDirectoryName(location))
    throw new InvalidOperationException($"Expected the adapter and Microsoft.ML.SparseL1.Engine side by side: {location}, {engineLocation}");
var engineMlNet = typeof(SparseMlpModelParameters).Assembly.GetReferencedAssemblies().Where(a => a.Name!.StartsWith("Microsoft.ML", StringComparison.Ordinal)).ToArray();
if (engineMlNet.Length > 0)
    throw new InvalidOperationException("The packed engine references ML.NET: " + string.Join(", ", engineMlNet.Select(a => a.Name)));

// The ML.NET loaded is the one this project asked for (not the one the package was compiled against).
string wanted = typeof(Row).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "MlNetVersion").Value!;
string running = typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
Console.WriteLine($"ML.NET {running} (project restored for {wanted})");
if (running != wanted)
    throw new InvalidOperationException($"Running on ML.NET {running}, but the project was restored for {wanted}.");

// Every ML.NET type and member the packaged assembly references (internal ones included: the persistence and the ONNX
// export) resolves on this ML.NET with the name and signature it was compiled against; a missing one throws here
// instead of at its first use.
var (references, internals) = ResolveMlNetReferences(typeof(SparseMlpPredictionTransformer).Assembly);
string compiledAgainst = typeof(SparseMlpPredictionTransformer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "MlNetVersion").Value!;
Console.WriteLine($"the package, compiled against ML.NET {compiledAgainst}: {references} ML.NET references resolve on {running}, {internals} of them internal");

var ml = new MLContext(seed: 1);
var random = new Random(2);
var rows = Enumerable.Range(0, 400).Select(_ =>
{
    var x = Enumerable.Range(0, 8).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    return new Row { Features = x, Label = x[0] - x[1] > 0 };
}).ToArray();
var data = ml.Data.LoadFromEnumerable(rows);
var model = ml.BinaryClassification.Trainers.SparseMlp(hiddenLayerSizes: [16], targetSparsity: 0.7f).Fit(data);
var metrics = ml.BinaryClassification.Evaluate(model.Transform(data));
Console.WriteLine($"package {location} (engine {Path.GetFileName(engineLocation)} beside it)\nsparsity {model.Model.Sparsity:P1}, AUC {metrics.AreaUnderRocCurve:F3}");
// Target 70 % zeros = 30 % nonzero, met within the default 1 % of that count.
if (metrics.AreaUnderRocCurve < 0.9 || Math.Abs(model.Model.Sparsity - 0.7) > 0.3 * 0.01 + 1e-9)
    throw new InvalidOperationException("The packaged trainer did not learn the toy problem to the target sparsity.");

using var stream = new MemoryStream();
ml.Model.Save(model, data.Schema, stream);
stream.Position = 0;
var loaded = new MLContext().Model.Load(stream, out _);
var before = model.Transform(data).GetColumn<float>("Score").ToArray();
var after = loaded.Transform(data).GetColumn<float>("Score").ToArray();
if (!before.SequenceEqual(after))
    throw new InvalidOperationException("Scores changed after save and load.");

// ONNX: ML.NET's own converter (through the package's OnnxConverter dependency) and the compact export.
using var onnx = new MemoryStream();
ml.Model.ConvertToOnnx(loaded, data, onnx);
using var compact = new MemoryStream();
ml.Model.ConvertToCompactOnnx(loaded, data, compact);
Console.WriteLine($"ONNX {onnx.Length} bytes, compact ONNX {compact.Length} bytes");
if (onnx.Length == 0 || compact.Length == 0)
    throw new InvalidOperationException("An ONNX export wrote nothing.");
Console.WriteLine($"package smoke test on ML.NET {running}: trained, saved, loaded, scored and exported ONNX through the packed package");

static (int References, int Internal) ResolveMlNetReferences(Assembly assembly)
{
    static bool IsMlNet(Type type) => type.Assembly.GetName().Name is { } name && name.StartsWith("Microsoft.ML", StringComparison.Ordinal)
        && name != "Microsoft.ML.SparseL1" && !name.StartsWith("Microsoft.ML.SparseL1.", StringComparison.Ordinal);
    var module = assembly.ManifestModule;
    using var pe = new PEReader(File.OpenRead(assembly.Location));
    var metadata = pe.GetMetadataReader();
    int references = 0, internals = 0;
    foreach (var handle in metadata.TypeReferences)
    {
        Type type = module.ResolveType(MetadataTokens.GetToken(handle));
        if (!IsMlNet(type))
            continue;
        references++;
        internals += type.IsVisible ? 0 : 1;
    }

    foreach (var handle in metadata.MemberReferences)
    {
        MemberInfo member;
        try
        {
            member = module.ResolveMember(MetadataTokens.GetToken(handle))!;
        }
        catch (ArgumentException)
        {
            continue; // references in a generic method's context (our own code), as InternalSurfaceTests skips them
        }

        if (member.DeclaringType is not { } declaring || !IsMlNet(declaring))
            continue;
        references++;
        bool visible = member switch { MethodBase m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly, FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly, _ => true };
        internals += visible && declaring.IsVisible ? 0 : 1;
    }

    return (references, internals);
}

internal sealed class Row
{
    [VectorType(8)]
    public float[] Features { get; set; } = [];

    public bool Label { get; set; }
}
