using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using MnistService.Core.Data;

namespace MnistService.Deploy.Tests.Infrastructure;

/// <summary>A minimal PNG writer (8-bit grayscale, filter 0), so the smoke test uploads a real PNG file.</summary>
public static class Png
{
    public static byte[] Grayscale(ReadOnlySpan<byte> pixels, int width, int height)
    {
        using var output = new MemoryStream();
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 0; // grayscale
        Chunk(output, "IHDR", header);

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            for (var y = 0; y < height; y++)
            {
                zlib.WriteByte(0); // filter: none
                zlib.Write(pixels.Slice(y * width, width));
            }
        Chunk(output, "IDAT", compressed.ToArray());
        Chunk(output, "IEND", []);
        return output.ToArray();
    }

    /// <summary>MNIST test image <paramref name="index"/> as a 28x28 PNG, and its label.</summary>
    public static (byte[] Png, int Label) MnistTestImage(int index)
    {
        var images = IdxFile.Read(MnistFiles.Find(Repo.MnistDirectory, MnistFiles.TestImages)
            ?? throw new FileNotFoundException($"No MNIST test images in {Repo.MnistDirectory}."));
        var labels = IdxFile.Read(MnistFiles.Find(Repo.MnistDirectory, MnistFiles.TestLabels)!);
        var set = MnistSet.From(images, labels);
        return (Grayscale(set.PixelsOf(index), MnistSet.Columns, MnistSet.Rows), set.Labels[index]);
    }

    private static void Chunk(Stream output, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        output.Write(length);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        var crc = Crc32(typeBytes, data);
        BinaryPrimitives.WriteUInt32BigEndian(length, crc);
        output.Write(length);
    }

    private static uint Crc32(byte[] type, byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in type.Concat(data))
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
