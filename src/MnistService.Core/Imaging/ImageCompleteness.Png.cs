using System.Buffers.Binary;
using System.IO.Compression;

namespace MnistService.Core.Imaging;

// PNG's check: the chunks, and the pixel data inflated once to count it.
public static partial class ImageCompleteness
{
    /// <summary>Every chunk whole up to IEND, and the IDAT data inflating to all the rows the header promises.</summary>
    private static string? PngDamage(ReadOnlySpan<byte> png, CancellationToken cancellationToken)
    {
        const int signatureLength = 8;
        var expected = -1L;
        var idatLength = 0L;
        var offset = signatureLength;
        while (true)
        {
            if (offset + 12 > png.Length)
            {
                return "truncated: the data ends before its IEND chunk";
            }
            var length = BinaryPrimitives.ReadUInt32BigEndian(png[offset..]);
            var type = png.Slice(offset + 4, 4);
            if (length > png.Length - offset - 12)
            {
                return $"truncated: its {System.Text.Encoding.ASCII.GetString(type)} chunk is cut off";
            }
            if (type.SequenceEqual("IHDR"u8) && length == 13)
            {
                expected = PngRawLength(png.Slice(offset + 8, 13));
            }
            else if (type.SequenceEqual("IDAT"u8))
            {
                idatLength += length;
            }
            else if (type.SequenceEqual("IEND"u8))
            {
                break;
            }
            offset += 12 + (int)length;
        }
        if (expected < 0 || idatLength == 0 || idatLength > int.MaxValue)
        {
            return null; // no valid header or no pixel data: ImageSharp says so itself
        }

        var compressed = ImageBuffers.Rent((int)idatLength);
        var scratch = ImageBuffers.Rent(1 << 16);
        try
        {
            var filled = 0;
            for (offset = signatureLength; filled < idatLength;)
            {
                var length = (int)BinaryPrimitives.ReadUInt32BigEndian(png[offset..]);
                if (png.Slice(offset + 4, 4).SequenceEqual("IDAT"u8))
                {
                    png.Slice(offset + 8, length).CopyTo(compressed.AsSpan(filled));
                    filled += length;
                }
                offset += 12 + length;
            }
            using var zlib = new ZLibStream(new MemoryStream(compressed, 0, filled, writable: false), CompressionMode.Decompress);
            var inflated = 0L;
            while (inflated < expected)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var read = zlib.Read(scratch, 0, (int)Math.Min(scratch.Length, expected - inflated));
                if (read == 0)
                {
                    return $"truncated: its pixel data ends after {inflated:N0} of {expected:N0} bytes";
                }
                inflated += read;
            }
            return null;
        }
        catch (Exception e) when (e is InvalidDataException or IOException) // IOException: ZLibException, e.g. a preset dictionary asked for
        {
            return "damaged: its compressed pixel data is invalid";
        }
        finally
        {
            ImageBuffers.Return(scratch);
            ImageBuffers.Return(compressed);
        }
    }

    /// <summary>Bytes of filtered rows (a filter byte each) the IHDR promises, Adam7 passes included; -1 when it is invalid.</summary>
    private static long PngRawLength(ReadOnlySpan<byte> header)
    {
        long width = BinaryPrimitives.ReadUInt32BigEndian(header), height = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        int depth = header[8], color = header[9], interlace = header[12];
        var channels = color switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
        var validDepth = color switch
        {
            0 => depth is 1 or 2 or 4 or 8 or 16,
            3 => depth is 1 or 2 or 4 or 8,
            _ => depth is 8 or 16,
        };
        if (channels == 0 || !validDepth || width is 0 or > int.MaxValue || height is 0 or > int.MaxValue || interlace > 1)
        {
            return -1;
        }
        var bitsPerPixel = channels * depth;
        long Rows(long w, long h) => w == 0 || h == 0 ? 0 : h * ((w * bitsPerPixel + 7) / 8 + 1);
        if (interlace == 0)
        {
            return Rows(width, height);
        }
        // Adam7: seven reduced images, from every 8th pixel of every 8th row to every odd row.
        ReadOnlySpan<int> passes = [0, 0, 8, 8, 4, 0, 8, 8, 0, 4, 4, 8, 2, 0, 4, 4, 0, 2, 2, 4, 1, 0, 2, 2, 0, 1, 1, 2];
        var total = 0L;
        for (var p = 0; p < passes.Length; p += 4)
        {
            int x0 = passes[p], y0 = passes[p + 1], dx = passes[p + 2], dy = passes[p + 3];
            total += Rows(width > x0 ? (width - x0 + dx - 1) / dx : 0, height > y0 ? (height - y0 + dy - 1) / dy : 0);
        }
        return total;
    }
}
