// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;

namespace Microsoft.ML.SparseL1.Sweep;

/// <summary>One (target, fold) training job of a sweep.</summary>
internal readonly record struct SweepJob(float Target, int Fold)
{
    /// <summary>The job as error messages name it.</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the sweep's job (target {Target}, fold {Fold})");
}

/// <summary>A trained job: its model, training time and, when it was received from another rank, its saved size.</summary>
/// <param name="Model">The fitted pipeline (loaded from its zip when another rank trained it).</param>
/// <param name="Seconds">Wall time of the fit, on the rank that ran it.</param>
/// <param name="SavedBytes">The size of the zip its owner saved (a loaded chain saves a few bytes differently), or null.</param>
internal readonly record struct TrainedJob(ITransformer Model, double Seconds, long? SavedBytes = null);

/// <summary>
/// Trains a batch of fits (a sweep's or an experiment's) over the ranks of a group: job j on rank j mod Size; then each
/// job's owner broadcasts its outcome (the saved model, or the error), so that every rank holds every model, or every
/// rank throws the same error. A failure is exchanged like a model, so no rank waits for a job that will never come.
/// In one process the jobs just run in order. A job's <c>ToString</c> names it in error messages ("the sweep's job ...").
/// </summary>
internal static class SweepJobs
{
    public static TrainedJob[] Train<TJob>(SparseL1Communicator communicator, MLContext context, IReadOnlyList<TJob> jobs, Func<TJob, ITransformer> fit,
        DataViewSchema schema, CancellationToken cancellation)
        where TJob : struct
    {
        var trained = new TrainedJob[jobs.Count];
        var failures = new Exception?[jobs.Count];
        for (int j = communicator.Rank; j < jobs.Count; j += communicator.Size)
        {
            try
            {
                cancellation.ThrowIfCancellationRequested();
                var clock = Stopwatch.StartNew();
                var model = fit(jobs[j]);
                trained[j] = new TrainedJob(model, clock.Elapsed.TotalSeconds);
            }
#pragma warning disable CA1031 // In a group every failure must reach the other ranks; with one process it is rethrown as it came.
            catch (Exception e) when (communicator.Size > 1)
#pragma warning restore CA1031
            {
                failures[j] = e;
            }
        }

        if (communicator.Size > 1)
            Share(communicator, context, jobs, trained, failures, schema);
        return trained;
    }

    /// <summary>The model as ML.NET saves it.</summary>
    public static byte[] Save(MLContext context, ITransformer model, DataViewSchema schema)
    {
        using var stream = new MemoryStream();
        context.Model.Save(model, schema, stream);
        return stream.ToArray();
    }

    private static void Share<TJob>(SparseL1Communicator communicator, MLContext context, IReadOnlyList<TJob> jobs, TrainedJob[] trained, Exception?[] failures,
        DataViewSchema schema)
        where TJob : struct
    {
        string? firstFailure = null;
        Exception? ownFailure = null;
        bool cancelled = false;
        var header = new byte[24];
        for (int j = 0; j < jobs.Count; j++)
        {
            int owner = j % communicator.Size;
            byte[] payload = [];
            if (owner == communicator.Rank)
            {
                if (failures[j] is null)
                {
                    // A model that cannot be saved (say, a custom mapping not registered for loading) fails its job.
                    try
                    {
                        payload = Save(context, trained[j].Model, schema);
                    }
#pragma warning disable CA1031 // Reported to every rank as the job's failure.
                    catch (Exception e)
#pragma warning restore CA1031
                    {
                        failures[j] = e;
                    }
                }

                bool failed = failures[j] is not null;
                if (failed)
                    payload = Encoding.UTF8.GetBytes($"{failures[j]!.GetType().Name}: {failures[j]!.Message}");
                BinaryPrimitives.WriteInt64LittleEndian(header, failures[j] switch { null => 0, OperationCanceledException => 2, _ => 1 });
                BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), payload.Length);
                BinaryPrimitives.WriteDoubleLittleEndian(header.AsSpan(16), failed ? 0 : trained[j].Seconds);
            }

            communicator.Broadcast(header, owner);
            long status = BinaryPrimitives.ReadInt64LittleEndian(header);
            bool jobFailed = status != 0;
            cancelled |= status == 2;
            if (owner != communicator.Rank)
                payload = new byte[checked((int)BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(8)))];
            communicator.Broadcast(payload, owner);
            if (jobFailed)
            {
                firstFailure ??= $"{Capitalized(jobs[j].ToString()!)} failed on rank {owner} of {communicator.Size}: {Encoding.UTF8.GetString(payload)}";
                ownFailure ??= failures[j];
            }
            else if (owner == communicator.Rank)
            {
                trained[j] = trained[j] with { SavedBytes = payload.Length };
            }
            else
            {
                // A model this rank cannot load is reported after the loop: every rank still takes part in every broadcast.
                try
                {
                    using var stream = new MemoryStream(payload, writable: false);
                    trained[j] = new TrainedJob(context.Model.Load(stream, out _), BinaryPrimitives.ReadDoubleLittleEndian(header.AsSpan(16)), payload.Length);
                }
#pragma warning disable CA1031 // Rethrown below, after the exchange.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    firstFailure ??= $"Rank {communicator.Rank} of {communicator.Size} could not load the model of {jobs[j]} trained on rank {owner}: {e.Message}";
                    ownFailure ??= e;
                }
            }
        }

        // A model that one rank could not load fails there alone: the ranks agree, so that none goes on into a collective
        // (the experiment's next round) that the others never reach.
        var failedOn = Distributed.Collectives.AllGather<byte>(communicator, [firstFailure is null ? (byte)0 : (byte)1]);
        int failedRank = Array.IndexOf(failedOn, (byte)1);
        if (firstFailure is null && failedRank >= 0)
            firstFailure = $"Rank {failedRank} of {communicator.Size} could not load a model trained on another rank; every rank stopped.";
        if (firstFailure is not null)
            throw cancelled ? new OperationCanceledException(firstFailure, ownFailure) : new InvalidOperationException(firstFailure, ownFailure);
    }

    private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
