using System.IO.Compression;

namespace MnistService.Api.Tests.Infrastructure;

/// <summary>The MNIST test set (10,000 images, 28x28, 0-255), read once from the .gz IDX files.</summary>
public static class MnistTestSet
{
    private static readonly Lazy<(byte[][] Images, byte[] Labels)> Data = new(Load);

    public static byte[][] Images => Data.Value.Images;
    public static byte[] Labels => Data.Value.Labels;

    private static (byte[][], byte[]) Load()
    {
        var images = ReadIdx(Path.Combine(TestPaths.MnistDirectory, "t10k-images-idx3-ubyte.gz"), 2051, out var count, 28 * 28);
        var labels = ReadIdx(Path.Combine(TestPaths.MnistDirectory, "t10k-labels-idx1-ubyte.gz"), 2049, out var labelCount, 1);
        Assert.Equal(count, labelCount);
        return (Enumerable.Range(0, count).Select(i => images.AsSpan(i * 784, 784).ToArray()).ToArray(), labels);
    }

    private static byte[] ReadIdx(string path, int magic, out int count, int itemSize)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        var bytes = memory.ToArray();
        Assert.Equal(magic, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes));
        count = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        var headerLength = magic == 2051 ? 16 : 8;
        Assert.Equal(headerLength + count * itemSize, bytes.Length);
        return bytes[headerLength..];
    }
}
