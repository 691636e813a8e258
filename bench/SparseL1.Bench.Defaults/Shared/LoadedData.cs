// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.ML;

namespace SparseL1.Bench.Defaults.Shared;

/// <summary>A loaded set: <c>Features</c> (known-size Single vector) and <c>Label</c> of the task's type.</summary>
internal sealed record LoadedData(IDataView View, int Rows, int Features, int Classes);
