// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics.CodeAnalysis;

namespace Microsoft.ML.SparseL1;

/// <summary>Throw helpers kept out of hot methods so the JIT can inline their callers.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowArgument(string paramName, string message) => throw new ArgumentException(message, paramName);

    /// <summary>Throws unless <paramref name="length"/> equals <paramref name="expected"/>.</summary>
    public static void CheckLength(int length, int expected, string paramName)
    {
        if (length != expected)
            ThrowArgument(paramName, $"Expected length {expected}, got {length}.");
    }
}
