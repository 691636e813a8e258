// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace Microsoft.ML.SparseL1.Format;

/// <summary>
/// Reads little-endian fields from the next <c>length</c> bytes of a stream, throwing <see cref="InvalidDataException"/>
/// that names the field when the data ends early or a value is out of its range. Every count is checked against the
/// bytes left before anything is allocated, and the caller has checked the length against the stream's real length,
/// so a forged count cannot allocate more than the data really holds.
/// </summary>
internal sealed class PayloadReader
{
    private readonly Stream _stream;
    private readonly long _length;
    private readonly byte[] _field = new byte[8];
    private long _position;

    /// <summary>Reads <paramref name="data"/>.</summary>
    public PayloadReader(byte[] data)
        : this(new MemoryStream(data, writable: false), data.Length)
    {
    }

    /// <summary>Reads the next <paramref name="length"/> bytes of <paramref name="stream"/>.</summary>
    public PayloadReader(Stream stream, long length)
    {
        _stream = stream;
        _length = length;
    }

    public bool AtEnd => _position == _length;

    public long Remaining => _length - _position;

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
        var values = new float[CheckCount(count, 4, field)];
        Fill(MemoryMarshal.AsBytes(values.AsSpan()), field);
        if (!BitConverter.IsLittleEndian)
            BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<float, int>(values.AsSpan()), MemoryMarshal.Cast<float, int>(values.AsSpan()));
        for (int i = 0; i < count; i++)
        {
            if (!float.IsFinite(values[i]))
                throw Invalid($"{field}[{i}]", $"is {values[i]}; expected a finite number");
        }

        return values;
    }

    public int[] ReadInt32s(int count, string field)
    {
        var values = new int[CheckCount(count, 4, field)];
        Fill(MemoryMarshal.AsBytes(values.AsSpan()), field);
        if (!BitConverter.IsLittleEndian)
            BinaryPrimitives.ReverseEndianness(values, values);
        return values;
    }

    public string ReadString(string field)
    {
        int length = ReadInt32($"{field} length", 0, ModelFormat.MaxStringBytes);
        var bytes = new byte[CheckCount(length, 1, field)];
        Fill(bytes, field);
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

    /// <summary>The count, once <paramref name="count"/> items of <paramref name="size"/> bytes are known to remain.</summary>
    private int CheckCount(int count, int size, string field)
    {
        if (count < 0 || (long)count * size > Remaining)
            throw Invalid(field, $"needs {(long)count * size} bytes but only {Remaining} remain (truncated)");
        return count;
    }

    private ReadOnlySpan<byte> Take(int count, string field)
    {
        var span = _field.AsSpan(0, CheckCount(count, 1, field));
        Fill(span, field);
        return span;
    }

    private void Fill(Span<byte> destination, string field)
    {
        try
        {
            _stream.ReadExactly(destination);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"Sparse MLP model field '{field}' ends early (truncated). The model file is corrupt or was not written by this library.", e);
        }

        _position += destination.Length;
    }
}
