// Licensed under the MIT License. See LICENSE in the repository root.

using Microsoft.ML;
using Microsoft.ML.SparseL1;
using SparseL1.Bench.Defaults.Shared;

namespace SparseL1.Bench.Tabular;

/// <summary>A trainer of the tabular benchmark with the key that <c>--trainers</c> selects it by.</summary>
internal sealed record TabularTrainer(string Key, TrainerSpec Spec);

/// <summary>
/// The trainers of the tabular benchmark, each with its defaults: ours (with the options of <c>--sparsemlp</c>, if any),
/// LightGbm, FastTree (one-versus-all for multiclass) and one linear trainer behind NormalizeMinMax, as a user would
/// run it: LbfgsMaximumEntropy, LbfgsLogisticRegression, and Sdca for regression (ordinary least squares needs the native
/// MKL package).
/// </summary>
internal static class TabularTrainers
{
    /// <summary>The keys of <c>--trainers</c>, in table order.</summary>
    public static readonly string[] Keys = ["sparsemlp", "lightgbm", "fasttree", "linear"];

    public static TabularTrainer[] For(MlTask task, SparseMlpSettings settings) => task switch
    {
        MlTask.Multiclass =>
        [
            new("sparsemlp", new(Trainers.Ours, true, ml => settings.Wrap(ml, ml.MulticlassClassification.Trainers.SparseMlp(settings.Apply(new SparseMlpMulticlassTrainer.Options()))))),
            new("lightgbm", new(Trainers.LightGbm, false, ml => ml.MulticlassClassification.Trainers.LightGbm())),
            new("fasttree", new("FastTree (one-versus-all)", false, ml => ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastTree()))),
            new("linear", new("LbfgsMaximumEntropy (min-max normalized)", false,
                ml => ml.Transforms.NormalizeMinMax("Features").Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy()))),
        ],
        MlTask.Binary =>
        [
            new("sparsemlp", new(Trainers.Ours, true, ml => settings.Wrap(ml, ml.BinaryClassification.Trainers.SparseMlp(settings.Apply(new SparseMlpBinaryTrainer.Options()))))),
            new("lightgbm", new(Trainers.LightGbm, false, ml => ml.BinaryClassification.Trainers.LightGbm())),
            new("fasttree", new("FastTree", false, ml => ml.BinaryClassification.Trainers.FastTree())),
            new("linear", new("LbfgsLogisticRegression (min-max normalized)", false,
                ml => ml.Transforms.NormalizeMinMax("Features").Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression()))),
        ],
        _ =>
        [
            new("sparsemlp", new(Trainers.Ours, true, ml => settings.Wrap(ml, ml.Regression.Trainers.SparseMlp(settings.Apply(new SparseMlpRegressionTrainer.Options()))))),
            new("lightgbm", new(Trainers.LightGbm, false, ml => ml.Regression.Trainers.LightGbm())),
            new("fasttree", new("FastTree", false, ml => ml.Regression.Trainers.FastTree())),
            new("linear", new("Sdca (min-max normalized)", false, ml => ml.Transforms.NormalizeMinMax("Features").Append(ml.Regression.Trainers.Sdca()))),
        ],
    };
}
