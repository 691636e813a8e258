// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.SparseL1;
using Microsoft.ML.SparseL1.Mpi;
using SparseL1.Examples.Distributed;
using SparseL1.Examples.Shared;

// Data-parallel training on Open MPI: every rank reads its own shard of Fashion-MNIST's 60,000 training images, trains
// 784-300-100-10 to 90 % sparsity with default options, and receives the same network; rank 0 evaluates it on the
// 10,000 test images, saves it, reloads it and predicts. Then (mode "sweep" or "both") a sparsity sweep whose (target,
// fold) jobs are spread over the ranks.
//   dotnet build -c Release examples/SparseL1.Examples.Distributed
//   mpirun --allow-run-as-root -np 2 dotnet examples/SparseL1.Examples.Distributed/bin/Release/net10.0/SparseL1.Examples.Distributed.dll
// Without mpirun it runs as one process (rank 0 of 1). Arguments:
//   [mode = train | sweep | both (train)] [rows = 60000] [epochs = default] [threads per rank = cores / ranks] [batch = 128]
// Each rank prints one JSON line of timings ("timing {...}"), which docs/distributed.md tabulates.
string mode = args.Length > 0 ? args[0] : "train";
int rows = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60000;
int? epochs = args.Length > 2 && args[2] != "default" ? int.Parse(args[2], CultureInfo.InvariantCulture) : null;

using var mpi = MpiCommunicator.Initialize();
var group = new TimedCommunicator(mpi);
int rank = group.Rank, size = group.Size;
int threads = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : Math.Max(1, Environment.ProcessorCount / size);
int batch = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : SparseMlpOptionsBase.Defaults.BatchSize;
try
{
    var ml = new MLContext(seed: 1);
    // The class names as the label key on every rank: a key fitted on a shard that lacks a class would have fewer.
    var classes = ml.Transforms.Conversion.MapValueToKey("Label",
        keyData: ml.Data.LoadFromEnumerable(FashionMnist.ClassNames.Select(c => new ClassName { Label = c })));
    if (mode is "train" or "both")
        Train(ml, classes);
    if (mode is "sweep" or "both")
        Sweep(ml, classes);
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"rank {rank}: {e}");
    // The other ranks may be waiting in a collective: end the whole job rather than leave them blocked.
    if (size > 1)
        mpi.Abort(1);
    return 1;
}

void Train(MLContext ml, IEstimator<ITransformer> classes)
{
    // This rank's shard: rows [rank·n/size, (rank+1)·n/size) of the training file (a real job would read its own file).
    var (pixels, labels, count) = FashionMnist.Load(train: true, rows);
    int start = (int)((long)count * rank / size), end = (int)((long)count * (rank + 1) / size);
    var shard = ml.Data.LoadFromEnumerable(Enumerable.Range(start, end - start).Select(i => Image(pixels, labels, i)));

    var options = new SparseMlpMulticlassTrainer.Options
    {
        FeatureColumnName = "Pixels",
        HiddenLayerSizes = [300, 100],
        TargetSparsity = 0.9f,
        NumberOfEpochs = epochs,
        NumberOfThreads = threads,
        BatchSize = batch,
        Communicator = group,
    };
    int epochsRun = 0;
    options.Progress = new Inline(p => epochsRun++);
    Log($"training on rows {start}..{end - 1} of {count} ({threads} threads)");
    var clock = Stopwatch.StartNew();
    var model = classes.Append(ml.MulticlassClassification.Trainers.SparseMlp(options))
        .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedName", "PredictedLabel")).Fit(shard);
    double seconds = clock.Elapsed.TotalSeconds;
    var network = ((SparseMlpPredictionTransformer)model.Skip(1).First()).Model;
    Log($"trained in {seconds:F1} s: sparsity {network.Sparsity:P2}, layers [{string.Join(", ", network.LayerNonZeroCounts)}] nonzero, " +
        $"{group.Elapsed.TotalSeconds:F1} s in collectives ({group.Exchanges} gradient reductions of {group.ExchangedBytes / Math.Max(1, group.Exchanges) / 1e6:F2} MB)");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"timing {{\"rank\":{rank},\"ranks\":{size},\"threads\":{threads},\"batch\":{batch},\"rows\":{count},\"epochs\":{epochsRun},\"fitSeconds\":{seconds:F2},\"secondsPerEpoch\":{seconds / Math.Max(1, epochsRun):F3},\"collectiveSeconds\":{group.Elapsed.TotalSeconds:F2},\"reductions\":{group.Exchanges},\"collectiveMsPerReduction\":{group.Elapsed.TotalMilliseconds / Math.Max(1, group.Exchanges):F3},\"sparsity\":{network.Sparsity:F4}}}"));

    if (rank != 0)
        return;
    // Every rank holds this same network; rank 0 evaluates, saves and reloads it.
    var (testPixels, testLabels, testCount) = FashionMnist.Load(train: false);
    var test = ml.Data.LoadFromEnumerable(Enumerable.Range(0, testCount).Select(i => Image(testPixels, testLabels, i)));
    var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
    Log($"test accuracy {metrics.MicroAccuracy:P2} on {testCount} images");
    string path = Path.Combine(Path.GetTempPath(), "fashion-distributed.zip");
    ml.Model.Save(model, shard.Schema, path);
    var loaded = ml.Model.Load(path, out _);
    var engine = ml.Model.CreatePredictionEngine<FashionImage, FashionPrediction>(loaded);
    var prediction = engine.Predict(Image(testPixels, testLabels, 0));
    Log($"saved {path} ({new FileInfo(path).Length:N0} bytes), reloaded; test image 0: predicted {prediction.PredictedName}, label {FashionMnist.ClassNames[testLabels[0]]}");
}

void Sweep(MLContext ml, IEstimator<ITransformer> classes)
{
    // The sweep needs the whole set on every rank (each job trains on its own folds); the jobs are dealt out.
    var (pixels, labels, count) = FashionMnist.Load(train: true, rows);
    var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, count).Select(i => Image(pixels, labels, i)));
    var keyed = ml.Data.Cache(classes.Fit(data).Transform(data));
    var clock = Stopwatch.StartNew();
    var result = SparsitySweep.Multiclass(ml, keyed,
        target => ml.MulticlassClassification.Trainers.SparseMlp(new SparseMlpMulticlassTrainer.Options
        {
            FeatureColumnName = "Pixels",
            HiddenLayerSizes = [300, 100],
            TargetSparsity = target,
            NumberOfEpochs = epochs ?? 3,
            NumberOfThreads = threads,
        }),
        new SparsitySweepOptions { TargetSparsities = [0.8f, 0.9f, 0.95f], NumberOfFolds = 2, Seed = 7, LatencyRows = 200, Communicator = group });
    double seconds = clock.Elapsed.TotalSeconds;
    if (rank == 0)
        Console.Write(result);
    Log($"sweep of {result.Rows.Count} targets x 2 folds on {count} images in {seconds:F1} s");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"timing {{\"rank\":{rank},\"ranks\":{size},\"threads\":{threads},\"sweepRows\":{count},\"sweepSeconds\":{seconds:F2}}}"));
}

FashionImage Image(float[] pixels, byte[] labels, int i) => new()
{
    Pixels = pixels.AsSpan(i * 784, 784).ToArray(),
    Label = FashionMnist.ClassNames[labels[i]],
};

void Log(string message) => Console.WriteLine($"rank {rank}/{size}: {message}");

/// <summary>The label column of the class list.</summary>
internal sealed class ClassName
{
    public string Label { get; set; } = string.Empty;
}

/// <summary>Progress reported on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class Inline(Action<SparseMlpProgress> report) : IProgress<SparseMlpProgress>
{
    public void Report(SparseMlpProgress value) => report(value);
}
