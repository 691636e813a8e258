// Licensed under the MIT License. See LICENSE in the repository root.

using System.Collections.Generic;

namespace Microsoft.ML.SparseL1.Charts;

/// <summary>One method's measured points for <see cref="SparseL1Charts.SaveAccuracyAtSparsityChart"/>.</summary>
/// <param name="Name">The method, as the legend shows it.</param>
/// <param name="Points">Achieved sparsity and test accuracy, both as fractions in [0, 1].</param>
public sealed record AccuracyAtSparsitySeries(string Name, IReadOnlyList<(double Sparsity, double Accuracy)> Points);
