// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using System.Linq;

namespace Microsoft.ML.SparseL1.Format;

/// <summary>
/// The selection report inside the model payload:
/// <code>
/// byte strategy | byte layerWise | float tolerance | int32 targetCount | int32[targetCount] targets
/// int32[D] layerWeightCounts | int32 iterationCount | per iteration: int32 index | float[D] lambdas | int32[D] nonZero
///     | double loss | int32 epochs | byte stoppedAtTarget | double seconds | string note
/// int32 chosenIteration | byte converged
/// </code>
/// </summary>
internal static class SelectionReportFormat
{
    private const int MaxIterations = 100_000;

    public static void Write(BinaryWriter writer, SparsitySelectionReport report)
    {
        writer.Write((byte)report.Strategy);
        writer.Write(report.LayerWise ? (byte)1 : (byte)0);
        writer.Write(report.Tolerance);
        writer.Write(report.TargetNonZeroCounts.Count);
        foreach (int t in report.TargetNonZeroCounts)
            writer.Write(t);
        foreach (int n in report.LayerWeightCounts)
            writer.Write(n);
        writer.Write(report.Iterations.Count);
        foreach (var it in report.Iterations)
            WriteIteration(writer, it);

        writer.Write(report.ChosenIteration);
        writer.Write(report.Converged ? (byte)1 : (byte)0);
    }

    public static SparsitySelectionReport Read(PayloadReader reader, int layers)
    {
        const string Name = "selectionReport";
        byte strategyValue = reader.ReadByte($"{Name}.strategy");
        if (!Enum.IsDefined((SelectionStrategy)strategyValue))
            throw PayloadReader.Invalid($"{Name}.strategy", $"is {strategyValue}; expected a defined SelectionStrategy (0 to {Enum.GetValues<SelectionStrategy>().Length - 1})");
        var strategy = (SelectionStrategy)strategyValue;
        bool layerWise = ReadFlag(reader, $"{Name}.layerWise") == 1;
        float tolerance = reader.ReadFiniteFloats(1, $"{Name}.tolerance")[0];
        if (!(tolerance > 0 && tolerance < 1))
            throw PayloadReader.Invalid($"{Name}.tolerance", $"is {tolerance}; expected (0, 1)");
        int targetCount = reader.ReadInt32($"{Name}.targetCount", layerWise ? layers : 1, layerWise ? layers : 1);
        int[] targets = reader.ReadInt32s(targetCount, $"{Name}.targets");
        int[] weightCounts = reader.ReadInt32s(layers, $"{Name}.layerWeightCounts");
        int count = reader.ReadInt32($"{Name}.iterationCount", 1, MaxIterations);
        var iterations = new SelectionIteration[count];
        for (int i = 0; i < count; i++)
            iterations[i] = ReadIteration(reader, layers, $"{Name}.iteration[{i}]");

        int chosen = reader.ReadInt32($"{Name}.chosenIteration", 0, count - 1);
        bool converged = ReadFlag(reader, $"{Name}.converged") == 1;
        return new SparsitySelectionReport(strategy, layerWise, targets, weightCounts, tolerance, iterations, chosen, converged);
    }

    /// <summary>One run's line of the report (also a selection checkpoint's record of the run).</summary>
    public static void WriteIteration(BinaryWriter writer, SelectionIteration it)
    {
        writer.Write(it.Iteration);
        ModelWriter.WriteFloats(writer, it.Lambdas.ToArray());
        foreach (int n in it.LayerNonZeroCounts)
            writer.Write(n);
        writer.Write(it.TrainingLoss);
        writer.Write(it.Epochs);
        writer.Write(it.StoppedAtTarget ? (byte)1 : (byte)0);
        writer.Write(it.Seconds);
        ModelWriter.WriteString(writer, it.Note);
    }

    /// <summary>Reads what <see cref="WriteIteration"/> wrote, for a network of <paramref name="layers"/> weight layers.</summary>
    public static SelectionIteration ReadIteration(PayloadReader reader, int layers, string field)
    {
        int index = reader.ReadInt32($"{field}.index", 0, MaxIterations);
        float[] lambdas = reader.ReadFiniteFloats(layers, $"{field}.lambdas");
        int[] nonZero = reader.ReadInt32s(layers, $"{field}.nonZero");
        double loss = reader.ReadDouble($"{field}.loss");
        int epochs = reader.ReadInt32($"{field}.epochs", 0, int.MaxValue);
        bool stopped = ReadFlag(reader, $"{field}.stoppedAtTarget") == 1;
        double seconds = reader.ReadDouble($"{field}.seconds");
        string note = reader.ReadString($"{field}.note");
        return new SelectionIteration(index, lambdas, nonZero, loss, epochs, stopped, seconds, note);
    }

    /// <summary>A byte that must be 0 or 1.</summary>
    public static byte ReadFlag(PayloadReader reader, string field)
    {
        byte value = reader.ReadByte(field);
        if (value > 1)
            throw PayloadReader.Invalid(field, $"is {value}; expected 0 or 1");
        return value;
    }
}
