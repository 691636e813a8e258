// Licensed under the MIT License. See LICENSE in the repository root.

namespace SparseL1.Bench.Defaults.Shared;

/// <summary>The learning task of a data set: it decides the label type, the trainers and the metric.</summary>
internal enum MlTask
{
    Multiclass,
    Binary,
    Regression,
}
