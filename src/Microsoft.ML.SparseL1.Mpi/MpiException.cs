// Licensed under the MIT License. See LICENSE in the repository root.

using System;

namespace Microsoft.ML.SparseL1.Mpi;

/// <summary>
/// An MPI call returned an error code. The message names the call, the rank, and Open MPI's description of the code.
/// </summary>
/// <remarks>
/// After a failed collective the other ranks may be blocked in it: the usual reaction is
/// <see cref="MpiCommunicator.Abort"/>, which stops every process of the job.
/// </remarks>
public sealed class MpiException : Exception
{
    internal MpiException(string function, int rank, int errorCode, string description)
        : base($"{function} failed on {(rank >= 0 ? $"rank {rank}" : "a rank not yet known")}: {description} (MPI error {errorCode}).")
    {
        Function = function;
        ErrorCode = errorCode;
    }

    /// <summary>The MPI function that failed, for example <c>MPI_Allgather</c>.</summary>
    public string Function { get; }

    /// <summary>The MPI error code it returned (an Open MPI <c>MPI_ERR_*</c> value).</summary>
    public int ErrorCode { get; }
}
