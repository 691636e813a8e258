// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;

namespace Microsoft.ML.SparseL1.IO;

/// <summary>
/// Reads little-endian fields from a byte array, throwing <see cref="InvalidDataException"/> that names the
/// field when the data ends early or a value is out of its range. Counts are checked against the bytes left
/// before anything is allocated, so a forged count cannot cause a huge allocation.
/// </summary>
internal sealed class PayloadReader(byte[] data)
{
    private int _position;

    public bool AtEnd => _position == data.Length;

    public int Remaining => data.Length - _position;

    public byte ReadByte(string field) => Take(1, field)[0];

    public int ReadInt32(string field) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, field));

    public long ReadInt64(string field) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, field));

    public double ReadDouble(string field)
    {
        double value = BinaryPrimitives.ReadDoubleLittleEndian(Take(8, field));
        if (!double.IsFinite(value))
            throw Invalid(field, $"is {value}; expected a finite number");
        return value;
    }

    /// <summary>An int32 in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int ReadInt32(string field, int min, int max)
    {
        int value = ReadInt32(field);
        if (value < min || value > max)
            throw Invalid(field, $"is {value}; expected {min}..{max}");
        return value;
    }

    public float[] ReadFiniteFloats(int count, string field)
    {
        var bytes = Take(checked(count * 4), field);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            float v = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(i * 4));
            if (!float.IsFinite(v))
                throw Invalid($"{field}[{i}]", $"is {v}; expected a finite number");
            values[i] = v;
        }

        return values;
    }

    public int[] ReadInt32s(int count, string field)
    {
        var bytes = Take(checked(count * 4), field);
        var values = new int[count];
        for (int i = 0; i < count; i++)
            values[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(i * 4));
        return values;
    }

    public string ReadString(string field)
    {
        int length = ReadInt32($"{field} length", 0, ModelFormat.MaxStringBytes);
        var bytes = Take(length, field);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"Sparse MLP model field '{field}' is not valid UTF-8.", e);
        }
    }

    public static InvalidDataException Invalid(string field, string problem) =>
        new($"Sparse MLP model field '{field}' {problem}. The model file is corrupt or was not written by this library.");

    private ReadOnlySpan<byte> Take(int count, string field)
    {
        if (count < 0 || count > Remaining)
            throw Invalid(field, $"needs {count} bytes but only {Remaining} remain (truncated)");
        var span = data.AsSpan(_position, count);
        _position += count;
        return span;
    }
}
