// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1;
using Microsoft.ML.SparseL1.Mpi;

// Checks data-parallel training, the distributed sweep and the distributed experiment on Open MPI processes (.ci/run runs it):
//   dotnet build test/SparseL1.Mpi.Check -c Release
//   mpirun --allow-run-as-root --oversubscribe -np 2 dotnet test/SparseL1.Mpi.Check/bin/Release/net10.0/SparseL1.Mpi.Check.dll
// On the digits set (1,797 rows, data/digits.csv), each rank training on its contiguous shard:
//   1. a fixed-λ run equals one process on all rows (every rank trains that reference itself) within float rounding;
//   2. the default selection (90 % target) gives every rank the same network bit for bit, twice in a row; rank 0 prints
//      its hash ("model-hash ...") so that CI can compare two separate mpirun jobs;
//   3. a sweep spread over the ranks gives the table one process gives (same folds, same models);
//   4. an experiment spread over the ranks (each trial's folds dealt out) gives the trials one process gives.
// "--bad-shard-on-rank N": rank N's shard gets a NaN feature; every rank must stop with the error naming rank N.
// "--die-on-rank N": rank N's process is killed in its third epoch; mpirun must end the job (the others are waiting in
// the step's reduction) and name the rank; .ci/run checks that it does within a time limit.
// "--time-experiment": times a 16-trial cross-validated experiment with the defaults on digits over the job's ranks, and
// prints it as JSON on rank 0 (run it with -np 1 and -np 2 one after the other to compare; docs/distributed.md).
// Exit code 0 when every check holds.
int badRank = args is ["--bad-shard-on-rank", var value] ? int.Parse(value, CultureInfo.InvariantCulture) : -1;
int dyingRank = args is ["--die-on-rank", var dying] ? int.Parse(dying, CultureInfo.InvariantCulture) : -1;
bool timeExperiment = args is ["--time-experiment"];
var mpi = MpiCommunicator.Initialize();
int rank = mpi.Rank, size = mpi.Size;
try
{
    var ml = new MLContext(seed: 1);
    var (raw, keys) = Load(ml);
    var all = ml.Data.Cache(keys.Transform(raw));
    var shard = keys.Transform(Shard(ml, raw, rank, size, poison: rank == badRank));
    if (badRank >= 0)
    {
        try
        {
            Fit(shard, mpi, o => { });
            throw new InvalidOperationException("a bad shard did not stop training");
        }
        catch (InvalidOperationException e) when (e.Message.Contains($"Rank {badRank} of {size} could not read its training shard", StringComparison.Ordinal))
        {
            Console.WriteLine($"rank {rank}: stopped as expected: {e.Message}");
        }

        mpi.Dispose();
        return 0;
    }

    if (timeExperiment)
    {
        // The same cross-validated experiment (a trial count, so the same trials for any number of ranks), timed.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var timed = SparseMlpExperiment.Multiclass(ml, all, new SparseMlpExperimentOptions { MaxTrials = 16, TrainingTimeInSeconds = 1e6, Communicator = mpi });
        if (rank == 0)
            Console.WriteLine($"{{\"benchmark\": \"experiment-over-ranks\", \"ranks\": {size}, \"trials\": {timed.Trials.Count}, \"seconds\": {clock.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)}, \"best\": \"{timed.Best}\"}}");
        mpi.Dispose();
        return 0;
    }

    if (dyingRank >= 0)
    {
        Fit(shard, mpi, o => o.Progress = new Killer(rank == dyingRank));
        throw new InvalidOperationException("training finished although a rank was killed");
    }

    // 1. Fixed λ, 10 epochs of batch 64: against one process on the concatenated shards.
    void Short(SparseMlpMulticlassTrainer.Options o)
    {
        o.Lambda = 1e-3f;
        o.NumberOfEpochs = 10;
        o.BatchSize = 64;
    }

    // One process feeds the inputs as they are, as ranks do: it alone would choose an input encoding (PiecewiseLinearBins null).
    void AsRanksFeedInputs(SparseMlpMulticlassTrainer.Options o, Action<SparseMlpMulticlassTrainer.Options> configure)
    {
        configure(o);
        o.PiecewiseLinearBins = 0;
    }

    var distributed = Fit(shard, mpi, Short);
    var single = Fit(all, null, o => AsRanksFeedInputs(o, Short));
    double difference = MaxDifference(single, distributed);
    Console.WriteLine($"rank {rank}: fixed λ, {size} ranks against one process: largest weight difference {difference:E2}");
    Check(difference <= 1e-4, "the data-parallel network differs from one process's by more than float rounding");

    // 2. The default selection, twice: the same bits on every rank and in both runs.
    var first = Fit(shard, mpi, o => { });
    var second = Fit(shard, mpi, o => { });
    ulong hash = Hash(first), again = Hash(second);
    Check(hash == again, "two runs with the same ranks gave different networks");
    var hashes = new byte[8 * size];
    mpi.AllGather(BitConverter.GetBytes(hash), hashes);
    for (int r = 0; r < size; r++)
        Check(BitConverter.ToUInt64(hashes, 8 * r) == hash, $"rank {r}'s network differs from rank {rank}'s");
    var reference = Fit(all, null, o => AsRanksFeedInputs(o, _ => { }));
    Console.WriteLine($"rank {rank}: default options: sparsity {first.Sparsity:P2} (one process {reference.Sparsity:P2}), λ {first.Lambdas[0]:G4} (one process {reference.Lambdas[0]:G4})");
    Check(Math.Abs(first.Sparsity - 0.9) <= 0.9 * 0.01 / 9 + 1e-9, "the 90 % target was not reached");
    if (rank == 0)
        Console.WriteLine($"model-hash {hash:x16}");

    // 3. The sweep: 2 targets x 2 folds spread over the ranks, against the same sweep in one process.
    var sweepOptions = new SparsitySweepOptions { TargetSparsities = [0.8f, 0.95f], NumberOfFolds = 2, Seed = 7, LatencyRows = 50 };
    var pipeline = (float target) => ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options { TargetSparsity = target, NumberOfThreads = 1, HiddenLayerSizes = [32] });
    var spread = SparsitySweep.Multiclass(ml, all, pipeline, new SparsitySweepOptions { TargetSparsities = sweepOptions.TargetSparsities, NumberOfFolds = 2, Seed = 7, LatencyRows = 50, Communicator = mpi });
    var alone = SparsitySweep.Multiclass(ml, all, pipeline, sweepOptions);
    for (int i = 0; i < alone.Rows.Count; i++)
    {
        Check(spread.Rows[i].MetricMean == alone.Rows[i].MetricMean && spread.Rows[i].AchievedSparsity == alone.Rows[i].AchievedSparsity,
            $"sweep row {i}: {size} ranks gave {spread.Rows[i].MetricMean} at {spread.Rows[i].AchievedSparsity}, one process {alone.Rows[i].MetricMean} at {alone.Rows[i].AchievedSparsity}");
    }

    if (rank == 0)
        Console.Write(spread);

    // 4. An experiment cross-validated over the ranks (each trial's folds dealt out), against the same one in one process.
    var experiment = () => new SparseMlpExperimentOptions
    {
        MaxTrials = 3, TrainingTimeInSeconds = 1e6, NumberOfFolds = 3, HiddenLayerWidths = [16, 32], HiddenLayerCounts = [1],
        TargetSparsities = [0.8f, 0.9f], LearningRateMultipliers = [1f], EpochMultipliers = [1],
    };
    var spreadOptions = experiment();
    spreadOptions.Communicator = mpi;
    var spreadTrials = SparseMlpExperiment.Multiclass(ml, all, spreadOptions);
    var aloneTrials = SparseMlpExperiment.Multiclass(ml, all, experiment());
    for (int i = 0; i < aloneTrials.Trials.Count; i++)
    {
        var (expected, actual) = (aloneTrials.Trials[i], spreadTrials.Trials[i]);
        Check(expected.FoldMetrics.SequenceEqual(actual.FoldMetrics) && expected.NonZeroWeights == actual.NonZeroWeights,
            $"experiment trial {i}: {size} ranks gave {actual}, one process {expected}");
    }

    Check(spreadTrials.Best.Index == aloneTrials.Best.Index, "the experiment's best differs from one process's");
    if (rank == 0)
        Console.WriteLine($"experiment over {size} ranks: {spreadTrials.Trials.Count} trials as in one process, best {spreadTrials.Best}");
    mpi.Barrier();
    mpi.Dispose();
    Console.WriteLine($"rank {rank}: OK");
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"rank {rank}: FAILED: {e}");
    // The other ranks may be waiting in a collective: stop the whole job instead of leaving them blocked.
    if (size > 1)
        mpi.Abort(1);
    return 1;
}

// The rows, and the label key fitted on all of them, so that every shard gives the network the same ten classes.
static (IDataView Raw, ITransformer Keys) Load(MLContext ml)
{
    var data = ml.Data.Cache(ml.Data.LoadFromTextFile(Path.Combine(AppContext.BaseDirectory, "data", "digits.csv"), [
        new TextLoader.Column("Features", DataKind.Single, 0, 63),
        new TextLoader.Column("Label", DataKind.Single, 64),
    ], separatorChar: ',', hasHeader: true));
    return (data, ml.Transforms.Conversion.MapValueToKey("Label").Fit(data));
}

// Rows [rank·n/size, (rank+1)·n/size): the shards in rank order are the whole set.
static IDataView Shard(MLContext ml, IDataView all, int rank, int size, bool poison)
{
    var rows = ml.Data.CreateEnumerable<Row>(all, reuseRowObject: false).ToArray();
    int start = rows.Length * rank / size, end = rows.Length * (rank + 1) / size;
    var mine = rows[start..end];
    if (poison)
        mine[0].Features[5] = float.NaN;
    return ml.Data.LoadFromEnumerable(mine, all.Schema);
}

static SparseMlpModelParameters Fit(IDataView data, SparseL1Communicator? communicator, Action<SparseMlpMulticlassTrainer.Options> configure)
{
    var options = new SparseMlpMulticlassTrainer.Options { NumberOfThreads = 1, Communicator = communicator };
    configure(options);
    return new MLContext(seed: 1).MulticlassClassification.Trainers.SparseMlp(options).Fit(data).Model;
}

static float[] Weights(SparseMlpModelParameters model) =>
    model.Layers.SelectMany(l => l.DenseWeights.ToArray().Concat(l.Values.ToArray()).Concat(l.ColumnIndices.ToArray().Select(i => (float)i)).Concat(l.Biases.ToArray())).ToArray();

static double MaxDifference(SparseMlpModelParameters expected, SparseMlpModelParameters actual)
{
    float[] e = Weights(expected), a = Weights(actual);
    if (e.Length != a.Length)
        return double.PositiveInfinity;
    double scale = 1 + e.Max(Math.Abs);
    return e.Zip(a, (x, y) => Math.Abs(x - y)).Max() / scale;
}

static ulong Hash(SparseMlpModelParameters model)
{
    ulong hash = 14695981039346656037UL;
    foreach (float w in Weights(model))
    {
        hash ^= BitConverter.SingleToUInt32Bits(w);
        hash *= 1099511628211UL;
    }

    return hash;
}

static void Check(bool condition, string failure)
{
    if (!condition)
        throw new InvalidOperationException(failure);
}

/// <summary>Kills this process in its third epoch (when asked to), as a crashed machine would end a rank.</summary>
internal sealed class Killer(bool armed) : IProgress<SparseMlpProgress>
{
    public void Report(SparseMlpProgress value)
    {
        if (armed && value.Epoch == 3)
            System.Diagnostics.Process.GetCurrentProcess().Kill();
    }
}

internal sealed class Row
{
    [VectorType(64)]
    public float[] Features { get; set; } = [];

    public float Label { get; set; }
}
