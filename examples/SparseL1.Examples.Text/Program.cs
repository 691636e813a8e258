// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1;
using SparseL1.Examples.Text;

// Text classification on sparse features: Debian package descriptions labelled by archive section (20 sections),
// FeaturizeText's default features (word and character n-grams, tens of thousands of slots, a few percent nonzero),
// SparseMlp at a target sparsity beside ML.NET's linear multiclass trainers on the same cached features.
// Arguments: [rows = 15000] [target = 0.9] [trainers = sparsemlp,sdca,lbfgs] [seed = 1]
int rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15000;
float target = args.Length > 1 ? float.Parse(args[1], CultureInfo.InvariantCulture) : 0.9f;
var trainers = (args.Length > 2 ? args[2] : "sparsemlp,sdca,lbfgs").Split(',');
int seed = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1;

var ml = new MLContext(seed: seed);
var packages = DebianDescriptions.Load(rows, sections: 20, seed: seed);
var split = ml.Data.TrainTestSplit(ml.Data.LoadFromEnumerable(packages), testFraction: 0.2, seed: seed);
var featurizer = ml.Transforms.Conversion.MapValueToKey("Label", "Section")
    .Append(ml.Transforms.Text.FeaturizeText("Features", "Description"))
    .Fit(split.TrainSet);
var train = ml.Data.Cache(featurizer.Transform(split.TrainSet));
var test = ml.Data.Cache(featurizer.Transform(split.TestSet));
int slots = ((VectorDataViewType)train.Schema["Features"].Type).Size;
Console.WriteLine($"{rows} package descriptions in 20 sections, FeaturizeText: {slots:N0} slots.");
_ = train.GetColumn<uint>("Label").Count();
_ = test.GetColumn<uint>("Label").Count();

foreach (string name in trainers)
{
    IEstimator<ITransformer> trainer = name switch
    {
        "sparsemlp" => ml.MulticlassClassification.Trainers.SparseMlp(targetSparsity: target),
        "sdca" => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(),
        "lbfgs" => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(),
        _ => throw new ArgumentException($"Unknown trainer '{name}': use sparsemlp, sdca or lbfgs."),
    };
    long allocated = GC.GetTotalAllocatedBytes(precise: true);
    var clock = Stopwatch.StartNew();
    var model = trainer.Fit(train);
    double seconds = clock.Elapsed.TotalSeconds;
    double allocatedMiB = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576.0;
    var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
    Console.WriteLine(FormattableString.Invariant(
        $"RESULT trainer={name} accuracy={metrics.MicroAccuracy:F4} seconds={seconds:F1} allocatedMiB={allocatedMiB:F0} peakWorkingSetMiB={Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0}"));
    if (model is SparseMlpPredictionTransformer sparse)
        PrintKeptInputs(sparse.Model, train.Schema["Features"], train);
}

// The words and character n-grams the first layer kept, ranked by their weights' norm in the units the network was
// trained in (times the slot's spread on the training rows: a rare n-gram's raw weights are large because it is rare).
static void PrintKeptInputs(SparseMlpModelParameters network, DataViewSchema.Column features, IDataView train)
{
    VBuffer<ReadOnlyMemory<char>> names = default;
    features.GetSlotNames(ref names);
    var slotNames = names.DenseValues().Select(n => n.ToString()).ToArray();
    var first = network.Layers[0];
    var norms = network.GetInputImportance(train, features.Name);
    Console.WriteLine($"Sparsity {network.Sparsity:P1}; the first layer uses {network.UsedInputIndices.Count:N0} of {first.InputCount:N0} slots. Strongest:");
    foreach (int c in network.UsedInputIndices.OrderByDescending(c => norms[c]).Take(25))
        Console.WriteLine($"  {norms[c],8:F3}  {slotNames[c]}");
    Microsoft.ML.SparseL1.Charts.SparseL1Charts.SaveInputImportanceChart(network, "text-inputs.png", inputNames: slotNames, data: train, featureColumnName: features.Name);
    Console.WriteLine("Wrote text-inputs.png (the strongest n-grams).");
}
