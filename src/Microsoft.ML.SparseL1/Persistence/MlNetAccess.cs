// Licensed under the MIT License. See LICENSE in the repository root.

// The run-time half of compiling against publicized ML.NET references: CoreCLR skips access checks from
// this assembly into the named ones. Without it, the first internal call throws TypeAccessException and
// ML.NET silently ignores our [LoadableClass] (so models would not load). See docs/persistence.md.
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Data")]

namespace System.Runtime.CompilerServices;

/// <summary>Matched by name by the runtime; not part of the base class library.</summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class IgnoresAccessChecksToAttribute : Attribute
{
    public IgnoresAccessChecksToAttribute(string assemblyName) => AssemblyName = assemblyName;

    public string AssemblyName { get; }
}
