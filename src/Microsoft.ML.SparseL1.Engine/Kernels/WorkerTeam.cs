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
/// threads run the parts never changes what the parts compute, so results do not depend on it. As with
/// <see cref="Parallel.For(int, int, Action{int})"/>, each part runs in the caller's execution context (its async-local
/// values, such as a test's kernel path); every part runs even when one throws, on either path; a finished section
/// keeps no reference to its work (a trainer's data can be collected after the fit); a worker that ran nothing for a
/// millisecond sleeps, whatever sections other workers run.
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

    private static long s_teamSections;

    /// <summary>Sections the team has run so far (diagnostics: shows which path ran).</summary>
    internal static long TeamSections => Volatile.Read(ref s_teamSections);

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
        // The workers exist before the section is published: a thread that fails to start leaves nothing running.
        for (int w = 0; w < parts - 1; w++)
            _ = s_members[w] ?? Start(w);
        var section = new Section(part, parts, ExecutionContext.Capture());
        Interlocked.Increment(ref s_teamSections);
        Volatile.Write(ref s_current, section);
        for (int w = 0; w < parts - 1; w++)
            s_members[w]!.Wake();

        Exception? first = null;
        try
        {
            part(0);
        }
        catch (Exception e)
        {
            first = e;
        }

        // The parts are balanced, so the wait is short; past a few spins SpinWait yields the core, never sleeps a millisecond.
        var wait = default(SpinWait);
        while (Volatile.Read(ref section.Pending) > 0)
            wait.SpinOnce(sleep1Threshold: -1);
        section.Finish();
        if ((first ?? section.Error) is { } error)
            ExceptionDispatchInfo.Capture(error).Throw();
    }

    /// <summary>
    /// The parts on the thread pool, each run even when another throws (Parallel.For starts no part after one has thrown),
    /// the first exception by part number rethrown as thrown: the team's contract.
    /// </summary>
    private static void RunOnThreadPool(int parts, Action<int> part)
    {
        var errors = new Exception?[parts];
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
        {
            try
            {
                part(p);
            }
            catch (Exception e)
            {
                errors[p] = e;
            }
        });
        foreach (var error in errors)
        {
            if (error is not null)
                ExceptionDispatchInfo.Capture(error).Throw();
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
            // Not in the starting caller's context: each section brings its own (Section.Context).
            thread.UnsafeStart();
            Volatile.Write(ref s_members[index], member);
            return member;
        }
    }

    /// <summary>One parallel section: the parts to run, the caller's context, and the workers' parts not yet ended.</summary>
    private sealed class Section(Action<int> part, int parts, ExecutionContext? context)
    {
        public readonly int Parts = parts;
        public int Pending = parts - 1;
        public Exception? Error;

        /// <summary>The work; dropped by <see cref="Finish"/> (a worker reads it only before its part ends).</summary>
        public Action<int>? Part = part;

        /// <summary>The caller's execution context, null when its flow is suppressed; dropped by <see cref="Finish"/>.</summary>
        public ExecutionContext? Context = context;

        /// <summary>Every part has ended: the section lets go of the work and the context (workers still hold the section).</summary>
        public void Finish()
        {
            Part = null;
            Context = null;
        }

        /// <summary>Runs part <paramref name="index"/> in the caller's context.</summary>
        public void Run(int index)
        {
            var work = Part!;
            if (Context is { } context)
                ExecutionContext.Run(context, _ => work(index), null);
            else
                work(index);
        }
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
            long lastWork = Stopwatch.GetTimestamp();
            while (true)
            {
                var section = NextSection(seen, ref lastWork);
                seen = section;
                if (part >= section.Parts)
                    continue;
                try
                {
                    section.Run(part);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref section.Error, e, null);
                }
                finally
                {
                    lastWork = Stopwatch.GetTimestamp();
                    Interlocked.Decrement(ref section.Pending);
                }
            }
        }

        /// <summary>
        /// Spins until a section other than <paramref name="seen"/> is published, sleeping once this worker has run nothing
        /// for <see cref="s_spinTicks"/> since <paramref name="lastWork"/> (sections it has no part in do not keep it awake).
        /// </summary>
        private Section NextSection(Section? seen, ref long lastWork)
        {
            int spins = 0;
            while (true)
            {
                var section = Volatile.Read(ref s_current);
                if (section is not null && section != seen)
                    return section;
                if (Stopwatch.GetTimestamp() - lastWork < s_spinTicks)
                {
                    // Now and then the core goes to any other thread that is ready to run on it.
                    if (++spins % 64 == 0)
                        Thread.Yield();
                    else
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
                lastWork = Stopwatch.GetTimestamp();
            }
        }
    }
}
