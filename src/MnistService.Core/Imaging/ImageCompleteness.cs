using System.Buffers.Binary;

namespace MnistService.Core.Imaging;

/// <summary>
/// Finds images whose data ends early, and images built to be slow to decode (a JPEG of countless scans, a GIF of
/// countless frames). ImageSharp 2.1 decodes a truncated JPEG, GIF, BMP, WebP, PNG
/// or (cut after its directory) TIFF without an error and leaves the missing part transparent or black,
/// so a cut-off upload would be read as part of a digit or as "no digit"; and a PNG whose interlaced
/// pixel data ends early makes it loop forever, ignoring its cancellation token (seen on 600x600 noise). Each check walks the
/// format's own structure, which costs little next to decoding, except PNG's, which inflates the pixel
/// data once to count it (only images that miss the fast path get here).
/// </summary>
public static partial class ImageCompleteness
{
    /// <summary>
    /// Most scans a JPEG may have. Each scan costs a decoder a pass over every block of the image, so a file that repeats
    /// a tiny scan (30 bytes for 4096x4096) is a CPU bomb: 155,000 of them took ImageSharp a minute. A baseline JPEG has
    /// one scan per component, progressive encoders write about 10 (libjpeg) and rarely more than a few dozen.
    /// </summary>
    public const int MaxJpegScans = 256;

    /// <summary>Most frames a GIF may have. Only the first is decoded, but every frame is walked (by us, and by ImageSharp's Identify).</summary>
    public const int MaxGifFrames = 5000;

    /// <summary>What is wrong with <paramref name="data"/> (to follow "The image is"), or null when it is whole.</summary>
    public static string? FindDamage(ReadOnlySpan<byte> data, ImageKind kind, CancellationToken cancellationToken = default) => kind switch
    {
        ImageKind.Png => PngDamage(data, cancellationToken),
        ImageKind.Jpeg => JpegDamage(data),
        ImageKind.Gif => GifDamage(data),
        ImageKind.Bmp => BmpDamage(data),
        ImageKind.Webp => WebpDamage(data),
        ImageKind.Tiff => TiffDamage(data),
        _ => null,
    };

    /// <summary>
    /// The markers from SOI on, through every scan's entropy-coded data (where 0xFF is always followed by 0x00
    /// or a restart marker), must reach EOI. Segments are skipped by their length, so an EXIF thumbnail's own
    /// EOI does not count.
    /// </summary>
    private static string? JpegDamage(ReadOnlySpan<byte> jpeg)
    {
        const string truncated = "truncated: the data ends before its end-of-image marker";
        var scans = 0;
        var i = 2; // after SOI
        while (true)
        {
            var next = jpeg[i..].IndexOf((byte)0xFF);
            if (next < 0)
            {
                return truncated;
            }
            i += next;
            while (i < jpeg.Length && jpeg[i] == 0xFF)
            {
                i++; // fill bytes
            }
            if (i >= jpeg.Length)
            {
                return truncated;
            }
            var marker = jpeg[i++];
            if (marker == 0xD9)
            {
                return null;
            }
            if (marker is 0x00 or 0x01 or 0xD8 or >= 0xD0 and <= 0xD7)
            {
                continue; // markers without a length
            }
            if (i + 2 > jpeg.Length)
            {
                return truncated;
            }
            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[i..]);
            if (length < 2 || length > jpeg.Length - i)
            {
                return truncated;
            }
            i += length;
            if (marker != 0xDA)
            {
                continue;
            }
            if (++scans > MaxJpegScans)
            {
                return $"made to be slow to decode: it has more than {MaxJpegScans} scans (a progressive JPEG needs a few dozen at most)";
            }
            // Start of scan: entropy-coded data up to the next marker that is neither stuffing nor a restart.
            while (true)
            {
                next = jpeg[i..].IndexOf((byte)0xFF);
                if (next < 0 || i + next + 1 >= jpeg.Length)
                {
                    return truncated;
                }
                i += next + 1;
                if (jpeg[i] is 0x00 or >= 0xD0 and <= 0xD7)
                {
                    i++;
                    continue;
                }
                i--; // the 0xFF that starts the next marker
                break;
            }
        }
    }

    /// <summary>The blocks up to the first image, and that image's data sub-blocks up to their terminator.</summary>
    private static string? GifDamage(ReadOnlySpan<byte> gif)
    {
        const string truncated = "truncated: the data ends inside its first frame";
        const int screenDescriptorEnd = 13;
        if (gif.Length < screenDescriptorEnd)
        {
            return truncated;
        }
        var i = screenDescriptorEnd + ColorTableLength(gif[10]);
        while (true)
        {
            if (i >= gif.Length)
            {
                return truncated;
            }
            switch (gif[i++])
            {
                case 0x21: // extension: a label, then sub-blocks
                    i++;
                    if (!SkipSubBlocks(gif, ref i))
                    {
                        return truncated;
                    }
                    break;
                case 0x2C: // image descriptor, local colour table, LZW code size, then the data sub-blocks
                    if (i + 9 > gif.Length)
                    {
                        return truncated;
                    }
                    i += 9 + ColorTableLength(gif[i + 8]) + 1;
                    return SkipSubBlocks(gif, ref i) ? CountFrames(gif, i) : truncated;
                default:
                    return null; // a trailer before any image, or not a block at all: ImageSharp decides
            }
        }

        // The frames after the first are not decoded, so they may be cut off or damaged; only their number matters.
        static string? CountFrames(ReadOnlySpan<byte> gif, int i)
        {
            for (var frames = 1; i < gif.Length;)
            {
                switch (gif[i++])
                {
                    case 0x21:
                        i++;
                        if (!SkipSubBlocks(gif, ref i))
                        {
                            return null;
                        }
                        break;
                    case 0x2C:
                        if (++frames > MaxGifFrames)
                        {
                            return $"made to be slow to decode: it has more than {MaxGifFrames:N0} frames";
                        }
                        if (i + 9 > gif.Length)
                        {
                            return null;
                        }
                        i += 9 + ColorTableLength(gif[i + 8]) + 1;
                        if (!SkipSubBlocks(gif, ref i))
                        {
                            return null;
                        }
                        break;
                    default:
                        return null; // the trailer, or whatever follows: not decoded
                }
            }
            return null;
        }

        static int ColorTableLength(byte packed) => (packed & 0x80) == 0 ? 0 : 3 << ((packed & 7) + 1);

        static bool SkipSubBlocks(ReadOnlySpan<byte> gif, ref int i)
        {
            while (i < gif.Length)
            {
                var size = gif[i++];
                if (size == 0)
                {
                    return true;
                }
                i += size;
            }
            return false;
        }
    }

    /// <summary>Uncompressed rows all within the file; run-length data reaching its end-of-bitmap code.</summary>
    private static string? BmpDamage(ReadOnlySpan<byte> bmp)
    {
        const int fileHeader = 14;
        if (bmp.Length < fileHeader + 4)
        {
            return "truncated: the data ends inside its header";
        }
        var pixels = BinaryPrimitives.ReadUInt32LittleEndian(bmp[10..]);
        var headerSize = BinaryPrimitives.ReadInt32LittleEndian(bmp[fileHeader..]);
        if (headerSize is >= 12 and <= 256 && bmp.Length < fileHeader + headerSize)
        {
            return "truncated: the data ends inside its header";
        }
        long width, height;
        int bitsPerPixel;
        uint compression;
        if (headerSize == 12)
        {
            (width, height) = (BinaryPrimitives.ReadUInt16LittleEndian(bmp[18..]), BinaryPrimitives.ReadUInt16LittleEndian(bmp[20..]));
            bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(bmp[24..]);
            compression = 0;
        }
        else if (headerSize is >= 40 and <= 256 && headerSize != 64)
        {
            width = BinaryPrimitives.ReadInt32LittleEndian(bmp[18..]);
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(bmp[22..])); // negative: rows top-down
            bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(bmp[28..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(bmp[30..]);
        }
        else
        {
            return null; // OS/2 and unknown headers: ImageSharp decides
        }
        if (pixels > bmp.Length)
        {
            return "truncated: the data ends before its pixels";
        }
        if (width is <= 0 or > 1 << 20 || height > 1 << 20)
        {
            return null; // invalid, or far beyond the size limits checked before: ImageSharp or the limits refuse it
        }
        switch (compression)
        {
            case 0 or 3 or 6: // rows, each padded to 4 bytes (6 and 3: the same rows with colour masks)
                var needed = pixels + (width * bitsPerPixel + 31) / 32 * 4 * height;
                return needed > bmp.Length ? $"truncated: its pixel rows need {needed:N0} bytes, the data has {bmp.Length:N0}" : null;
            case 1 or 2: // RLE8, RLE4: pairs of (count, value), or 0 and an escape
                for (var i = (int)pixels; i + 2 <= bmp.Length;)
                {
                    int count = bmp[i], escape = bmp[i + 1];
                    i += 2;
                    if (count > 0 || escape == 0)
                    {
                        continue; // a run, or the end of a line
                    }
                    if (escape == 1)
                    {
                        return null; // end of bitmap
                    }
                    // 2: a move by two offset bytes; more: that many literal pixels, padded to 16 bits.
                    var literal = escape == 2 ? 2 : compression == 1 ? escape : (escape + 1) / 2;
                    i += escape == 2 ? 2 : literal + (literal & 1);
                }
                return "truncated: its run-length data ends before the end-of-bitmap code";
            default:
                return null;
        }
    }

    /// <summary>The RIFF container's declared size within the data, and every chunk whole.</summary>
    private static string? WebpDamage(ReadOnlySpan<byte> webp)
    {
        const int riffHeader = 12;
        var end = 8 + (long)BinaryPrimitives.ReadUInt32LittleEndian(webp[4..]);
        if (end > webp.Length)
        {
            return $"truncated: its RIFF container declares {end:N0} bytes, the data has {webp.Length:N0}";
        }
        for (long i = riffHeader; i + 8 <= end;)
        {
            var size = BinaryPrimitives.ReadUInt32LittleEndian(webp[(int)(i + 4)..]);
            if (i + 8 + size > end)
            {
                return $"truncated: its {System.Text.Encoding.ASCII.GetString(webp.Slice((int)i, 4))} chunk is cut off";
            }
            i += 8 + size + (size & 1);
        }
        return null;
    }

    /// <summary>The first directory, its values, and every strip or tile it lists, within the data.</summary>
    private static string? TiffDamage(ReadOnlySpan<byte> tiff)
    {
        const string truncated = "truncated: the data ends before its first image's directory or pixel data";
        if (tiff.Length < 8)
        {
            return truncated;
        }
        var little = tiff[0] == (byte)'I';
        uint U32(ReadOnlySpan<byte> at) => little ? BinaryPrimitives.ReadUInt32LittleEndian(at) : BinaryPrimitives.ReadUInt32BigEndian(at);
        ushort U16(ReadOnlySpan<byte> at) => little ? BinaryPrimitives.ReadUInt16LittleEndian(at) : BinaryPrimitives.ReadUInt16BigEndian(at);

        var directory = (long)U32(tiff[4..]);
        if (directory + 2 > tiff.Length)
        {
            return truncated;
        }
        var entries = U16(tiff[(int)directory..]);
        if (directory + 2 + 12L * entries + 4 > tiff.Length) // the entries, then the next directory's offset
        {
            return truncated;
        }
        // Every entry's values within the data; among them the offsets and byte counts of the strips (tags 273,
        // 279) or tiles (324, 325).
        ReadOnlySpan<byte> offsets = default, counts = default;
        int offsetSize = 0, countSize = 0;
        for (var e = 0; e < entries; e++)
        {
            var entry = tiff.Slice((int)directory + 2 + 12 * e, 12);
            var (tag, type, count) = (U16(entry), U16(entry[2..]), (long)U32(entry[4..]));
            var size = type switch { 1 or 2 or 6 or 7 => 1, 3 or 8 => 2, 4 or 9 or 11 or 13 => 4, 5 or 10 or 12 => 8, _ => 0 };
            var length = size * count;
            var at = length <= 4 ? directory + 2 + 12 * e + 8 : U32(entry[8..]);
            if (at + length > tiff.Length)
            {
                return truncated;
            }
            if (type is not (3 or 4) || tag is not (273 or 279 or 324 or 325))
            {
                continue;
            }
            var values = tiff.Slice((int)at, (int)length);
            if (tag is 273 or 324)
            {
                offsets = values;
                offsetSize = size;
            }
            else
            {
                counts = values;
                countSize = size;
            }
        }
        if (offsetSize == 0 || countSize == 0 || offsets.Length / offsetSize != counts.Length / countSize)
        {
            return null; // no pixel data listed, or inconsistently: ImageSharp decides
        }
        for (var i = 0; i < offsets.Length / offsetSize; i++)
        {
            long start = offsetSize == 2 ? U16(offsets[(2 * i)..]) : U32(offsets[(4 * i)..]);
            long bytes = countSize == 2 ? U16(counts[(2 * i)..]) : U32(counts[(4 * i)..]);
            if (start + bytes > tiff.Length)
            {
                return truncated;
            }
        }
        return null;
    }
}
