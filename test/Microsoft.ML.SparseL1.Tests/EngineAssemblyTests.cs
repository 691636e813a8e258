// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests;

/// <summary>
/// The library's two halves are two assemblies: the engine (Microsoft.ML.SparseL1.Engine: kernels, training, selection,
/// compact network, model format) references no ML.NET package, so the compiler rejects any ML.NET type named in it; the
/// adapter (Microsoft.ML.SparseL1: catalog, trainers and options, data reading, scoring, zip persistence, sweep) brings it
/// into ML.NET. Data flows from the adapter into the engine, never back. This test keeps the project file honest.
/// </summary>
[TestClass]
public class EngineAssemblyTests
{
    [TestMethod]
    public void Engine_ReferencesNoMlNetAssembly()
    {
        var engine = typeof(SparseMlpModelParameters).Assembly;
        Assert.AreEqual("Microsoft.ML.SparseL1.Engine", engine.GetName().Name);
        var references = engine.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        var mlNet = references.Where(name => name.StartsWith("Microsoft.ML", StringComparison.Ordinal)).ToArray();
        Assert.IsEmpty(mlNet, "the engine references " + string.Join(", ", mlNet));
    }

    [TestMethod]
    public void Adapter_IsTheAssemblyThatReferencesMlNet()
    {
        var adapter = typeof(SparseMlpPredictionTransformer).Assembly;
        Assert.AreEqual("Microsoft.ML.SparseL1", adapter.GetName().Name);
        var references = adapter.GetReferencedAssemblies().Select(a => a.Name).ToArray();
        CollectionAssert.Contains(references, "Microsoft.ML.SparseL1.Engine");
        CollectionAssert.Contains(references, "Microsoft.ML.Data");
    }
}
