// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.IO;
using Microsoft.ML.SparseL1.Format;

namespace Microsoft.ML.SparseL1.Persistence;

/// <summary>
/// What a model zip says its sparse MLP is (task, input width, output count), stored as a small entry of its own beside
/// the payload, so that a payload swapped in from another model is refused on load instead of scoring as the wrong task.
/// </summary>
/// <remarks>
/// <code>
/// entry "SparseMlpIdentity.bin": byte[8] magic "SPL1ID\0\0" | byte task | int32 inputCount | int32 outputCount
/// </code>
/// Every released version writes it (0.1.0 included), so a zip without it is refused; it is part of the format since
/// version 0x00010002 (<see cref="ModelFormat"/>).
/// </remarks>
internal static class ModelIdentity
{
    public const string ZipEntryName = "SparseMlpIdentity.bin";

    private static readonly byte[] s_magic = "SPL1ID\0\0"u8.ToArray();

    public static void Write(BinaryWriter writer, SparseMlpModelParameters model)
    {
        writer.Write(s_magic);
        writer.Write((byte)model.Task);
        writer.Write(model.InputCount);
        writer.Write(model.OutputCount);
    }

    /// <summary>Reads the entry and checks the payload's model against it.</summary>
    /// <exception cref="InvalidDataException">The entry is malformed or disagrees with the payload.</exception>
    public static void ReadAndCheck(BinaryReader reader, SparseMlpModelParameters model)
    {
        byte[] magic = reader.ReadBytes(s_magic.Length);
        if (!magic.AsSpan().SequenceEqual(s_magic))
            throw new InvalidDataException($"The model zip's '{ZipEntryName}' entry does not start with the expected magic bytes.");
        try
        {
            var task = (SparseMlpTask)reader.ReadByte();
            int inputs = reader.ReadInt32(), outputs = reader.ReadInt32();
            Check("task", task.ToString(), model.Task.ToString());
            Check("inputCount", inputs.ToString(System.Globalization.CultureInfo.InvariantCulture), model.InputCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Check("outputCount", outputs.ToString(System.Globalization.CultureInfo.InvariantCulture), model.OutputCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"The model zip's '{ZipEntryName}' entry is truncated.", e);
        }
    }

    private static void Check(string field, string saved, string payload)
    {
        if (saved != payload)
            throw new InvalidDataException($"The model zip's '{ZipEntryName}' field '{field}' is {saved} but its '{ModelFormat.ZipEntryName}' payload holds {payload}: the payload belongs to another model.");
    }
}
