// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1;
using Microsoft.ML.SparseL1.Charts;
using SparseL1.Examples.Shared;

// Trains a 784-300-100-10 sparse MLP on Fashion-MNIST to a target sparsity, evaluates it with ML.NET,
// saves it into an ML.NET zip, reloads it and predicts.
// Default options apart from the layer sizes and the target; the arguments only shrink the run or pick another strategy.
// Arguments: [trainRows] [targetSparsity, or lambda=<λ> for a fixed λ] [epochs, or "default"] [SparsityTracking|GradientMedianBracket|TrajectoryAim|OrderStatistic] [seed].
int trainRows = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 60000;
string regularization = args.Length > 1 ? args[1] : "0.9";
float? fixedLambda = regularization.StartsWith("lambda=", StringComparison.Ordinal)
    ? float.Parse(regularization["lambda=".Length..], System.Globalization.CultureInfo.InvariantCulture) : null;
float? target = fixedLambda is null ? float.Parse(regularization, System.Globalization.CultureInfo.InvariantCulture) : null;
int? epochs = args.Length > 2 && args[2] != "default" ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : null;
var strategy = args.Length > 3 ? Enum.Parse<SelectionStrategy>(args[3]) : SparseMlpOptionsBase.Defaults.SelectionStrategy;
bool paperStrategy = strategy != SelectionStrategy.SparsityTracking;
int seed = args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : SparseMlpOptionsBase.Defaults.Seed;

var (trainPixels, trainLabels, trainCount) = FashionMnist.Load(train: true, trainRows);
var (testPixels, testLabels, testCount) = FashionMnist.Load(train: false);
var ml = new MLContext(seed: 1);
IDataView ToView(float[] pixels, byte[] labels, int rows) => ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(i => new FashionImage
{
    Pixels = pixels.AsSpan(i * 784, 784).ToArray(),
    Label = FashionMnist.ClassNames[labels[i]],
}));
var train = ToView(trainPixels, trainLabels, trainCount);
var test = ToView(testPixels, testLabels, testCount);

// One line per epoch in place on a terminal; lines of their own when redirected to a file or a CI log.
var progress = new ConsoleProgress();
var options = new SparseMlpMulticlassTrainer.Options
{
    FeatureColumnName = "Pixels",
    HiddenLayerSizes = [300, 100],
    TargetSparsity = target,
    Lambda = fixedLambda,
    SelectionStrategy = strategy,
    NumberOfEpochs = epochs,
    Seed = seed,
    // The paper's iteration of full runs: let each run stop only in its last epoch, then fine-tune two epochs.
    ParameterSelection = new ParameterSelectionOptions { MinimumEpochsBeforeStop = fixedLambda is null && paperStrategy && epochs is int e ? e - 1 : null },
    RefitEpochs = paperStrategy ? 2 : 0,
    Progress = progress,
};
var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.MulticlassClassification.Trainers.SparseMlp(options))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedName", "PredictedLabel"));

Console.WriteLine($"Training 784-300-100-10 on {trainCount} Fashion-MNIST images {(fixedLambda is float l ? $"with fixed λ = {l}" : $"to {target:P0} sparsity")}...");
var clock = Stopwatch.StartNew();
var model = pipeline.Fit(train);
double trainingSeconds = clock.Elapsed.TotalSeconds;
progress.Finish();
var network = model.OfType<SparseMlpPredictionTransformer>().Single().Model;
Console.WriteLine(network.SelectionReport);
Console.WriteLine($"Trained in {clock.Elapsed.TotalSeconds:F1}s: sparsity {network.Sparsity:P2}, {network.NonZeroWeightCount} of {network.WeightCount} weights nonzero, {network.UsedInputIndices.Count} of 784 pixels used.");
Console.WriteLine(network);

// The run epoch by epoch (nonzeros against the schedule, λ, loss, the freeze); the paper's iteration also gets its runs side by side.
SparseL1Charts.SaveTrainingChart(progress.History, "fashion-training.png");
if (paperStrategy && network.SelectionReport is SparsitySelectionReport selection)
    SparseL1Charts.SaveSelectionChart(selection, "fashion-selection.png");
SparseL1Charts.SaveLayerSparsityChart(network, "fashion-layers.png");
SparseL1Charts.SaveInputImportanceChart(network, "fashion-inputs.png", imageWidth: 28, data: train, featureColumnName: "Pixels");
Console.WriteLine($"Wrote the charts (fashion-training.png: the run epoch by epoch;{(paperStrategy ? " fashion-selection.png: the runs;" : "")} fashion-layers.png; fashion-inputs.png: the pixels the network reads).");

var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
Console.WriteLine($"Test accuracy {metrics.MicroAccuracy:P2} (macro {metrics.MacroAccuracy:P2}), log-loss {metrics.LogLoss:F4}");
// One line for bench/sparsity.sh: what was asked, what was reached (total and per layer), at what cost.
int trainedEpochs = network.SelectionReport?.TotalEpochs ?? epochs ?? 0;
Console.WriteLine(FormattableString.Invariant(
    $"RESULT target={regularization} accuracy={metrics.MicroAccuracy:F4} sparsity={network.Sparsity:F4} layers={string.Join("/", network.LayerNonZeroCounts.Select((n, j) => (1 - (double)n / (network.TrainedLayerSizes[j] * network.TrainedLayerSizes[j + 1])).ToString("F4", System.Globalization.CultureInfo.InvariantCulture)))} epochs={trainedEpochs + options.RefitEpochs} seconds={trainingSeconds:F1}"));

string path = Path.Combine(Path.GetTempPath(), "sparse-mlp-fashion.zip");
ml.Model.Save(model, train.Schema, path);
long denseBytes = network.WeightCount * 4 + (300 + 100 + 10) * 4;
Console.WriteLine($"Saved {path}: {new FileInfo(path).Length:N0} bytes (a dense float32 network is {denseBytes:N0} bytes of weights).");

var loaded = new MLContext().Model.Load(path, out _);
var engine = ml.Model.CreatePredictionEngine<FashionImage, FashionPrediction>(loaded);
var first = new FashionImage { Pixels = testPixels.AsSpan(0, 784).ToArray() };
var prediction = engine.Predict(first);
Console.WriteLine($"Reloaded model predicts '{prediction.PredictedName}' for the first test image (true: '{FashionMnist.ClassNames[testLabels[0]]}').");
var original = ml.Model.CreatePredictionEngine<FashionImage, FashionPrediction>(model).Predict(first);
if (!original.Score.SequenceEqual(prediction.Score))
    throw new InvalidOperationException("The reloaded model scores differently from the trained one.");
Console.WriteLine("Reloaded scores are bit-identical to the trained model's.");

// ONNX: the scoring steps (the network and MapKeyToValue, without the label's MapValueToKey) so the graph's only input
// is Pixels; ML.NET's exporter with dense matrices, and ours with sparse initializers (docs/deploying.md).
var scoring = new TransformerChain<ITransformer>(model.Skip(1).ToArray());
var pixelsOnly = ml.Data.LoadFromEnumerable(new[] { new PixelsRow { Pixels = first.Pixels } });
string onnxPath = Path.ChangeExtension(path, ".onnx"), compactPath = Path.ChangeExtension(path, ".compact.onnx");
using (var onnx = File.Create(onnxPath))
    ml.Model.ConvertToOnnx(scoring, pixelsOnly, onnx, "PredictedName", "Score");
using (var compact = File.Create(compactPath))
    ml.Model.ConvertToCompactOnnx(scoring, pixelsOnly, compact, "PredictedName", "Score");
Console.WriteLine($"Exported ONNX: {onnxPath} {new FileInfo(onnxPath).Length:N0} bytes, {compactPath} (sparse initializers) {new FileInfo(compactPath).Length:N0} bytes.");

/// <summary>The ONNX graph's input: the pixels only.</summary>
internal sealed class PixelsRow
{
    /// <summary>784 pixels in [0, 1].</summary>
    [VectorType(784)]
    public float[] Pixels { get; set; } = [];
}
