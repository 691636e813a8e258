// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using Microsoft.ML.Data;

namespace Microsoft.ML.SparseL1.Tests.Infrastructure;

/// <summary>The small real sets of data/ (copied beside the tests): features in the first columns, the label last.</summary>
internal static class RealData
{
    /// <summary>Loads <paramref name="file"/> as a Features vector of <paramref name="features"/> values and a Single Label, cached.</summary>
    public static IDataView Load(MLContext ml, string file, int features) =>
        ml.Data.Cache(ml.Data.LoadFromTextFile(Path.Combine(AppContext.BaseDirectory, "data", file), [
            new TextLoader.Column("Features", DataKind.Single, 0, features - 1),
            new TextLoader.Column("Label", DataKind.Single, features),
        ], separatorChar: ',', hasHeader: true));
}
