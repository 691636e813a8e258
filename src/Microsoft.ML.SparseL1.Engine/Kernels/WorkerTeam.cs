// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace Microsoft.ML.SparseL1.Kernels;

/// <summary>
/// One process-wide team of worker threads for the products' short parallel sections. A training step makes several
/// of them, each a fraction of a millisecond long, separated by short stretches of serial work (the loss, a bias, a
/// small product); <see cref="Parallel.For(int, int, Action{int})"/> hands each to the thread pool, whose idle workers
/// sleep and must be woken (docs/kernels.md, "Threads"). The team's workers spin for a while after each section before
/// they sleep, so the next section starts at once; a caller runs part 0 itself.
/// </summary>
/// <remarks>
/// The team serves one section at a time: a section started while another runs (nested inside a member's part, or from
/// another thread) runs on <see cref="Parallel.For(int, int, Action{int})"/> instead, as does one wider than the team. Which
/// threads run the parts never changes what the parts compute, so results do not depend on it.
/// </remarks>
internal static class WorkerTeam
{
    /// <summary>How long an idle worker spins for the next section before it sleeps.</summary>
    private static readonly long s_spinTicks = Stopwatch.Frequency / 1000;

    private static readonly int s_workers = Math.Max(0, Environment.ProcessorCount - 1);

    private static readonly Member?[] s_members = new Member?[s_workers];

    private static readonly object s_starting = new();

    /// <summary>The section last published; a worker runs each section it has not seen yet, once.</summary>
    private static Section? s_current;

    /// <summary>1 while a caller owns the team.</summary>
    private static int s_owned;

    /// <summary>Sends every section to the thread pool instead (benchmarks compare the two in one process).</summary>
    internal static bool ThreadPoolOnly { get; set; }

    /// <summary>Sections the team has run so far (diagnostics: shows which path ran).</summary>
    internal static long TeamSections { get; private set; }

    /// <summary>Runs <paramref name="part"/>(0) … part(<paramref name="parts"/> − 1) side by side and returns when all have ended.</summary>
    /// <exception cref="Exception">The first exception a part threw (part 0's before a worker's), rethrown as thrown.</exception>
    public static void Run(int parts, Action<int> part)
    {
        if (parts <= 1)
        {
            for (int p = 0; p < parts; p++)
                part(p);
            return;
        }

        if (parts - 1 > s_workers || ThreadPoolOnly || Interlocked.CompareExchange(ref s_owned, 1, 0) != 0)
        {
            RunOnThreadPool(parts, part);
            return;
        }

        try
        {
            RunOnTeam(parts, part);
        }
        finally
        {
            Volatile.Write(ref s_owned, 0);
        }
    }

    private static void RunOnTeam(int parts, Action<int> part)
    {
        var section = new Section(part, parts);
        TeamSections++;
        Volatile.Write(ref s_current, section);
        for (int w = 0; w < parts - 1; w++)
            (s_members[w] ?? Start(w)).Wake();

        Exception? first = null;
        try
        {
            part(0);
        }
        catch (Exception e)
        {
            first = e;
        }

        var wait = default(SpinWait);
        while (Volatile.Read(ref section.Pending) > 0)
            wait.SpinOnce(sleep1Threshold: -1);
        if ((first ?? section.Error) is { } error)
            ExceptionDispatchInfo.Capture(error).Throw();
    }

    private static void RunOnThreadPool(int parts, Action<int> part)
    {
        try
        {
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }

    private static Member Start(int index)
    {
        lock (s_starting)
        {
            if (s_members[index] is { } started)
                return started;
            var member = new Member(index + 1);
            var thread = new Thread(member.Loop) { IsBackground = true, Name = $"SparseL1 worker {index + 1}" };
            thread.Start();
            Volatile.Write(ref s_members[index], member);
            return member;
        }
    }

    /// <summary>One parallel section: the parts to run and the workers' parts not yet ended.</summary>
    private sealed class Section(Action<int> part, int parts)
    {
        public readonly Action<int> Part = part;
        public readonly int Parts = parts;
        public int Pending = parts - 1;
        public Exception? Error;
    }

    /// <summary>A worker thread: runs its part of each new section, spins between sections, then sleeps until woken.</summary>
    private sealed class Member(int part)
    {
        private readonly SemaphoreSlim _wake = new(0);

        /// <summary>1 while the worker is asleep, or about to be, on <see cref="_wake"/>.</summary>
        private int _sleeping;

        /// <summary>Called by the owner after publishing a section: wakes the worker if it sleeps.</summary>
        public void Wake()
        {
            if (Interlocked.Exchange(ref _sleeping, 0) == 1)
                _wake.Release();
        }

        public void Loop()
        {
            Section? seen = null;
            while (true)
            {
                var section = NextSection(seen);
                seen = section;
                if (part >= section.Parts)
                    continue;
                try
                {
                    section.Part(part);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref section.Error, e, null);
                }
                finally
                {
                    Interlocked.Decrement(ref section.Pending);
                }
            }
        }

        /// <summary>Spins until a section other than <paramref name="seen"/> is published, sleeping when none comes for a while.</summary>
        private Section NextSection(Section? seen)
        {
            long start = Stopwatch.GetTimestamp();
            while (true)
            {
                var section = Volatile.Read(ref s_current);
                if (section is not null && section != seen)
                    return section;
                if (Stopwatch.GetTimestamp() - start < s_spinTicks)
                {
                    Thread.SpinWait(20);
                    continue;
                }

                // Announce the sleep, then look once more: a section published before the announcement was seen here, one
                // published after it finds the flag set and releases the semaphore (whoever clears the flag decides).
                Interlocked.Exchange(ref _sleeping, 1);
                section = Volatile.Read(ref s_current);
                if (section is not null && section != seen && Interlocked.Exchange(ref _sleeping, 0) == 1)
                    return section;
                _wake.Wait();
                start = Stopwatch.GetTimestamp();
            }
        }
    }
}
