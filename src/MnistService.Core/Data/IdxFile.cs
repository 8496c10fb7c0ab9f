using System.Buffers.Binary;
using System.IO.Compression;

namespace MnistService.Core.Data;

/// <summary>An IDX array of unsigned bytes: its dimensions and its data, row-major.</summary>
public sealed record IdxArray(int[] Dimensions, byte[] Data)
{
    public int Count => Dimensions[0];
}

/// <summary>
/// The IDX format of the MNIST files: a big-endian header (two zero bytes, the element type
/// 0x08 = unsigned byte, the number of dimensions), each dimension as a 32-bit integer, then the
/// data. Files may be gzip-compressed; the gzip magic decides, not the file name.
/// </summary>
public static class IdxFile
{
    private const byte UnsignedByteType = 0x08;
    // No MNIST-like file comes near this; it stops a corrupt header from asking for gigabytes.
    private const long MaxElements = 1L << 31;

    public static IdxArray Read(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            return Read(file);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <exception cref="InvalidDataException">The stream is not a complete IDX array of unsigned bytes.</exception>
    public static IdxArray Read(Stream stream)
    {
        var input = IsGzip(ref stream) ? new GZipStream(stream, CompressionMode.Decompress) : stream;
        try
        {
            Span<byte> magic = stackalloc byte[4];
            ReadExactly(input, magic, "the header");
            if (magic[0] != 0 || magic[1] != 0)
            {
                throw new InvalidDataException($"Not an IDX file: the magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(magic):X8} does not start with two zero bytes.");
            }

            if (magic[2] != UnsignedByteType)
            {
                throw new InvalidDataException($"Unsupported IDX element type 0x{magic[2]:X2}; only unsigned bytes (0x08) are supported.");
            }

            int rank = magic[3];
            if (rank is < 1 or > 4)
            {
                throw new InvalidDataException($"Unsupported IDX rank {rank}; expected 1 to 4 dimensions.");
            }

            var dims = new int[rank];
            Span<byte> dim = stackalloc byte[4];
            long elements = 1;
            for (var i = 0; i < rank; i++)
            {
                ReadExactly(input, dim, $"dimension {i + 1} of the header");
                var size = BinaryPrimitives.ReadUInt32BigEndian(dim);
                elements *= size;
                if (size == 0 || elements > MaxElements)
                {
                    throw new InvalidDataException($"Implausible IDX dimension {size} (dimension {i + 1}).");
                }

                dims[i] = (int)size;
            }

            var data = new byte[elements];
            ReadExactly(input, data, $"the data ({elements:N0} bytes declared)");
            if (input.ReadByte() != -1)
            {
                throw new InvalidDataException($"The IDX data is longer than its header declares ({string.Join('x', dims)}).");
            }

            return new IdxArray(dims, data);
        }
        finally
        {
            if (input is GZipStream)
            {
                input.Dispose();
            }
        }
    }

    /// <summary>Writes an IDX array of unsigned bytes, gzip-compressed if asked.</summary>
    public static void Write(Stream stream, ReadOnlySpan<int> dimensions, ReadOnlySpan<byte> data, bool gzip = false)
    {
        long expected = 1;
        foreach (var d in dimensions)
        {
            expected *= d;
        }

        if (dimensions.Length is < 1 or > 4 || expected != data.Length)
        {
            throw new ArgumentException($"{data.Length} bytes do not fill the dimensions {string.Join('x', dimensions.ToArray())}.");
        }

        using var output = gzip ? new GZipStream(stream, CompressionLevel.Optimal, leaveOpen: true) : null;
        var target = (Stream?)output ?? stream;
        Span<byte> header = stackalloc byte[4 + 4 * dimensions.Length];
        header[2] = UnsignedByteType;
        header[3] = (byte)dimensions.Length;
        for (var i = 0; i < dimensions.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(header[(4 + 4 * i)..], dimensions[i]);
        }

        target.Write(header);
        target.Write(data);
    }

    public static void Write(string path, ReadOnlySpan<int> dimensions, ReadOnlySpan<byte> data, bool gzip = false)
    {
        using var file = File.Create(path);
        Write(file, dimensions, data, gzip);
    }

    private static bool IsGzip(ref Stream stream)
    {
        if (!stream.CanSeek)
        {
            // Peeking needs a seekable stream; MNIST files are small enough to hold in memory.
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }
        Span<byte> head = stackalloc byte[2];
        var start = stream.Position;
        var n = stream.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        stream.Position = start;
        return n == 2 && head[0] == 0x1f && head[1] == 0x8b;
    }

    private static void ReadExactly(Stream input, Span<byte> buffer, string what)
    {
        int read;
        try
        {
            read = input.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"The gzip stream is corrupt while reading {what}: {e.Message}", e);
        }
        if (read < buffer.Length)
        {
            throw new InvalidDataException($"The file is truncated: it ends after {read} of the {buffer.Length:N0} bytes of {what}.");
        }
    }
}
