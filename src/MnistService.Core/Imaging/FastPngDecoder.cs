using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MnistService.Core.Imaging;

/// <summary>
/// The service's PNG decoder, straight into luminance and alpha. It inflates with .NET's zlib and undoes the PNG
/// filters itself. Common PNGs (8-bit gray, gray+alpha, RGB, RGBA and palette, not interlaced) take a fast path
/// several times faster than a general decoder; every other valid PNG (1- to 16-bit samples, Adam7 interlacing,
/// colour-key transparency) is decoded row by row (<see cref="DecodeRows"/>), holding two rows of samples rather
/// than the whole image. ImageSharp 2.1.13 is thus never given an interlaced PNG, on whose damaged data it can loop
/// without end. Damaged or odd files return false; the caller reports them. Tests check the pixels are identical to
/// ImageSharp's.
/// </summary>
public static partial class FastPngDecoder
{
    private const int SignatureLength = 8;

    /// <summary>Width and height from the IHDR chunk, without decoding anything.</summary>
    public static bool TryReadSize(ReadOnlySpan<byte> png, out int width, out int height)
    {
        width = height = 0;
        if (png.Length < SignatureLength + 8 + 13 || !png[12..16].SequenceEqual("IHDR"u8))
        {
            return false;
        }
        var w = BinaryPrimitives.ReadUInt32BigEndian(png[16..]);
        var h = BinaryPrimitives.ReadUInt32BigEndian(png[20..]);
        if (w is 0 or > int.MaxValue || h is 0 or > int.MaxValue)
        {
            return false;
        }
        (width, height) = ((int)w, (int)h);
        return true;
    }

    public static bool TryDecode(ReadOnlySpan<byte> png, out GrayImage? image)
    {
        image = null;
        if (!TryReadSize(png, out var width, out var height))
        {
            return false;
        }
        var header = png[(SignatureLength + 8)..];
        byte bitDepth = header[8], colorType = header[9], compression = header[10], filter = header[11], interlace = header[12];
        var channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
        var validDepth = colorType switch
        {
            0 => bitDepth is 1 or 2 or 4 or 8 or 16,
            3 => bitDepth is 1 or 2 or 4 or 8,
            _ => bitDepth is 8 or 16,
        };
        if (!validDepth || channels == 0 || compression != 0 || filter != 0 || interlace > 1 || (long)width * height > int.MaxValue / 4)
        {
            return false;
        }

        // Walk the chunks: gather IDAT, the palette and the transparency (palette alphas or a colour key).
        Span<byte> paletteGray = stackalloc byte[256];
        Span<byte> paletteAlpha = stackalloc byte[256];
        paletteAlpha.Fill(255);
        var paletteCount = 0;
        var idatLength = 0;
        var hasTransparency = false;
        Span<int> colorKey = [-1, -1, -1]; // gray, or red, green and blue, as stored; -1: none
        var offset = SignatureLength;
        while (true)
        {
            if (offset + 12 > png.Length)
            {
                return false;
            }
            var length = BinaryPrimitives.ReadUInt32BigEndian(png[offset..]);
            if (length > png.Length - offset - 12)
            {
                return false;
            }
            var type = png.Slice(offset + 4, 4);
            var data = png.Slice(offset + 8, (int)length);
            if (type.SequenceEqual("IDAT"u8))
            {
                idatLength += data.Length;
            }
            else if (type.SequenceEqual("PLTE"u8))
            {
                if (data.Length % 3 != 0 || data.Length > 768)
                {
                    return false;
                }
                paletteCount = data.Length / 3;
                for (var i = 0; i < paletteCount; i++)
                {
                    paletteGray[i] = GrayImage.Luma(data[3 * i], data[3 * i + 1], data[3 * i + 2]);
                }
            }
            else if (type.SequenceEqual("tRNS"u8))
            {
                if (colorType == 3 && data.Length <= 256)
                {
                    data.CopyTo(paletteAlpha);
                }
                else if (colorType == 0 && data.Length >= 2)
                {
                    colorKey[0] = BinaryPrimitives.ReadUInt16BigEndian(data);
                }
                else if (colorType == 2 && data.Length >= 6)
                {
                    for (var c = 0; c < 3; c++)
                    {
                        colorKey[c] = BinaryPrimitives.ReadUInt16BigEndian(data[(2 * c)..]);
                    }
                }
                else
                {
                    return false; // not a transparency this colour type can have: left to the caller
                }
                hasTransparency = true;
            }
            else if (type.SequenceEqual("IEND"u8))
            {
                break;
            }
            else if ((type[0] & 0x20) == 0 && !type.SequenceEqual("IHDR"u8))
            {
                return false; // an unknown critical chunk
            }
            offset += 12 + (int)length;
        }
        if (idatLength == 0 || (colorType == 3 && paletteCount == 0))
        {
            return false;
        }
        if (bitDepth != 8 || interlace != 0 || colorKey[0] >= 0)
        {
            var format = new RowFormat(width, height, colorType, bitDepth, interlace == 1, colorKey[0], colorKey[1], colorKey[2]);
            return DecodeRows(png, idatLength, format, paletteGray, paletteAlpha, paletteCount, hasTransparency, out image);
        }

        var stride = width * channels;
        var rawLength = (long)(stride + 1) * height;
        if (rawLength > int.MaxValue)
        {
            return false;
        }
        var compressed = ConcatenateImageData(png, idatLength);
        var raw = ImageBuffers.Rent((int)rawLength);
        GrayImage? result = null;
        try
        {
            if (!Inflate(compressed, idatLength, raw.AsSpan(0, (int)rawLength)))
            {
                return false;
            }

            var withAlpha = colorType is 4 or 6 || hasTransparency;
            result = GrayImage.Rent(width, height, withAlpha);
            var bpp = channels;
            var previous = Span<byte>.Empty;
            var gray = result.Gray;
            var alpha = result.Alpha;
            var alphaMin = (byte)255;
            var unfilteredAhead = 0; // rows already unfiltered together with an earlier one
            for (var y = 0; y < height; y++)
            {
                var line = raw.AsSpan(y * (stride + 1), stride + 1);
                var row = line[1..];
                if (unfilteredAhead > 0)
                {
                    unfilteredAhead--;
                }
                else
                {
                    var rows = PngFilters.Unfilter(raw, y, height, stride, previous, bpp);
                    if (rows == 0)
                    {
                        return false;
                    }
                    unfilteredAhead = rows - 1;
                }
                previous = row;
                var g = gray.Slice(y * width, width);
                var a = withAlpha ? alpha.Slice(y * width, width) : default;
                switch (colorType)
                {
                    case 0:
                        row.CopyTo(g);
                        break;
                    case 2:
                        RgbToGray(row, g);
                        break;
                    case 3:
                        for (var x = 0; x < width; x++)
                        {
                            var index = row[x];
                            if (index >= paletteCount)
                            {
                                return false;
                            }
                            g[x] = paletteGray[index];
                            if (withAlpha)
                            {
                                a[x] = paletteAlpha[index];
                                alphaMin = Math.Min(alphaMin, a[x]);
                            }
                        }
                        break;
                    case 4:
                        for (int x = 0, i = 0; x < width; x++, i += 2)
                        {
                            g[x] = row[i];
                            a[x] = row[i + 1];
                            alphaMin = Math.Min(alphaMin, a[x]);
                        }
                        break;
                    case 6:
                        alphaMin = Math.Min(alphaMin, RgbaToGrayAlpha(row, g, a));
                        break;
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
        finally
        {
            result?.Dispose();
            ImageBuffers.Return(compressed);
            ImageBuffers.Return(raw);
        }
    }

    private static unsafe void RgbToGray(ReadOnlySpan<byte> row, Span<byte> gray)
    {
        var n = gray.Length;
        fixed (byte* s = row)
        fixed (byte* g = gray)
        {
            var x = 0;
            if (Avx2.IsSupported)
            {
                // 32 pixels at a time: 4 pixels (12 bytes) per 128-bit lane, spread to r, g, b, 0 by a shuffle,
                // then the RGBA luma. The last load of a block ends 4 bytes past its pixels, hence the margin.
                var spread = Vector256.Create((byte)0, 1, 2, 0x80, 3, 4, 5, 0x80, 6, 7, 8, 0x80, 9, 10, 11, 0x80,
                    0, 1, 2, 0x80, 3, 4, 5, 0x80, 6, 7, 8, 0x80, 9, 10, 11, 0x80);
                var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
                for (; x + 34 <= n; x += 32)
                {
                    var p = s + 3 * x;
                    var luma = Pack(
                        Luma(Avx2.Shuffle(Vector256.Create(Vector128.Load(p), Vector128.Load(p + 12)), spread)),
                        Luma(Avx2.Shuffle(Vector256.Create(Vector128.Load(p + 24), Vector128.Load(p + 36)), spread)),
                        Luma(Avx2.Shuffle(Vector256.Create(Vector128.Load(p + 48), Vector128.Load(p + 60)), spread)),
                        Luma(Avx2.Shuffle(Vector256.Create(Vector128.Load(p + 72), Vector128.Load(p + 84)), spread)),
                        order);
                    luma.Store(g + x);
                }
            }
            for (var i = 3 * x; x < n; x++, i += 3)
            {
                g[x] = (byte)((54 * s[i] + 183 * s[i + 1] + 19 * s[i + 2] + 128) >> 8); // GrayImage.Luma
            }
        }
    }

    private static unsafe byte RgbaToGrayAlpha(ReadOnlySpan<byte> row, Span<byte> gray, Span<byte> alpha)
    {
        var min = 255;
        var n = gray.Length;
        fixed (byte* s = row)
        fixed (byte* g = gray)
        fixed (byte* a = alpha)
        {
            var x = 0;
            if (Avx2.IsSupported)
            {
                // 32 pixels at a time. Luma with pmaddubsw, whose weights are signed bytes: 183 does not fit,
                // so g takes 55 there and the other 128·g is added as a shift; the sum stays below 2^16.
                var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7); // undoes the packs' interleaving of 128-bit lanes
                var alphaLow = Vector256.Create((byte)255);
                for (; x + 32 <= n; x += 32)
                {
                    var p0 = Vector256.Load(s + 4 * x);
                    var p1 = Vector256.Load(s + 4 * x + 32);
                    var p2 = Vector256.Load(s + 4 * x + 64);
                    var p3 = Vector256.Load(s + 4 * x + 96);
                    if (((p0 | p1) | (p2 | p3)) == Vector256<byte>.Zero)
                    {
                        // Transparent black, most of a canvas: gray 0, alpha 0.
                        Vector256<byte>.Zero.Store(g + x);
                        Vector256<byte>.Zero.Store(a + x);
                        alphaLow = Vector256<byte>.Zero;
                        continue;
                    }
                    var luma = Pack(Luma(p0), Luma(p1), Luma(p2), Luma(p3), order);
                    var opacity = Pack(p0.AsInt32() >>> 24, p1.AsInt32() >>> 24, p2.AsInt32() >>> 24, p3.AsInt32() >>> 24, order);
                    luma.Store(g + x);
                    opacity.Store(a + x);
                    alphaLow = Vector256.Min(alphaLow, opacity);
                }
                min = Math.Min(min, Lowest(alphaLow));
            }
            if (Vector256.IsHardwareAccelerated)
            {
                // 8 pixels at a time, one per 32-bit lane: the same fixed-point luma, then narrowed to bytes.
                var mask = Vector256.Create(0xFFu);
                var alphaMin = Vector256.Create(255u);
                for (; x + 8 <= n; x += 8)
                {
                    var p = Vector256.Load((uint*)(s + 4 * x));
                    var luma = ((p & mask) * 54u + ((p >> 8) & mask) * 183u + ((p >> 16) & mask) * 19u + Vector256.Create(128u)) >> 8;
                    var opacity = p >> 24;
                    alphaMin = Vector256.Min(alphaMin, opacity);
                    // Narrow keeps element order: words 0-7 luma, 8-15 alpha; then bytes 0-7 luma, 8-15 alpha.
                    var words = Vector256.Narrow(luma, opacity);
                    var bytes = Vector256.Narrow(words, words).GetLower().AsUInt64();
                    Unsafe.WriteUnaligned(g + x, bytes.GetElement(0));
                    Unsafe.WriteUnaligned(a + x, bytes.GetElement(1));
                }
                for (var k = 0; k < 8; k++)
                {
                    min = Math.Min(min, (int)alphaMin.GetElement(k));
                }
            }
            for (var i = 4 * x; x < n; x++, i += 4)
            {
                g[x] = (byte)((54 * s[i] + 183 * s[i + 1] + 19 * s[i + 2] + 128) >> 8); // GrayImage.Luma
                int value = s[i + 3];
                a[x] = (byte)value;
                min = Math.Min(min, value);
            }
        }
        return (byte)min;
    }

    /// <summary>GrayImage.Luma of 8 RGBA pixels, one per 32-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Luma(Vector256<byte> pixels)
    {
        var weights = Vector256.Create(0x00_13_37_36).AsSByte(); // 54, 55, 19, 0 for r, g, b, a
        var sum = Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(pixels, weights), Vector256.Create((short)1)); // 54r + 55g + 19b
        return (sum + ((pixels.AsInt32() >>> 1) & Vector256.Create(0x7F80)) + Vector256.Create(128)) >>> 8; // + 128g, rounded
    }

    /// <summary>Four vectors of 8 values below 256 (pixels 0-31 in order) to 32 bytes in the same order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Pack(Vector256<int> v0, Vector256<int> v1, Vector256<int> v2, Vector256<int> v3, Vector256<int> order)
    {
        var bytes = Avx2.PackUnsignedSaturate(Avx2.PackSignedSaturate(v0, v1), Avx2.PackSignedSaturate(v2, v3));
        return Avx2.PermuteVar8x32(bytes.AsInt32(), order).AsByte();
    }

    private static byte Lowest(Vector256<byte> values)
    {
        var lowest = values.GetLower();
        lowest = Vector128.Min(lowest, values.GetUpper());
        var result = (byte)255;
        for (var i = 0; i < 16; i++)
        {
            result = Math.Min(result, lowest.GetElement(i));
        }
        return result;
    }

    private static bool Inflate(byte[] compressed, int length, Span<byte> output)
    {
        try
        {
            using var source = new MemoryStream(compressed, 0, length, writable: false);
            using var zlib = new ZLibStream(source, CompressionMode.Decompress);
            zlib.ReadExactly(output);
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or IOException) // IOException: ZLibException too (a stream asking for a preset dictionary), and EndOfStreamException
        {
            return false;
        }
    }
}
