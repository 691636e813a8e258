// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using System.Linq;
using Mono.Cecil;

// Writes compile-only copies of ML.NET assemblies with internal types and members made public and
// private protected members made protected, so that Microsoft.ML.SparseL1 can compile against the
// persistence API (ModelSaveContext, LoadableClass, ...). At run time the real assemblies are used,
// reached through [IgnoresAccessChecksTo]. See docs/persistence.md.
//
// Usage: MlNetPublicizer <output directory> <assembly path>...
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: MlNetPublicizer <output directory> <assembly>...");
    return 2;
}

string output = args[0];
Directory.CreateDirectory(output);
foreach (string path in args.Skip(1))
{
    var resolver = new DefaultAssemblyResolver();
    resolver.AddSearchDirectory(Path.GetDirectoryName(path)!);
    using var assembly = AssemblyDefinition.ReadAssembly(path, new ReaderParameters { AssemblyResolver = resolver });
    foreach (var type in assembly.MainModule.GetTypes().Where(t => !IsCompilerEmbedded(t)))
    {
        if (type.IsNested)
            type.IsNestedPublic = true;
        else
            type.IsPublic = true;
        foreach (var method in type.Methods)
        {
            if (method.IsAssembly || method.IsFamilyOrAssembly)
                method.IsPublic = true;
            else if (method.IsFamilyAndAssembly)
                method.IsFamily = true;
        }

        foreach (var field in type.Fields)
        {
            if (field.IsAssembly || field.IsFamilyOrAssembly)
                field.IsPublic = true;
            else if (field.IsFamilyAndAssembly)
                field.IsFamily = true;
        }
    }

    string destination = Path.Combine(output, Path.GetFileName(path));
    assembly.Write(destination);
    Console.WriteLine($"publicized {Path.GetFileName(path)} -> {destination}");
}

return 0;

// Roslyn must keep embedding its own NullableAttribute & co.; publicizing ML.NET's copies would make it bind to them.
static bool IsCompilerEmbedded(TypeDefinition type) =>
    type.Namespace is "System.Runtime.CompilerServices" or "Microsoft.CodeAnalysis"
    || type.CustomAttributes.Any(a => a.AttributeType.Name == "EmbeddedAttribute");
