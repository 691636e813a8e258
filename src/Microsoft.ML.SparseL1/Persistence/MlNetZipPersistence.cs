// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using Microsoft.ML.SparseL1;
using Microsoft.ML.SparseL1.Format;
using Microsoft.ML.SparseL1.Persistence;

// ML.NET finds the loader through this attribute when Model.Load meets our loader signature; the assembly is
// loaded by the name recorded in the zip, so no registration call is needed (docs/persistence.md, "Load").
[assembly: LoadableClass(typeof(SparseMlpPredictionTransformer), typeof(MlNetZipPersistence), null, typeof(SignatureLoadModel),
    "Sparse L1 MLP prediction transformer", MlNetZipPersistence.LoaderSignature)]

namespace Microsoft.ML.SparseL1.Persistence;

/// <summary>
/// Saving into and loading from the ML.NET model zip: the only code that uses ML.NET's internal persistence
/// API (ModelSaveContext, ModelLoadContext, VersionInfo, LoadableClass). The model itself is our own
/// validated binary entry (<see cref="ModelFormat"/>) beside ML.NET's <c>Model.key</c>.
/// </summary>
internal static class MlNetZipPersistence
{
    /// <summary>Globally unique among ML.NET loaders, at most 24 characters.</summary>
    internal const string LoaderSignature = "SparseL1MlpTransformer";

    public static void Save(ModelSaveContext ctx, SparseMlpPredictionTransformer transformer)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        ctx.SaveBinaryStream(ModelFormat.ZipEntryName, writer => ModelWriter.Write(writer, transformer.Model, transformer.FeatureColumnName));
        ctx.SaveBinaryStream(ModelIdentity.ZipEntryName, writer => ModelIdentity.Write(writer, transformer.Model));
    }

    /// <summary>Called by ML.NET's component catalog through reflection.</summary>
#pragma warning disable IDE0051 // Used by reflection.
    private static SparseMlpPredictionTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
#pragma warning restore IDE0051
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel(GetVersionInfo());
        SparseMlpModelParameters? model = null;
        string? feature = null;
        if (!ctx.TryLoadBinaryStream(ModelFormat.ZipEntryName, reader => (model, feature) = ModelReader.Read(reader.BaseStream)))
            throw new InvalidDataException($"The model zip has no '{ModelFormat.ZipEntryName}' entry for the sparse MLP transformer.");
        // Required: without it a payload swapped in from another model would load unchecked (every released zip has it).
        if (!ctx.TryLoadBinaryStream(ModelIdentity.ZipEntryName, reader => ModelIdentity.ReadAndCheck(reader, model!)))
            throw new InvalidDataException($"The model zip has no '{ModelIdentity.ZipEntryName}' entry beside '{ModelFormat.ZipEntryName}': it was altered, or not written by this library.");
        return new SparseMlpPredictionTransformer(model!, feature!);
    }

    // Named arguments: the positional order puts the assembly name before the loader signature (docs/persistence.md, "Save").
    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "SPL1MLPT",
        // One version for the ML.NET entry and our payload (ModelFormat's history); old versions must keep loading
        // (test/…/Persistence/Golden holds zips of every released version). A library that reads only older versions
        // is told the model is too new instead of failing on the payload's version field.
        verWrittenCur: (uint)ModelFormat.CurrentVersion,
        verReadableCur: (uint)ModelFormat.CurrentVersion,
        verWeCanReadBack: (uint)ModelFormat.OldestReadableVersion,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(MlNetZipPersistence).Assembly.FullName);
}
