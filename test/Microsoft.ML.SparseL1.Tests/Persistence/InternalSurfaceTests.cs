// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Persistence;

/// <summary>
/// Lists every ML.NET type and member the adapter assembly (the engine references no ML.NET) references that is not public in the real ML.NET
/// assemblies (reached through IgnoresAccessChecksTo), and fails when the list differs from the reviewed
/// allow-list: a new internal dependency must be a deliberate, reviewed change.
/// </summary>
[TestClass]
public class InternalSurfaceTests
{
    private static readonly string[] s_allowed =
    [
        "Microsoft.ML.Data.IInternalCatalog",
        "Microsoft.ML.Data.IInternalCatalog.get_Environment",
        "Microsoft.ML.LoadableClassAttribute",
        "Microsoft.ML.LoadableClassAttribute..ctor",
        "Microsoft.ML.ModelLoadContext",
        "Microsoft.ML.ModelLoadContext.CheckAtModel",
        "Microsoft.ML.ModelLoadContext.TryLoadBinaryStream",
        "Microsoft.ML.ModelSaveContext.CheckAtModel",
        "Microsoft.ML.ModelSaveContext.SaveBinaryStream",
        "Microsoft.ML.ModelSaveContext.SetVersionInfo",
        "Microsoft.ML.SchemaShape.Column..ctor",
        "Microsoft.ML.TrainerInfo..ctor",
        "Microsoft.ML.VersionInfo",
        "Microsoft.ML.VersionInfo..ctor",
        "Microsoft.ML.SignatureLoadModel",
        "Microsoft.ML.Runtime.ICancelable",
        "Microsoft.ML.Runtime.ICancelable.get_IsCanceled",
        // ONNX export: the scored view is a data transform that writes itself into ML.NET's ONNX context (docs/deploying.md).
        "Microsoft.ML.Data.IDataTransform",
        "Microsoft.ML.Model.OnnxConverter.ICanSaveOnnx",
        "Microsoft.ML.Model.OnnxConverter.ICanSaveOnnx.CanSaveOnnx",
        "Microsoft.ML.Model.OnnxConverter.ISaveAsOnnx",
        "Microsoft.ML.Model.OnnxConverter.ISaveAsOnnx.SaveAsOnnx",
        "Microsoft.ML.Model.OnnxConverter.ITransformCanSaveOnnx",
        "Microsoft.ML.Model.OnnxConverter.OnnxContext",
        "Microsoft.ML.Model.OnnxConverter.OnnxContext.AddInitializer",
        "Microsoft.ML.Model.OnnxConverter.OnnxContext.AddIntermediateVariable",
        "Microsoft.ML.Model.OnnxConverter.OnnxContext.ContainsColumn",
        "Microsoft.ML.Model.OnnxConverter.OnnxContext.CreateNode",
        "Microsoft.ML.Model.OnnxConverter.OnnxContext.GetNodeName",
        "Microsoft.ML.Model.OnnxConverter.OnnxContext.GetVariableName",
        "Microsoft.ML.Model.OnnxConverter.OnnxNode",
        "Microsoft.ML.Model.OnnxConverter.OnnxNode.AddAttribute",
    ];

    [TestMethod]
    public void InternalMlNetMembersUsed_MatchTheReviewedAllowList()
    {
        var assembly = typeof(SparseMlpPredictionTransformer).Assembly;
        var used = InternalReferences(assembly).ToHashSet();
        var unexpected = used.Except(s_allowed).OrderBy(x => x).ToArray();
        var stale = s_allowed.Except(used).OrderBy(x => x).ToArray();
        Assert.IsEmpty(unexpected, "New internal ML.NET references (review, then add to the allow-list): " + string.Join(", ", unexpected));
        Assert.IsEmpty(stale, "Allow-list entries no longer used (remove them): " + string.Join(", ", stale));
    }

    private static IEnumerable<string> InternalReferences(Assembly assembly)
    {
        var module = assembly.ManifestModule;
        using var pe = new PEReader(File.OpenRead(assembly.Location));
        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.TypeReferences)
        {
            Type type = module.ResolveType(MetadataTokens.GetToken(handle));
            if (IsMlNet(type) && !type.IsVisible)
                yield return Name(type);
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
                continue; // generic-method-context references into our own code
            }

            var declaring = member.DeclaringType;
            if (declaring is null || !IsMlNet(declaring))
                continue;
            if (!IsAccessible(member) || !declaring.IsVisible)
                yield return $"{Name(declaring)}.{member.Name}";
        }
    }

    private static bool IsAccessible(MemberInfo member) => member switch
    {
        MethodBase m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly,
        FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
        _ => true,
    };

    // ML.NET's assemblies, not ours (the adapter and the engine, Microsoft.ML.SparseL1.Engine).
    private static bool IsMlNet(Type type) => type.Assembly.GetName().Name is { } name
        && name.StartsWith("Microsoft.ML", StringComparison.Ordinal)
        && name != "Microsoft.ML.SparseL1" && !name.StartsWith("Microsoft.ML.SparseL1.", StringComparison.Ordinal);

    private static string Name(Type type)
    {
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        return (definition.FullName ?? definition.Name).Replace('+', '.');
    }
}
