using System.Buffers.Binary;
using System.IO.Compression;

namespace MnistService.Core.Imaging;

// The general path: any bit depth, Adam7 interlacing, colour keys; one row of samples at a time. And the IDAT gathering both paths share.
public static partial class FastPngDecoder
{
    /// <summary>What the rows hold: size, colour type, bits per sample, interlacing, and the colour key (-1: none).</summary>
    private readonly record struct RowFormat(int Width, int Height, byte ColorType, byte BitDepth, bool Interlaced, int KeyGray, int KeyGreen, int KeyBlue);

    // Adam7's seven passes: first column, first row, column step, row step.
    private static ReadOnlySpan<byte> Adam7 => [0, 0, 8, 8, 4, 0, 8, 8, 0, 4, 4, 8, 2, 0, 4, 4, 0, 2, 2, 4, 1, 0, 2, 2, 0, 1, 1, 2];

    /// <summary>
    /// Inflates the image data a row at a time (two rows of samples held, not the image), unfilters each row and
    /// writes its pixels, pass by pass for an interlaced image, converted the way ImageSharp converts them: 16-bit
    /// samples rounded to 8 bits, 1-, 2- and 4-bit gray scaled to 0-255, a pixel equal to the colour key transparent.
    /// The data must inflate to exactly the rows the header promises, or the image is refused.
    /// </summary>
    private static bool DecodeRows(ReadOnlySpan<byte> png, int idatLength, RowFormat format, ReadOnlySpan<byte> paletteGray,
        ReadOnlySpan<byte> paletteAlpha, int paletteCount, bool hasTransparency, out GrayImage? image)
    {
        image = null;
        var (width, height, colorType) = (format.Width, format.Height, format.ColorType);
        var channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        var bitsPerPixel = channels * format.BitDepth;
        var bpp = Math.Max(1, bitsPerPixel / 8); // the filters' distance to the corresponding byte on the left
        var fullRow = (int)(((long)width * bitsPerPixel + 7) / 8);
        var compressed = ConcatenateImageData(png, idatLength);
        var current = ImageBuffers.Rent(fullRow + 1);
        var previous = ImageBuffers.Rent(fullRow + 1);
        var withAlpha = colorType is 4 or 6 || hasTransparency;
        var result = GrayImage.Rent(width, height, withAlpha);
        try
        {
            using var zlib = new ZLibStream(new MemoryStream(compressed, 0, idatLength, writable: false), CompressionMode.Decompress);
            var gray = result.Gray;
            var alpha = result.Alpha;
            var alphaMin = 255;
            var passes = format.Interlaced ? Adam7 : [0, 0, 1, 1];
            for (var p = 0; p < passes.Length; p += 4)
            {
                int x0 = passes[p], y0 = passes[p + 1], dx = passes[p + 2], dy = passes[p + 3];
                var passWidth = width > x0 ? (width - x0 + dx - 1) / dx : 0;
                var passHeight = height > y0 ? (height - y0 + dy - 1) / dy : 0;
                if (passWidth == 0 || passHeight == 0)
                {
                    continue; // an empty pass has no rows, not even filter bytes
                }
                var rowBytes = (int)(((long)passWidth * bitsPerPixel + 7) / 8);
                for (var r = 0; r < passHeight; r++)
                {
                    var line = current.AsSpan(0, rowBytes + 1);
                    zlib.ReadExactly(line);
                    var row = line[1..];
                    if (!PngFilters.Unfilter(line[0], row, r == 0 ? default : previous.AsSpan(1, rowBytes), bpp))
                    {
                        return false;
                    }
                    var start = (y0 + r * dy) * width + x0;
                    for (var i = 0; i < passWidth; i++)
                    {
                        int g, a = 255;
                        switch (colorType)
                        {
                            case 0:
                            {
                                var v = Sample(row, i, format.BitDepth);
                                g = To8Bits(v, format.BitDepth);
                                a = v == format.KeyGray ? 0 : 255;
                                break;
                            }
                            case 2:
                            {
                                int rv = Sample(row, 3 * i, format.BitDepth), gv = Sample(row, 3 * i + 1, format.BitDepth), bv = Sample(row, 3 * i + 2, format.BitDepth);
                                g = GrayImage.Luma(To8Bits(rv, format.BitDepth), To8Bits(gv, format.BitDepth), To8Bits(bv, format.BitDepth));
                                a = rv == format.KeyGray && gv == format.KeyGreen && bv == format.KeyBlue ? 0 : 255;
                                break;
                            }
                            case 3:
                            {
                                var index = Sample(row, i, format.BitDepth);
                                if (index >= paletteCount)
                                {
                                    return false;
                                }
                                g = paletteGray[index];
                                a = paletteAlpha[index];
                                break;
                            }
                            case 4:
                                g = To8Bits(Sample(row, 2 * i, format.BitDepth), format.BitDepth);
                                a = To8Bits(Sample(row, 2 * i + 1, format.BitDepth), format.BitDepth);
                                break;
                            default:
                                g = GrayImage.Luma(To8Bits(Sample(row, 4 * i, format.BitDepth), format.BitDepth),
                                    To8Bits(Sample(row, 4 * i + 1, format.BitDepth), format.BitDepth), To8Bits(Sample(row, 4 * i + 2, format.BitDepth), format.BitDepth));
                                a = To8Bits(Sample(row, 4 * i + 3, format.BitDepth), format.BitDepth);
                                break;
                        }
                        gray[start + i * dx] = (byte)g;
                        if (withAlpha)
                        {
                            alpha[start + i * dx] = (byte)a;
                            alphaMin = Math.Min(alphaMin, a);
                        }
                    }
                    (current, previous) = (previous, current);
                }
            }
            if (alphaMin == 255)
            {
                result.DropAlpha();
            }
            image = result;
            result = null;
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or IOException) // IOException: ZLibException too (a stream asking for a preset dictionary), and EndOfStreamException
        {
            return false; // damaged, or fewer rows than the header promises
        }
        finally
        {
            result?.Dispose();
            ImageBuffers.Return(compressed);
            ImageBuffers.Return(current);
            ImageBuffers.Return(previous);
        }
    }

    /// <summary>The IDAT payloads, concatenated into a rented buffer (cheap next to inflating them); the chunks were checked whole.</summary>
    private static byte[] ConcatenateImageData(ReadOnlySpan<byte> png, int idatLength)
    {
        var compressed = ImageBuffers.Rent(idatLength);
        var filled = 0;
        for (var offset = SignatureLength; filled < idatLength;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(png[offset..]);
            if (png.Slice(offset + 4, 4).SequenceEqual("IDAT"u8))
            {
                png.Slice(offset + 8, length).CopyTo(compressed.AsSpan(filled));
                filled += length;
            }
            offset += 12 + length;
        }
        return compressed;
    }

    /// <summary>Sample <paramref name="index"/> of a row of <paramref name="depth"/>-bit samples (big-endian, packed from the high bits).</summary>
    private static int Sample(ReadOnlySpan<byte> row, int index, int depth) => depth switch
    {
        8 => row[index],
        16 => row[2 * index] << 8 | row[2 * index + 1],
        _ => (row[index * depth / 8] >> (8 - depth - index * depth % 8)) & ((1 << depth) - 1),
    };

    /// <summary>A sample as 8 bits, as ImageSharp does it: 16-bit rounded, low depths scaled so that the top value is 255.</summary>
    private static byte To8Bits(int sample, int depth) => depth switch
    {
        8 => (byte)sample,
        16 => (byte)((sample * 255 + 32895) >> 16),
        _ => (byte)(sample * (255 / ((1 << depth) - 1))),
    };
}
