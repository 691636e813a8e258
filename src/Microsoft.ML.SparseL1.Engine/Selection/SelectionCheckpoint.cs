// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Microsoft.ML.SparseL1.Format;
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
/// is written whole to a temporary name of its own and renamed, and carries a CRC, so a half-written run is never read.
/// The identity (a hash of the options, a digest of the data and the step) is in the name, so selections that differ (another target,
/// a retry with a halved step, the jobs of a sweep) keep apart in one folder; it is also inside, and checked.
/// </summary>
internal sealed class SelectionCheckpoint
{
    private const string Magic = "SL1SELRUN";
    private const int Version = 1;
    private readonly string _directory;
    private readonly long _identity;

    /// <param name="directory">The folder (created on the first write).</param>
    /// <param name="identity">A hash of everything that decides the runs: the options, the data's shape and a digest of its values.</param>
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
            ModelWriter.WriteString(writer, Magic);
            writer.Write(Version);
            writer.Write(_identity);
            // The run's line as the model's selection report stores it.
            SelectionReportFormat.WriteIteration(writer, run.Record);
            writer.Write(run.Mark is null ? (byte)0 : (byte)1);
            foreach (int count in run.Mark ?? [])
                writer.Write(count);
            ModelWriter.WriteFloats(writer, run.NextLambdas);
            ModelWriter.WriteString(writer, run.NextNote);
            for (int j = 0; j < run.Parameters.LayerCount; j++)
            {
                ModelWriter.WriteFloats(writer, run.Parameters.Weights[j]);
                ModelWriter.WriteFloats(writer, run.Parameters.Biases[j]);
            }
        }

        byte[] payload = buffer.ToArray();
        string path = PathOf(run.Record.Iteration);
        WriteWhole(path, file =>
        {
            file.Write(payload);
            file.Write(BitConverter.GetBytes(System.IO.Hashing.Crc32.HashToUInt32(payload)));
        });
    }

    /// <summary>
    /// Creates the folder and writes and removes a probe file, so that a folder that cannot be written fails before the
    /// first run trains rather than after it.
    /// </summary>
    /// <exception cref="IOException">The folder cannot be created or written.</exception>
    /// <exception cref="UnauthorizedAccessException">The process may not write there.</exception>
    public void CheckWritable()
    {
        if (!Writes)
            return;
        Directory.CreateDirectory(_directory);
        string probe = Path.Combine(_directory, $"selection-write-probe-{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(probe, [0]);
        }
        finally
        {
            if (File.Exists(probe))
                File.Delete(probe);
        }
    }

    /// <summary>
    /// Writes a file whole: to a temporary name of its own (fits sharing the folder, even of the same selection, never
    /// write one temporary file together), then renamed over the final name in one step.
    /// </summary>
    private static void WriteWhole(string path, Action<Stream> write)
    {
        string temporary = $"{path}.{Environment.ProcessId}-{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = File.Create(temporary))
                write(file);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            // Nothing is left when the rename succeeded; after a failure the temporary file goes, without hiding the failure.
            try
            {
                File.Delete(temporary);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private string PathOf(int run) => Path.Combine(_directory, string.Create(CultureInfo.InvariantCulture, $"selection-{_identity:x16}-run-{run}.bin"));

    /// <summary>Reads a run through the model format's checked reader (every length comes from the network's sizes).</summary>
    private CompletedRun Read(string path, int run, int[] layerSizes)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 4 || System.IO.Hashing.Crc32.HashToUInt32(bytes.AsSpan(0, bytes.Length - 4)) != BitConverter.ToUInt32(bytes, bytes.Length - 4))
            throw new InvalidOperationException($"Selection checkpoint {path} is damaged (its checksum does not match); delete it to train that run again.");
        try
        {
            var reader = new PayloadReader(bytes[..^4]);
            if (reader.ReadString("magic") != Magic || reader.ReadInt32("version") != Version)
                throw new InvalidOperationException($"{path} is not a selection checkpoint of this version.");
            if (reader.ReadInt64("identity") != _identity)
                throw new InvalidOperationException($"Selection checkpoint {path} holds another selection than its name says; delete it to train that run again.");
            int layers = layerSizes.Length - 1;
            var record = SelectionReportFormat.ReadIteration(reader, layers, "run");
            if (record.Iteration != run)
                throw new InvalidOperationException($"Selection checkpoint {path} holds run {record.Iteration}, not run {run}.");
            int[]? mark = SelectionReportFormat.ReadFlag(reader, "mark") == 1 ? reader.ReadInt32s(layers, "mark") : null;
            float[] next = reader.ReadFiniteFloats(layers, "nextLambdas");
            string nextNote = reader.ReadString("nextNote");
            var parameters = new MlpParameters(layerSizes);
            for (int j = 0; j < layers; j++)
            {
                reader.ReadFiniteFloats(parameters.Weights[j].Length, $"weights[{j}]").CopyTo(parameters.Weights[j], 0);
                reader.ReadFiniteFloats(parameters.Biases[j].Length, $"biases[{j}]").CopyTo(parameters.Biases[j], 0);
            }

            if (!reader.AtEnd)
                throw new InvalidOperationException($"Selection checkpoint {path} holds {reader.Remaining} bytes more than a run of this network.");
            return new CompletedRun(record, mark, next, nextNote, parameters);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidOperationException($"Selection checkpoint {path} does not hold a run of this network: {e.Message}", e);
        }
    }
}
