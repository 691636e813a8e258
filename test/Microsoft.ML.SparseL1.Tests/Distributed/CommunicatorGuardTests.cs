// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Linq;
using Microsoft.ML.SparseL1.Tests.Infrastructure;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Microsoft.ML.SparseL1.Tests.Distributed;

/// <summary>
/// Communicators used wrongly or lying (issue 26): two fits on one group at once, a rank outside the size, ranks that
/// disagree on who is who, and sums that come back NaN. Each must end in a named error on every rank, not a transport
/// error, a hang, or a network that cannot be loaded.
/// </summary>
[TestClass]
public class CommunicatorGuardTests
{
    [TestMethod]
    public void ASecondFitOnABusyCommunicator_IsRefusedOnEveryRank_AndTheFirstCompletes()
    {
        var shards = Shards();
        var refused = new Exception?[2];
        var results = InProcessGroup.Run(2, (rank, communicator) =>
        {
            var options = Options(communicator);
            bool tried = false;
            options.Progress = new SynchronousProgress(_ =>
            {
                if (tried)
                    return;
                tried = true;
                // While this rank's fit holds the group, another fit on it must stop before its first exchange.
                var second = Options(communicator);
                refused[rank] = Assert.ThrowsExactly<InvalidOperationException>(() => Fit(second, shards[rank]));
            });
            return Fit(options, shards[rank]);
        });

        Assert.IsNull(results[0].Error, results[0].Error?.ToString());
        Assert.IsNull(results[1].Error, results[1].Error?.ToString());
        for (int rank = 0; rank < 2; rank++)
            StringAssert.Contains(refused[rank]?.Message, $"rank {rank} of 2) is already in use by a fit");
        CollectionAssert.AreEqual(results[0].Result!.Model.Layers[0].Biases.ToArray(), results[1].Result!.Model.Layers[0].Biases.ToArray());

        // Once the first has returned, the communicator takes the next fit.
        var again = InProcessGroup.Run(2, (rank, communicator) => Fit(Options(communicator), shards[rank]));
        Assert.IsTrue(again.All(r => r.Error is null), string.Join("; ", again.Select(r => r.Error?.Message)));
    }

    [TestMethod]
    [DataRow(5, 2)]
    [DataRow(-1, 2)]
    [DataRow(0, 0)]
    public void ARankOutsideTheSize_IsRefusedByName(int rank, int size)
    {
        var lying = new Relabelled(SparseL1Communicator.SingleProcess, rank, size);

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Fit(Options(lying), Shards()[0]));

        StringAssert.Contains(error.Message, $"reports rank {rank} of {size} processes");
        StringAssert.Contains(error.Message, "Communicator");
    }

    [TestMethod]
    public void RanksThatReportTheSameRank_AreRefusedOnEveryRank()
    {
        var shards = Shards();
        var results = InProcessGroup.Run(2, (rank, communicator) => Fit(Options(new Relabelled(communicator, 0, 2)), shards[rank]));

        foreach (var (_, error) in results)
        {
            Assert.IsInstanceOfType<InvalidOperationException>(error, error?.ToString());
            StringAssert.Contains(error!.Message, "communicator is inconsistent");
        }
    }

    [TestMethod]
    public void NonFiniteSumsInTheLastStep_GiveANamedErrorOnEveryRank_NotAModelThatCannotLoad()
    {
        // A clean fit counts the gradient exchanges; the same fit then gets NaN back in the last step's (the exchange
        // before the last: the last is the final loss's full-gradient pass), after which no step's loss can show it.
        var shards = Shards();
        var counting = new Relabelled[2];
        Succeeded(InProcessGroup.Run(2, (rank, communicator) => Fit(Options(counting[rank] = new Relabelled(communicator)), shards[rank])));
        int last = counting[0].AllToAllCalls - 1;
        Assert.IsGreaterThan(100, last, "the fit exchanges gradients every step");

        var results = InProcessGroup.Run(2, (rank, communicator) => Fit(Options(new Relabelled(communicator, corruptCall: last)), shards[rank]));

        foreach (var (model, error) in results)
        {
            Assert.IsNull(model, "no network is delivered");
            Assert.IsInstanceOfType<InvalidOperationException>(error, error?.ToString());
            StringAssert.Contains(error!.Message, "non-finite");
            StringAssert.Contains(error.Message, "communicator");
        }
    }

    private static SparseMlpMulticlassTrainer.Options Options(SparseL1Communicator communicator) =>
        new() { HiddenLayerSizes = [16], NumberOfThreads = 1, NumberOfEpochs = 20, Communicator = communicator };

    private static SparseMlpPredictionTransformer Fit(SparseMlpMulticlassTrainer.Options options, IDataView shard) =>
        new MLContext(seed: 1).MulticlassClassification.Trainers.SparseMlp(options).Fit(shard);

    private static T[] Succeeded<T>((T? Result, Exception? Error)[] results) =>
        results.Select(r => r.Error is null ? r.Result! : throw new AssertFailedException($"A rank failed: {r.Error}")).ToArray();

    /// <summary>Wine, label keyed on all rows, in two contiguous shards (cached).</summary>
    private static IDataView[] Shards()
    {
        var ml = new MLContext(seed: 1);
        var raw = RealData.Load(ml, "wine.csv", 13);
        var keyed = ml.Data.Cache(ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw));
        return [ml.Data.TakeRows(keyed, 89), ml.Data.SkipRows(keyed, 89)];
    }

    /// <summary>Another communicator's transport, reporting the rank and size given, and NaN in one gradient exchange's sums.</summary>
    private sealed class Relabelled(SparseL1Communicator inner, int? rank = null, int? size = null, int corruptCall = -1) : SparseL1Communicator
    {
        public int AllToAllCalls { get; private set; }

        public override int Rank => rank ?? inner.Rank;

        public override int Size => size ?? inner.Size;

        public override void AllGather(ReadOnlySpan<byte> local, Span<byte> gathered) => inner.AllGather(local, gathered);

        public override void AllToAll(ReadOnlySpan<byte> send, Span<byte> received)
        {
            inner.AllToAll(send, received);
            if (++AllToAllCalls == corruptCall)
            {
                // Every gradient value (weights and biases), past the three double scalars (loss, weight, cancel) that
                // lead each rank's block 0; the scalars stay, so the step's loss does not show it.
                var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(received);
                int block = floats.Length / Size;
                for (int r = 0; r < Size; r++)
                    floats.Slice(r * block + 6, block - 6).Fill(float.NaN);
            }
        }

        public override void Broadcast(Span<byte> buffer, int root) => inner.Broadcast(buffer, root);

        public override void Barrier() => inner.Barrier();
    }
}
