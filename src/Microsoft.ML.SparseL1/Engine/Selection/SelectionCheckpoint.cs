// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML.SparseL1.Training;

namespace Microsoft.ML.SparseL1.Selection;

/// <summary>One completed run of the paper's iteration, as the selection needs it to go on without training it again.</summary>
/// <param name="Record">The run's line in the report.</param>
/// <param name="Mark">The counts at the stop mark when the run informs the aim (a full update run), else null.</param>
/// <param name="NextLambdas">The λ of the next run, as this run's update chose them.</param>
/// <param name="NextNote">The next run's note.</param>
/// <param name="Parameters">The run's network.</param>
internal sealed record CompletedRun(SelectionIteration Record, int[]? Mark, float[] NextLambdas, string NextNote, MlpParameters Parameters);

/// <summary>
/// A folder of completed selection runs, one file each (<c>selection-{identity}-run-N.bin</c>), so that a selection
/// stopped by a crash or a killed job resumes after its last completed run: runs start from the same seeded network and
/// train deterministically, so a run's record, the next λ and the run's weights are all the iteration's state. A file
/// is written whole to a temporary name and renamed, and carries a CRC, so a half-written run is never read. The
/// identity (a hash of the options, the data and the step) is in the name, so selections that differ (another target,
/// a retry with a halved step, the jobs of a sweep) keep apart in one folder; it is also inside, and checked.
/// </summary>
internal sealed class SelectionCheckpoint
{
    private const string Magic = "SL1SELRUN";
    private const int Version = 1;
    private readonly string _directory;
    private readonly long _identity;

    /// <param name="directory">The folder (created on the first write).</param>
    /// <param name="identity">A hash of everything that decides the runs: the options, the data's shape and weight.</param>
    /// <param name="writes">Whether this process writes (in data-parallel training, rank 0 only).</param>
    public SelectionCheckpoint(string directory, long identity, bool writes)
    {
        _directory = directory;
        _identity = identity;
        Writes = writes;
    }

    public bool Writes { get; }

    /// <summary>The completed runs found, in order, up to the first missing one.</summary>
    /// <exception cref="InvalidOperationException">A file is damaged or belongs to another selection.</exception>
    public IEnumerable<CompletedRun> Load(int[] layerSizes)
    {
        for (int run = 0; ; run++)
        {
            string path = PathOf(run);
            if (!File.Exists(path))
                yield break;
            yield return Read(path, run, layerSizes);
        }
    }

    public void Save(CompletedRun run)
    {
        if (!Writes)
            return;
        Directory.CreateDirectory(_directory);
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(Version);
            writer.Write(_identity);
            var r = run.Record;
            writer.Write(r.Iteration);
            WriteArray(writer, r.Lambdas.ToArray());
            WriteArray(writer, r.LayerNonZeroCounts.ToArray());
            writer.Write(r.TrainingLoss);
            writer.Write(r.Epochs);
            writer.Write(r.StoppedAtTarget);
            writer.Write(r.Seconds);
            writer.Write(r.Note);
            writer.Write(run.Mark is not null);
            if (run.Mark is not null)
                WriteArray(writer, run.Mark);
            WriteArray(writer, run.NextLambdas);
            writer.Write(run.NextNote);
            for (int j = 0; j < run.Parameters.LayerCount; j++)
            {
                WriteArray(writer, run.Parameters.Weights[j]);
                WriteArray(writer, run.Parameters.Biases[j]);
            }
        }

        byte[] payload = buffer.ToArray();
        string path = PathOf(run.Record.Iteration), temporary = path + ".tmp";
        using (var file = File.Create(temporary))
        {
            file.Write(payload);
            file.Write(BitConverter.GetBytes(IO.Crc32.Compute(payload)));
        }

        File.Move(temporary, path, overwrite: true);
    }

    private string PathOf(int run) => Path.Combine(_directory, string.Create(CultureInfo.InvariantCulture, $"selection-{_identity:x16}-run-{run}.bin"));

    private CompletedRun Read(string path, int run, int[] layerSizes)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 4 || IO.Crc32.Compute(bytes.AsSpan(0, bytes.Length - 4)) != BitConverter.ToUInt32(bytes, bytes.Length - 4))
            throw new InvalidOperationException($"Selection checkpoint {path} is damaged (its checksum does not match); delete it to train that run again.");
        using var reader = new BinaryReader(new MemoryStream(bytes, 0, bytes.Length - 4));
        if (reader.ReadString() != Magic || reader.ReadInt32() != Version)
            throw new InvalidOperationException($"{path} is not a selection checkpoint of this version.");
        if (reader.ReadInt64() != _identity)
            throw new InvalidOperationException($"Selection checkpoint {path} holds another selection than its name says; delete it to train that run again.");
        int iteration = reader.ReadInt32();
        if (iteration != run)
            throw new InvalidOperationException($"Selection checkpoint {path} holds run {iteration}, not run {run}.");
        var record = new SelectionIteration(iteration, ReadFloats(reader), ReadInts(reader), reader.ReadDouble(), reader.ReadInt32(), reader.ReadBoolean(),
            reader.ReadDouble(), reader.ReadString());
        int[]? mark = reader.ReadBoolean() ? ReadInts(reader) : null;
        float[] next = ReadFloats(reader);
        string nextNote = reader.ReadString();
        var parameters = new MlpParameters(layerSizes);
        for (int j = 0; j < parameters.LayerCount; j++)
        {
            ReadInto(reader, parameters.Weights[j], path);
            ReadInto(reader, parameters.Biases[j], path);
        }

        return new CompletedRun(record, mark, next, nextNote, parameters);
    }

    private static void WriteArray(BinaryWriter writer, float[] values)
    {
        writer.Write(values.Length);
        foreach (float v in values)
            writer.Write(v);
    }

    private static void WriteArray(BinaryWriter writer, int[] values)
    {
        writer.Write(values.Length);
        foreach (int v in values)
            writer.Write(v);
    }

    private static float[] ReadFloats(BinaryReader reader)
    {
        var values = new float[reader.ReadInt32()];
        for (int i = 0; i < values.Length; i++)
            values[i] = reader.ReadSingle();
        return values;
    }

    private static int[] ReadInts(BinaryReader reader)
    {
        var values = new int[reader.ReadInt32()];
        for (int i = 0; i < values.Length; i++)
            values[i] = reader.ReadInt32();
        return values;
    }

    private static void ReadInto(BinaryReader reader, float[] target, string path)
    {
        var values = ReadFloats(reader);
        if (values.Length != target.Length)
            throw new InvalidOperationException($"Selection checkpoint {path} holds a layer of {values.Length} values where the network has {target.Length}.");
        values.CopyTo(target, 0);
    }
}
