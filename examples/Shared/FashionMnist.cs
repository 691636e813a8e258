// Licensed under the MIT License. See LICENSE in the repository root.

using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace SparseL1.Examples.Shared;

/// <summary>
/// Reads Fashion-MNIST from the gzipped IDX files of Debian's <c>dataset-fashion-mnist</c> package
/// (big-endian int32 header, then uint8 data). Pixels are scaled to [0, 1].
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The class names, in label order.</summary>
    public static readonly string[] ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Loads the training (60,000) or test (10,000) split, optionally only its first <paramref name="maxRows"/> rows.</summary>
    /// <returns>Row-major pixels (rows x 784) and labels 0..9.</returns>
    public static (float[] Pixels, byte[] Labels, int Rows) Load(bool train, int maxRows = int.MaxValue, string? directory = null)
    {
        directory ??= Environment.GetEnvironmentVariable("FASHION_MNIST_DIR") ?? DefaultDirectory;
        string prefix = train ? "train" : "t10k";
        string imagesPath = Path.Combine(directory, $"{prefix}-images-idx3-ubyte.gz");
        string labelsPath = Path.Combine(directory, $"{prefix}-labels-idx1-ubyte.gz");
        if (!File.Exists(imagesPath) || !File.Exists(labelsPath))
            throw new FileNotFoundException($"Fashion-MNIST not found in '{directory}'. Install it with 'apt-get install -y dataset-fashion-mnist' or set FASHION_MNIST_DIR.", imagesPath);

        byte[] images = ReadIdx(imagesPath, 2051, out int count, out int pixelsPerImage);
        byte[] labels = ReadIdx(labelsPath, 2049, out int labelCount, out _);
        if (labelCount != count)
            throw new InvalidDataException($"'{labelsPath}' has {labelCount} labels for {count} images.");
        int rows = Math.Min(count, maxRows);
        var pixels = new float[rows * pixelsPerImage];
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = images[i] / 255f;
        return (pixels, labels.AsSpan(0, rows).ToArray(), rows);
    }

    private static byte[] ReadIdx(string path, int magic, out int count, out int itemSize)
    {
        using var stream = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        byte[] bytes = memory.ToArray();
        if (bytes.Length < 8 || BinaryPrimitives.ReadInt32BigEndian(bytes) != magic)
            throw new InvalidDataException($"'{path}' is not an IDX file with magic {magic}.");
        int dimensions = bytes[3];
        count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        itemSize = 1;
        for (int d = 1; d < dimensions; d++)
            itemSize *= BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
        int header = 4 + 4 * dimensions;
        if (bytes.Length != header + (long)count * itemSize)
            throw new InvalidDataException($"'{path}' is truncated: expected {header + (long)count * itemSize} bytes, got {bytes.Length}.");
        return bytes[header..];
    }
}
