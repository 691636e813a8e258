// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.ML.Data;

namespace SparseL1.Examples.Shared;

/// <summary>A Fashion-MNIST image as an ML.NET input row.</summary>
public sealed class FashionImage
{
    /// <summary>784 pixels in [0, 1].</summary>
    [VectorType(784)]
    public float[] Pixels { get; set; } = [];

    /// <summary>The class name (<see cref="FashionMnist.ClassNames"/>).</summary>
    public string Label { get; set; } = string.Empty;
}

/// <summary>The prediction columns the examples read back (after MapKeyToValue into PredictedName).</summary>
public sealed class FashionPrediction
{
    /// <summary>The predicted class name.</summary>
    public string PredictedName { get; set; } = string.Empty;

    /// <summary>Class probabilities.</summary>
    public float[] Score { get; set; } = [];
}
