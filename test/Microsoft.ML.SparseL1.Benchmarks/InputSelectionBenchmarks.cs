// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.Data;
using Microsoft.ML.SparseL1.Trainers;

namespace Microsoft.ML.SparseL1.Benchmarks;

/// <summary>
/// Issue 18's generated problems: k relevant inputs among p (placed at seeded positions), classification and regression,
/// 10 seeds each; default options with InputsToKeep = k against the same without it: how often exactly the relevant
/// inputs are kept, and the test score of both.
/// </summary>
internal static class InputSelectionBenchmarks
{
    private sealed class Row
    {
        public float[] Features { get; set; } = [];

        public bool Positive { get; set; }

        public float Value { get; set; }
    }

    public static List<Dictionary<string, object>> Run()
    {
        var results = new List<Dictionary<string, object>>();
        foreach (var (k, p) in new[] { (3, 20), (10, 200) })
        {
            foreach (bool regression in new[] { false, true })
            {
                int exact = 0;
                var withScores = new List<double>();
                var withoutScores = new List<double>();
                var usedCounts = new List<int>();
                var seconds = new List<double>();
                for (int seed = 1; seed <= 10; seed++)
                {
                    var (train, test, relevant) = Make(k, p, seed);
                    var ml = new MLContext(seed: seed);
                    var schema = SchemaDefinition.Create(typeof(Row));
                    schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, p);
                    var trainView = ml.Data.LoadFromEnumerable(train, schema);
                    var testView = ml.Data.LoadFromEnumerable(test, schema);
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    var (with, withScore) = Fit(ml, trainView, testView, regression, k);
                    seconds.Add(clock.Elapsed.TotalSeconds);
                    var (_, withoutScore) = Fit(ml, trainView, testView, regression, null);
                    var used = with.Model.UsedInputIndices.ToHashSet();
                    usedCounts.Add(used.Count);
                    exact += used.SetEquals(relevant) ? 1 : 0;
                    withScores.Add(withScore);
                    withoutScores.Add(withoutScore);
                }

                results.Add(new()
                {
                    ["benchmark"] = "input-selection",
                    ["problem"] = $"{(regression ? "regression" : "classification")}, {k} relevant of {p} inputs, 1000 training rows, 10 seeds",
                    ["exactlyTheRelevantInputsKept"] = $"{exact} of 10",
                    ["inputsUsedPerSeed"] = string.Join(" ", usedCounts),
                    [regression ? "testRSquaredWithInputsToKeep" : "testAccuracyWithInputsToKeep"] = Math.Round(withScores.Average(), 4),
                    [regression ? "testRSquaredWithout" : "testAccuracyWithout"] = Math.Round(withoutScores.Average(), 4),
                    ["fitSecondsWithInputsToKeep"] = Math.Round(seconds.Average(), 2),
                });
            }
        }

        return results;
    }

    /// <summary>
    /// Issue 31's problems: 3,000 training rows, inputs pairwise correlated 0.5, targets made of sines, products of two
    /// inputs and thresholds of the k relevant ones (an input in a product acts only through it); 10 seeds. Each with the
    /// group penalty, with the importance ranking (DataDefaults.ImportanceInputLimit), by hand (LightGbm's gain, then the
    /// trainer on the k kept inputs), and without selection.
    /// </summary>
    public static List<Dictionary<string, object>> RunInteractions()
    {
        var results = new List<Dictionary<string, object>>();
        foreach (var (k, p, regression) in new[] { (4, 40, true), (5, 100, false), (8, 120, true) })
        {
            string[] methods = ["group penalty", "importance", "LightGbm gain, then the trainer on those", "none"];
            var exact = methods.ToDictionary(m => m, _ => 0);
            var scores = methods.ToDictionary(m => m, _ => new List<double>());
            var found = methods.ToDictionary(m => m, _ => new List<int>());
            var seconds = methods.ToDictionary(m => m, _ => new List<double>());
            int limit = DataDefaults.ImportanceInputLimit;
            for (int seed = 1; seed <= 10; seed++)
            {
                var (train, test, relevant) = MakeInteractions(k, p, regression, seed);
                var ml = new MLContext(seed: seed);
                var schema = SchemaDefinition.Create(typeof(Row));
                schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, p);
                var trainView = ml.Data.Cache(ml.Data.LoadFromEnumerable(train, schema));
                var testView = ml.Data.LoadFromEnumerable(test, schema);
                foreach (string method in methods)
                {
                    DataDefaults.ImportanceInputLimit = method == "importance" ? int.MaxValue : 0;
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    HashSet<int> used;
                    double score;
                    if (method.StartsWith("LightGbm", StringComparison.Ordinal))
                    {
                        // What a user would do by hand: rank by LightGbm's gain, keep k, train on those alone.
                        used = LightGbmTop(ml, trainView, regression, p, k);
                        var masked = ml.Data.LoadFromEnumerable(Masked(train, used), schema);
                        (_, score) = Fit(ml, masked, ml.Data.LoadFromEnumerable(Masked(test, used), schema), regression, null);
                    }
                    else
                    {
                        var (model, fitScore) = Fit(ml, trainView, testView, regression, method == "none" ? null : k);
                        used = model.Model.UsedInputIndices.ToHashSet();
                        score = fitScore;
                    }

                    seconds[method].Add(clock.Elapsed.TotalSeconds);
                    scores[method].Add(score);
                    exact[method] += used.SetEquals(relevant) ? 1 : 0;
                    found[method].Add(used.Intersect(relevant).Count());
                }

                DataDefaults.ImportanceInputLimit = limit;
            }

            foreach (string method in methods)
            {
                results.Add(new()
                {
                    ["benchmark"] = "input-selection-interactions",
                    ["problem"] = $"{(regression ? "regression" : "binary")}, {k} relevant of {p} correlated inputs, 3000 training rows, 10 seeds",
                    ["method"] = method,
                    ["exactlyTheRelevantInputs"] = method == "none" ? "-" : $"{exact[method]} of 10",
                    ["relevantFoundPerSeed"] = method == "none" ? "-" : string.Join(" ", found[method]),
                    [regression ? "testRSquared" : "testAccuracy"] = Math.Round(scores[method].Average(), 4),
                    ["fitSeconds"] = Math.Round(seconds[method].Average(), 2),
                });
            }
        }

        return results;
    }

    /// <summary>
    /// x_i = √0.5·z₀ + √0.5·z_i (standard normal z: every pair correlated 0.5); the target cycles through sin(2·x), a
    /// product of the next two relevant inputs and a threshold x &gt; 0.5 over the k relevant inputs; regression adds noise
    /// of sd 0.1, binary is the target above its median.
    /// </summary>
    private static (Row[] Train, Row[] Test, HashSet<int> Relevant) MakeInteractions(int k, int p, bool regression, int seed)
    {
        var random = new Random(seed);
        int[] relevant = Enumerable.Range(0, p).OrderBy(_ => random.Next()).Take(k).ToArray();
        double Target(float[] x)
        {
            double y = 0;
            for (int j = 0, term = 0; j < k; term++)
            {
                switch (term % 3)
                {
                    case 0:
                        y += Math.Sin(2 * x[relevant[j++]]);
                        break;
                    case 1 when j + 1 < k:
                        y += x[relevant[j]] * x[relevant[j + 1]];
                        j += 2;
                        break;
                    default:
                        y += x[relevant[j++]] > 0.5 ? 1 : 0;
                        break;
                }
            }

            return y;
        }

        Row[] Rows(int count) => Enumerable.Range(0, count).Select(_ =>
        {
            double shared = Normal(random);
            var x = Enumerable.Range(0, p).Select(_ => (float)(Math.Sqrt(0.5) * shared + Math.Sqrt(0.5) * Normal(random))).ToArray();
            double y = Target(x);
            return new Row { Features = x, Value = (float)(y + 0.1 * Normal(random)), Positive = y > 0 };
        }).ToArray();
        var train = Rows(3000);
        var test = Rows(1000);
        if (!regression)
        {
            // The median of the training targets, so the classes are balanced.
            double median = train.Select(r => (double)r.Value).Order().ElementAt(train.Length / 2);
            foreach (var row in train.Concat(test))
                row.Positive = row.Value > median;
        }

        return (train, test, relevant.ToHashSet());
    }

    /// <summary>The k inputs of most gain in LightGbm with its defaults.</summary>
    private static HashSet<int> LightGbmTop(MLContext ml, IDataView train, bool regression, int p, int k)
    {
        VBuffer<float> gains = default;
        if (regression)
            ml.Regression.Trainers.LightGbm(labelColumnName: "Value").Fit(train).Model.GetFeatureWeights(ref gains);
        else
            ml.BinaryClassification.Trainers.LightGbm(labelColumnName: "Positive").Fit(train).Model.SubModel.GetFeatureWeights(ref gains);
        var dense = new float[p];
        gains.CopyTo(dense);
        return Enumerable.Range(0, p).OrderByDescending(i => dense[i]).Take(k).ToHashSet();
    }

    /// <summary>The rows with every input not in <paramref name="kept"/> set to 0.</summary>
    private static Row[] Masked(Row[] rows, HashSet<int> kept) => rows.Select(r => new Row
    {
        Features = r.Features.Select((v, i) => kept.Contains(i) ? v : 0f).ToArray(),
        Positive = r.Positive,
        Value = r.Value,
    }).ToArray();

    private static (SparseMlpPredictionTransformer Model, double Score) Fit(MLContext ml, IDataView train, IDataView test, bool regression, int? keep)
    {
        if (regression)
        {
            var model = ml.Regression.Trainers.SparseMlp(new SparseMlpRegressionTrainer.Options { LabelColumnName = "Value", InputsToKeep = keep }).Fit(train);
            return (model, ml.Regression.Evaluate(model.Transform(test), "Value").RSquared);
        }

        var classifier = ml.BinaryClassification.Trainers.SparseMlp(new SparseMlpBinaryTrainer.Options { LabelColumnName = "Positive", InputsToKeep = keep }).Fit(train);
        return (classifier, ml.BinaryClassification.Evaluate(classifier.Transform(test), "Positive").Accuracy);
    }

    /// <summary>
    /// Inputs uniform in (−1, 1); the target is a product of two relevant inputs plus a linear term in all k with weights
    /// of magnitude 0.5-1 (signs from the seed); classification is its sign, regression it plus noise of sd 0.1.
    /// </summary>
    private static (Row[] Train, Row[] Test, HashSet<int> Relevant) Make(int k, int p, int seed)
    {
        var random = new Random(seed);
        int[] relevant = Enumerable.Range(0, p).OrderBy(_ => random.Next()).Take(k).ToArray();
        double[] coefficients = relevant.Select(_ => (0.5 + random.NextDouble() * 0.5) * (random.Next(2) == 0 ? -1 : 1)).ToArray();
        Row[] Rows(int count) => Enumerable.Range(0, count).Select(_ =>
        {
            var x = Enumerable.Range(0, p).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            double score = 2 * x[relevant[0]] * x[relevant[1]];
            for (int j = 0; j < k; j++)
                score += coefficients[j] * x[relevant[j]];
            return new Row { Features = x, Positive = score > 0, Value = (float)(score + 0.1 * Normal(random)) };
        }).ToArray();
        return (Rows(1000), Rows(1000), relevant.ToHashSet());
    }

    private static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
