using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MnistService.Api.Imaging;

/// <summary>
/// A PNG decoder for the common cases (8-bit gray, gray+alpha, RGB, RGBA and palette, not interlaced),
/// straight into luminance and alpha. It inflates with .NET's zlib and undoes the PNG filters itself,
/// several times faster than a general decoder. Anything else (16-bit, low bit depths, interlacing,
/// tRNS colour keys, damage) returns false, and the caller falls back to ImageSharp, which then also
/// decides how to report a broken file. Tests check it is pixel-identical to ImageSharp.
/// </summary>
public static class FastPngDecoder
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
        if (bitDepth != 8 || channels == 0 || compression != 0 || filter != 0 || interlace != 0 || (long)width * height > int.MaxValue / 4)
        {
            return false;
        }

        // Walk the chunks: gather IDAT, the palette and its transparency.
        Span<byte> paletteGray = stackalloc byte[256];
        Span<byte> paletteAlpha = stackalloc byte[256];
        paletteAlpha.Fill(255);
        var paletteCount = 0;
        var idatLength = 0;
        var hasTransparency = false;
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
                if (colorType != 3 || data.Length > 256)
                {
                    return false; // colour-key transparency: rare, left to ImageSharp
                }
                data.CopyTo(paletteAlpha);
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

        var stride = width * channels;
        var rawLength = (long)(stride + 1) * height;
        if (rawLength > int.MaxValue)
        {
            return false;
        }
        var compressed = ArrayPool<byte>.Shared.Rent(idatLength);
        var raw = ArrayPool<byte>.Shared.Rent((int)rawLength);
        GrayImage? result = null;
        try
        {
            // Concatenate the IDAT payloads (cheap next to inflating them).
            var filled = 0;
            offset = SignatureLength;
            while (filled < idatLength)
            {
                var length = (int)BinaryPrimitives.ReadUInt32BigEndian(png[offset..]);
                if (png.Slice(offset + 4, 4).SequenceEqual("IDAT"u8))
                {
                    png.Slice(offset + 8, length).CopyTo(compressed.AsSpan(filled));
                    filled += length;
                }
                offset += 12 + length;
            }
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
                else if (bpp == 4 && !previous.IsEmpty && Vector128.IsHardwareAccelerated && PaethRows(raw, y, height, stride) is var rows and >= 2)
                {
                    // Paeth rows several at once: their dependency chains interleave, so the core is busy more often.
                    if (rows == 4)
                    {
                        UnfilterPaethRgbaQuad(raw, y * (stride + 1) + 1, stride, previous);
                    }
                    else
                    {
                        UnfilterPaethRgbaPair(row, raw.AsSpan((y + 1) * (stride + 1) + 1, stride), previous);
                    }
                    unfilteredAhead = rows - 1;
                }
                else if (!Unfilter(line[0], row, previous, bpp))
                {
                    return false;
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
            ArrayPool<byte>.Shared.Return(compressed);
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    private static unsafe void RgbToGray(ReadOnlySpan<byte> row, Span<byte> gray)
    {
        fixed (byte* s = row)
        fixed (byte* g = gray)
        {
            for (int x = 0, i = 0; x < gray.Length; x++, i += 3)
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
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            return false;
        }
    }

    /// <summary>Undoes one scanline's filter in place (PNG specification, section 9).</summary>
    internal static unsafe bool Unfilter(byte filter, Span<byte> row, ReadOnlySpan<byte> previous, int bpp)
    {
        if (filter > 4)
        {
            return false;
        }
        if (filter == 0 || row.IsEmpty)
        {
            return true;
        }
        var n = row.Length;
        fixed (byte* x = row)
        fixed (byte* up = previous)
        {
            var b = previous.IsEmpty ? null : up; // the row above; absent (all zero) for the first row
            switch (filter)
            {
                case 1: // Sub: x + a
                    for (var i = bpp; i < n; i++)
                    {
                        x[i] += x[i - bpp];
                    }
                    break;
                case 2: // Up: x + b
                    if (b is not null)
                    {
                        AddInPlace(row, previous);
                    }
                    break;
                case 3: // Average: x + floor((a + b) / 2)
                    if (b is null)
                    {
                        for (var i = bpp; i < n; i++)
                        {
                            x[i] += (byte)(x[i - bpp] >> 1);
                        }
                    }
                    else
                    {
                        for (var i = 0; i < bpp; i++)
                        {
                            x[i] += (byte)(b[i] >> 1);
                        }
                        for (var i = bpp; i < n; i++)
                        {
                            x[i] += (byte)((x[i - bpp] + b[i]) >> 1);
                        }
                    }
                    break;
                case 4: // Paeth: x + the neighbour (a, b or c) closest to a + b - c
                    if (b is null)
                    {
                        for (var i = bpp; i < n; i++)
                        {
                            x[i] += x[i - bpp]; // Paeth(a, 0, 0) = a
                        }
                    }
                    else
                    {
                        for (var i = 0; i < bpp; i++)
                        {
                            x[i] += b[i]; // Paeth(0, b, 0) = b
                        }
                        if (bpp == 4 && Vector128.IsHardwareAccelerated)
                        {
                            PaethRgba(x, b, n);
                        }
                        else
                        {
                            for (var i = bpp; i < n; i++)
                            {
                                x[i] += Paeth(x[i - bpp], b[i], b[i - bpp]);
                            }
                        }
                    }
                    break;
            }
        }
        return true;
    }

    private static void AddInPlace(Span<byte> row, ReadOnlySpan<byte> previous)
    {
        var i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            var width = System.Numerics.Vector<byte>.Count;
            for (; i + width <= row.Length; i += width)
            {
                var sum = new System.Numerics.Vector<byte>(row[i..]) + new System.Numerics.Vector<byte>(previous[i..]);
                sum.CopyTo(row[i..]);
            }
        }
        for (; i < row.Length; i++)
        {
            row[i] += previous[i];
        }
    }

    /// <summary>
    /// Paeth for 4-byte pixels, the four channels of a pixel at once in 16-bit lanes: the filter is
    /// sequential along the row, but its channels are independent. Same arithmetic as <see cref="Paeth"/>.
    /// </summary>
    private static unsafe void PaethRgba(byte* x, byte* b, int n)
    {
        var a = Widen(x); // the pixel to the left, already unfiltered
        var c = Widen(b);
        for (var i = 4; i + 4 <= n; i += 4)
        {
            // Runs of empty pixels (a drawing's transparent background) stay empty: Paeth(0, 0, 0) + 0 = 0.
            // Skipping them is exact and makes canvas images several times cheaper to unfilter.
            if (Unsafe.ReadUnaligned<uint>(x + i) == 0 && Unsafe.ReadUnaligned<uint>(b + i) == 0 && a == Vector128<short>.Zero)
            {
                var run = ZeroRun(x + i, b + i, n - i) & ~3;
                i += run;
                if (i + 4 > n)
                {
                    break;
                }
                c = Vector128<short>.Zero; // the pixel above the run's last pixel
            }
            var up = Widen(b + i);
            var value = PaethAdd(Widen(x + i), a, up, c);
            Unsafe.WriteUnaligned(x + i, Vector128.Narrow(value, value).AsUInt32().ToScalar());
            a = value;
            c = up;
        }
    }

    /// <summary>How many rows from <paramref name="y"/> on (at most 4, 3 counted as 2) use the Paeth filter.</summary>
    private static int PaethRows(byte[] raw, int y, int height, int stride)
    {
        var count = 0;
        while (count < 4 && y + count < height && raw[(y + count) * (stride + 1)] == 4)
        {
            count++;
        }
        return count == 3 ? 2 : count;
    }

    /// <summary>
    /// Paeth-unfilters four consecutive 4-byte-pixel rows (starting at <paramref name="start"/> in
    /// <paramref name="raw"/>, each preceded by its filter byte) below the finished row <paramref name="above"/>.
    /// Row k runs k pixels behind the first, so at each step the four pixels depend only on earlier steps:
    /// four dependency chains side by side. Same results as one row after the other.
    /// </summary>
    private static unsafe void UnfilterPaethRgbaQuad(byte[] raw, int start, int stride, ReadOnlySpan<byte> above)
    {
        var pixels = stride / 4;
        fixed (byte* first = &raw[start])
        fixed (byte* b = above)
        {
            byte* x1 = first, x2 = first + stride + 1, x3 = x2 + stride + 1, x4 = x3 + stride + 1;
            // The first steps, where the later rows have not started yet (pixel p - k < 0).
            var p = 0;
            for (; p < Math.Min(3, pixels); p++)
            {
                QuadStepGuarded(p, pixels, b, x1, x2, x3, x4);
            }
            if (pixels > 3)
            {
                // Before step p: a_k = row k's pixel p - k (k from 1), c_k = the pixel above that one.
                Vector128<short> a1 = Pixel(x1, p - 1), a2 = Pixel(x2, p - 2), a3 = Pixel(x3, p - 3), a4 = Pixel(x4, p - 4);
                Vector128<short> c1 = Pixel(b, p - 1), c2 = Pixel(x1, p - 2), c3 = Pixel(x2, p - 3), c4 = Pixel(x3, p - 4);
                for (; p < pixels; p++)
                {
                    var i = 4 * p;
                    // All four rows empty here (a transparent background): they stay empty, whatever c is.
                    if (((a1 | a2) | (a3 | a4)) == Vector128<short>.Zero
                        && (Unsafe.ReadUnaligned<uint>(x1 + i) | Unsafe.ReadUnaligned<uint>(b + i) | Unsafe.ReadUnaligned<uint>(x2 + i - 4)
                            | Unsafe.ReadUnaligned<uint>(x3 + i - 8) | Unsafe.ReadUnaligned<uint>(x4 + i - 12)) == 0)
                    {
                        p += ZeroRun(x1 + i, b + i, x2 + i - 4, x3 + i - 8, x4 + i - 12, 4 * (pixels - p)) / 4;
                        if (p >= pixels)
                        {
                            break;
                        }
                        // The run's pixels are zero; the state is read back from the rows.
                        (a1, a2, a3, a4) = (Pixel(x1, p - 1), Pixel(x2, p - 2), Pixel(x3, p - 3), Pixel(x4, p - 4));
                        (c1, c2, c3, c4) = (Pixel(b, p - 1), Pixel(x1, p - 2), Pixel(x2, p - 3), Pixel(x3, p - 4));
                        i = 4 * p;
                    }
                    var up = Widen(b + i);
                    var next1 = PaethAdd(Widen(x1 + i), a1, up, c1);
                    var next2 = PaethAdd(Widen(x2 + i - 4), a2, a1, c2);
                    var next3 = PaethAdd(Widen(x3 + i - 8), a3, a2, c3);
                    var next4 = PaethAdd(Widen(x4 + i - 12), a4, a3, c4);
                    Unsafe.WriteUnaligned(x1 + i, PackPixel(next1));
                    Unsafe.WriteUnaligned(x2 + i - 4, PackPixel(next2));
                    Unsafe.WriteUnaligned(x3 + i - 8, PackPixel(next3));
                    Unsafe.WriteUnaligned(x4 + i - 12, PackPixel(next4));
                    (c1, c2, c3, c4) = (up, a1, a2, a3);
                    (a1, a2, a3, a4) = (next1, next2, next3, next4);
                }
            }
            // The last steps, where the earlier rows are done.
            for (p = pixels; p < pixels + 3; p++)
            {
                QuadStepGuarded(p, pixels, b, x1, x2, x3, x4);
            }
        }
    }

    /// <summary>One step of <see cref="UnfilterPaethRgbaQuad"/> for the rows whose pixel p - k exists, state read from memory.</summary>
    private static unsafe void QuadStepGuarded(int p, int pixels, byte* above, byte* x1, byte* x2, byte* x3, byte* x4)
    {
        Span<nint> rows = [(nint)above, (nint)x1, (nint)x2, (nint)x3, (nint)x4];
        for (var k = 1; k <= 4; k++)
        {
            var q = p - (k - 1);
            if (q < 0 || q >= pixels)
            {
                continue;
            }
            byte* row = (byte*)rows[k], up = (byte*)rows[k - 1];
            var value = PaethAdd(Widen(row + 4 * q), Pixel(row, q - 1), Widen(up + 4 * q), Pixel(up, q - 1));
            Unsafe.WriteUnaligned(row + 4 * q, PackPixel(value));
        }
    }

    /// <summary>Pixel <paramref name="index"/> of a row in 16-bit lanes; zero left of the row (PNG's rule).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector128<short> Pixel(byte* row, int index) => index >= 0 ? Widen(row + 4 * index) : Vector128<short>.Zero;

    /// <summary>How many bytes from the start are zero in all five rows.</summary>
    private static unsafe int ZeroRun(byte* r1, byte* r2, byte* r3, byte* r4, byte* r5, int length)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= length; i += 32)
            {
                if ((Vector256.Load(r1 + i) | Vector256.Load(r2 + i) | Vector256.Load(r3 + i) | Vector256.Load(r4 + i) | Vector256.Load(r5 + i)) != Vector256<byte>.Zero)
                {
                    break;
                }
            }
        }
        while (i < length && (r1[i] | r2[i] | r3[i] | r4[i] | r5[i]) == 0)
        {
            i++;
        }
        return i;
    }

    /// <summary>
    /// Paeth-unfilters two consecutive 4-byte-pixel rows, <paramref name="first"/> below the finished row
    /// <paramref name="above"/> and <paramref name="second"/> below it, the second one pixel behind the
    /// first: pixel p of the first and p - 1 of the second depend on nothing computed in the same step,
    /// so their two dependency chains run side by side. Same results as one row after the other.
    /// </summary>
    private static unsafe void UnfilterPaethRgbaPair(Span<byte> first, Span<byte> second, ReadOnlySpan<byte> above)
    {
        var n = first.Length;
        fixed (byte* x1 = first)
        fixed (byte* x2 = second)
        fixed (byte* b = above)
        {
            // The first pixel of each row: Paeth(0, b, 0) = b.
            Unsafe.WriteUnaligned(x1, PackPixel((Widen(x1) + Widen(b)) & Vector128.Create((short)0xFF)));
            Unsafe.WriteUnaligned(x2, PackPixel((Widen(x2) + Widen(x1)) & Vector128.Create((short)0xFF)));
            if (n <= 4)
            {
                return;
            }
            // State before step p: a1 = first[p-1], c1 = above[p-1], a2 = second[p-2], c2 = first[p-2].
            var a1 = PaethAdd(Widen(x1 + 4), Widen(x1), Widen(b + 4), Widen(b));
            Unsafe.WriteUnaligned(x1 + 4, PackPixel(a1));
            var c1 = Widen(b + 4);
            var a2 = Widen(x2);
            var c2 = Widen(x1);
            for (var i = 8; i + 4 <= n; i += 4)
            {
                // Both rows empty here (a transparent background): they stay empty, whatever c is.
                if (a1 == Vector128<short>.Zero && a2 == Vector128<short>.Zero
                    && (Unsafe.ReadUnaligned<uint>(x1 + i) | Unsafe.ReadUnaligned<uint>(b + i) | Unsafe.ReadUnaligned<uint>(x2 + i - 4)) == 0)
                {
                    i += ZeroRun(x1 + i, b + i, x2 + i - 4, n - i) & ~3;
                    // first[p-1], above[p-1], second[p-2] and first[p-2] now lie in the run or just before it: zero.
                    c1 = c2 = Vector128<short>.Zero;
                    if (i + 4 > n)
                    {
                        break;
                    }
                }
                var up = Widen(b + i);
                var next1 = PaethAdd(Widen(x1 + i), a1, up, c1);
                var next2 = PaethAdd(Widen(x2 + i - 4), a2, a1, c2);
                Unsafe.WriteUnaligned(x1 + i, PackPixel(next1));
                Unsafe.WriteUnaligned(x2 + i - 4, PackPixel(next2));
                c2 = a1;
                a1 = next1;
                a2 = next2;
                c1 = up;
            }
            // The second row's last pixel.
            var last = n - 4;
            Unsafe.WriteUnaligned(x2 + last, PackPixel(PaethAdd(Widen(x2 + last), a2, a1, c2)));
        }
    }

    /// <summary>filtered + Paeth(a, up, c), per 16-bit lane, the result cut to 8 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> PaethAdd(Vector128<short> filtered, Vector128<short> a, Vector128<short> up, Vector128<short> c)
    {
        // Only a depends on the previous pixel: pa and up - c are ready early, and pc = |(a - c) + (up - c)|
        // keeps the chain through a short.
        var upMinusC = up - c;
        var pa = Vector128.Abs(upMinusC);
        var aMinusC = a - c;
        var pb = Vector128.Abs(aMinusC);
        var pc = Vector128.Abs(aMinusC + upMinusC);
        var chooseA = Vector128.LessThanOrEqual(pa, pb) & Vector128.LessThanOrEqual(pa, pc);
        var predictor = Vector128.ConditionalSelect(chooseA, a, Vector128.ConditionalSelect(Vector128.LessThanOrEqual(pb, pc), up, c));
        return (filtered + predictor) & Vector128.Create((short)0xFF);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint PackPixel(Vector128<short> pixel) => Vector128.Narrow(pixel, pixel).AsUInt32().ToScalar();

    /// <summary>How many bytes from the start are zero in all three rows.</summary>
    private static unsafe int ZeroRun(byte* x, byte* b, byte* z, int length)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= length; i += 32)
            {
                if ((Vector256.Load(x + i) | Vector256.Load(b + i) | Vector256.Load(z + i)) != Vector256<byte>.Zero)
                {
                    break;
                }
            }
        }
        while (i < length && (x[i] | b[i] | z[i]) == 0)
        {
            i++;
        }
        return i;
    }

    /// <summary>How many bytes from the start are zero in both rows.</summary>
    private static unsafe int ZeroRun(byte* x, byte* b, int length)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= length; i += 32)
            {
                if ((Vector256.Load(x + i) | Vector256.Load(b + i)) != Vector256<byte>.Zero)
                {
                    break;
                }
            }
        }
        while (i < length && (x[i] | b[i]) == 0)
        {
            i++;
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector128<short> Widen(byte* pixel) =>
        Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(pixel)).AsByte()).AsInt16();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Paeth(int a, int b, int c)
    {
        // pa = |b - c|, pb = |a - c|, pc = |a + b - 2c|, without branches on the differences' signs.
        int pa = Math.Abs(b - c), pb = Math.Abs(a - c), pc = Math.Abs(a + b - c - c);
        return (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
    }
}
