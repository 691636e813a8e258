// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.ML.SparseL1.Kernels;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Kernels;

/// <summary>
/// The process-wide worker team. Not run beside other classes: those would own the team at times, and these tests check
/// that sections really ran on it (and, once, after its workers went to sleep).
/// </summary>
[TestClass]
[DoNotParallelize]
public class WorkerTeamTests
{
    [TestMethod]
    public void Run_EveryPartOnce_OnTheTeamWhenItFits_OnThePoolWhenWider()
    {
        int widest = Environment.ProcessorCount + 2;
        for (int parts = 0; parts <= widest; parts++)
        {
            for (int round = 0; round < 200; round++)
            {
                var runs = new int[parts];
                long before = WorkerTeam.TeamSections;
                WorkerTeam.Run(parts, p => Interlocked.Increment(ref runs[p]));
                CollectionAssert.AreEqual(Enumerable.Repeat(1, parts).ToArray(), runs, $"{parts} parts, round {round}");
                bool onTeam = parts >= 2 && parts <= Environment.ProcessorCount;
                Assert.AreEqual(onTeam ? before + 1 : before, WorkerTeam.TeamSections, $"{parts} parts: on the team {onTeam}");
            }
        }
    }

    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public void Run_AfterTheWorkersSlept_WakesThem()
    {
        // On one core the team has no workers: the sections go to the pool, and part 1 must still run.
        bool team = Environment.ProcessorCount >= 2;
        var random = new Random(3);
        for (int round = 0; round < 200; round++)
        {
            // Around the spin period (a millisecond) and past it: the worker is spinning, about to sleep, or asleep on its
            // semaphore and must be woken; a lost wake-up would hang here until the timeout.
            Thread.Sleep(round % 20 == 0 ? 20 : random.Next(0, 3));
            int worker = 0;
            int caller = Environment.CurrentManagedThreadId;
            long before = WorkerTeam.TeamSections;
            WorkerTeam.Run(2, p =>
            {
                if (p == 1)
                    worker = Environment.CurrentManagedThreadId;
            });
            Assert.AreNotEqual(0, worker, "part 1 ran");
            Assert.AreEqual(team ? before + 1 : before, WorkerTeam.TeamSections, $"on the team: {team}");
            if (team)
                Assert.AreNotEqual(caller, worker, "part 1 ran on a worker, not on the caller");
        }
    }

    [TestMethod]
    [DataRow(0, DisplayName = "thrown by the caller's part")]
    [DataRow(1, DisplayName = "thrown by a worker's part")]
    public void Run_PartThrows_RethrowsItAfterEveryPartEnded_AndTheTeamStaysUsable(int throwing)
    {
        int parts = Math.Max(2, Math.Min(4, Environment.ProcessorCount));
        int ended = 0;
        var error = Assert.Throws<InvalidOperationException>(() => WorkerTeam.Run(parts, p =>
        {
            if (p == throwing)
                throw new InvalidOperationException($"part {p}");
            Thread.Sleep(5);
            Interlocked.Increment(ref ended);
        }));
        Assert.AreEqual($"part {throwing}", error.Message);
        Assert.AreEqual(parts - 1, ended, "the other parts ended before Run returned");
        var runs = new int[parts];
        WorkerTeam.Run(parts, p => runs[p]++);
        CollectionAssert.AreEqual(Enumerable.Repeat(1, parts).ToArray(), runs);
    }

    [TestMethod]
    public void Run_PartsSeeTheCallersKernelPath_WhoeverStartedTheWorkers()
    {
        int parts = Math.Max(2, Math.Min(4, Environment.ProcessorCount));
        KernelPath[] Paths()
        {
            var paths = new KernelPath[parts];
            WorkerTeam.Run(parts, p => paths[p] = KernelDispatch.Current);
            return paths;
        }

        // In both orders: workers started inside a narrowed scope must not keep it, nor ignore one set later.
        CollectionAssert.AreEqual(Enumerable.Repeat(KernelDispatch.Hardware, parts).ToArray(), Paths(), "no override");
        using (KernelDispatch.OverrideForTesting(KernelPath.Scalar))
            CollectionAssert.AreEqual(Enumerable.Repeat(KernelPath.Scalar, parts).ToArray(), Paths(), "the caller's Scalar scope");
        CollectionAssert.AreEqual(Enumerable.Repeat(KernelDispatch.Hardware, parts).ToArray(), Paths(), "after the scope");
    }

    [TestMethod]
    public void Run_AFinishedSection_KeepsNoReferenceToItsWork()
    {
        var data = RunOnData();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.IsFalse(data.IsAlive, "the data a section's parts used is collectable once the section ended");
    }

    /// <summary>Runs a section whose parts read an array, returning a weak reference to it (not inlined: no local keeps it).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference RunOnData()
    {
        var data = new float[1 << 20];
        float sum = 0;
        WorkerTeam.Run(2, p => Interlocked.Exchange(ref sum, data[p]));
        return new WeakReference(data);
    }

    [TestMethod]
    public void Run_NestedAndFromManyThreads_EveryPartOnce()
    {
        const int Callers = 4, Rounds = 300, Outer = 2, Inner = 2;
        var counts = new int[Callers, Outer * Inner];
        Parallel.For(0, Callers, new ParallelOptions { MaxDegreeOfParallelism = Callers }, c =>
        {
            for (int round = 0; round < Rounds; round++)
                WorkerTeam.Run(Outer, o => WorkerTeam.Run(Inner, i => Interlocked.Increment(ref counts[c, o * Inner + i])));
        });
        foreach (int count in counts)
            Assert.AreEqual(Rounds, count);
    }
}
