using System.Buffers.Binary;
using System.IO.Compression;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistService.Testing;

/// <summary>
/// Small files that cost a decoder far more than their size: interlaced PNGs whose pixel data inflates to
/// nothing, a progressive JPEG with one scan repeated many times, a GIF of countless frames, large images
/// in their heaviest encodings. Shared by the decoder's tests, the HTTP tests and the process tests.
/// </summary>
public static class HostileImages
{
    /// <summary>A 1x1 interlaced 8-bit grey PNG whose IDAT inflates to nothing (65 bytes): ImageSharp 2.1.13 loops on it.</summary>
    public static byte[] EmptyInterlacedPng { get; } =
        Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAFNeavDAAAACElEQVR4nAMAAAAAAUgGidIAAAAASUVORK5CYII=");

    /// <summary>
    /// A valid 1x1 interlaced palette PNG as ImageSharp 2.1.13 writes it, on which its decoder spins forever, with a text
    /// chunk before its IHDR (PNG wants IHDR first; a decoder that reads chunks in any order still finds it).
    /// </summary>
    public static byte[] InterlacedPngWithHeaderNotFirst()
    {
        var png = Convert.FromBase64String(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAMAAAFfzAQtAAAAA1BMVEU/HHegWya1AAAACXBIWXMAAA7EAAAOxAGVKw4bAAAACklEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg==");
        return [.. png[..8], .. PngChunks.Chunk("tEXt", "Comment\0x"u8), .. png[8..]];
    }

    /// <summary>The same file at any size: an interlaced grey PNG header over image data that inflates to nothing.</summary>
    public static byte[] EmptyInterlacedPngOfSize(int width, int height, byte colorType = 0, byte bitDepth = 8)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = bitDepth;
        header[9] = colorType;
        header[12] = 1; // Adam7
        return [.. PngChunks.Signature, .. PngChunks.Chunk("IHDR", header), .. PngChunks.Chunk("IDAT", Zlib([])), .. PngChunks.Chunk("IEND", [])];
    }

    /// <summary>
    /// A 16x16 grey PNG whose zlib stream asks for a preset dictionary (FDICT set in its header), which PNG never uses:
    /// .NET's zlib then throws a ZLibException, not the InvalidDataException of other damage.
    /// </summary>
    public static byte[] PngAskingForADictionary(bool interlaced)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, 16);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 16);
        header[8] = 8;
        header[12] = (byte)(interlaced ? 1 : 0);
        var data = Zlib(new byte[17 * 16 * 2]);
        byte[] withDictionary = [0x78, 0xBB, 0, 0, 0, 1, .. data[2..]]; // 0x78BB is a multiple of 31, as the header check wants
        return [.. PngChunks.Signature, .. PngChunks.Chunk("IHDR", header), .. PngChunks.Chunk("IDAT", withDictionary), .. PngChunks.Chunk("IEND", [])];
    }

    /// <summary>
    /// An all-black 64x64 grey PNG (84 bytes) whose zlib stream lacks its last <paramref name="cut"/> bytes, in
    /// whole chunks with correct CRCs: the image data ends early, nothing else is wrong.
    /// </summary>
    public static byte[] BlackPngWithShortData(int side = 64, int cut = 10)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, side);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), side);
        header[8] = 8;
        var data = Zlib(new byte[(side + 1) * side]);
        return [.. PngChunks.Signature, .. PngChunks.Chunk("IHDR", header), .. PngChunks.Chunk("IDAT", data[..^cut]), .. PngChunks.Chunk("IEND", [])];
    }

    /// <summary>
    /// A progressive grey JPEG of <paramref name="side"/> x <paramref name="side"/> pixels: a DC scan, then one AC
    /// scan (coefficients 1-63) <paramref name="repeats"/> times. Each AC scan is a few end-of-band runs of up to
    /// 32,767 blocks, about 30 bytes however large the image, and every one makes a decoder visit every block:
    /// the scan bomb (4096x4096 with 155,000 repeats is 5 MB). Written bit by bit, since no encoder writes it.
    /// </summary>
    public static byte[] ProgressiveJpegScanBomb(int side, int repeats)
    {
        var blocks = (side + 7) / 8 * ((side + 7) / 8);
        using var jpeg = new MemoryStream();
        jpeg.Write([0xFF, 0xD8]);
        Segment(jpeg, 0xDB, [0x00, .. Enumerable.Repeat((byte)1, 64)]); // quantization table 0: all ones
        Segment(jpeg, 0xC2, [8, (byte)(side >> 8), (byte)side, (byte)(side >> 8), (byte)side, 1, 1, 0x11, 0]); // SOF2, one component
        // DC table 0: one code, "0", for category 0 (every difference 0). AC table 0: 4-bit codes for EOB runs
        // EOB0-EOB14 (symbols 0x00, 0x10, ..., 0xE0).
        Segment(jpeg, 0xC4, [0x00, 1, .. new byte[15], 0]);
        Segment(jpeg, 0xC4, [0x10, 0, 0, 0, 15, .. new byte[12], .. Enumerable.Range(0, 15).Select(r => (byte)(r << 4))]);
        Segment(jpeg, 0xDA, [1, 1, 0x00, 0, 0, 0x00]); // DC first scan
        var dc = new BitWriter();
        for (var b = 0; b < blocks; b++)
        {
            dc.Write(0, 1);
        }
        jpeg.Write(dc.Finish());
        var ac = new BitWriter();
        for (var left = blocks; left > 0;)
        {
            var run = Math.Min(left, 32767);
            var r = 31 - int.LeadingZeroCount(run); // EOBr: a run of 2^r plus r extra bits
            ac.Write(r, 4);
            ac.Write(run - (1 << r), r);
            left -= run;
        }
        var acData = ac.Finish();
        for (var k = 0; k < repeats; k++)
        {
            Segment(jpeg, 0xDA, [1, 1, 0x00, 1, 63, 0x00]); // AC first scan, coefficients 1-63
            jpeg.Write(acData);
        }
        jpeg.Write([0xFF, 0xD9]);
        return jpeg.ToArray();

        static void Segment(Stream stream, byte marker, byte[] payload)
        {
            stream.Write([0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2)]);
            stream.Write(payload);
        }
    }

    /// <summary>Entropy-coded JPEG data: bits high first, 0xFF stuffed with 0x00, the last byte padded with ones.</summary>
    private sealed class BitWriter
    {
        private readonly List<byte> _bytes = [];
        private int _current;
        private int _count;

        public void Write(int value, int bits)
        {
            for (var i = bits - 1; i >= 0; i--)
            {
                _current = (_current << 1) | ((value >> i) & 1);
                if (++_count == 8)
                {
                    Flush();
                }
            }
        }

        public byte[] Finish()
        {
            while (_count != 0)
            {
                Write(1, 1);
            }
            return [.. _bytes];
        }

        private void Flush()
        {
            _bytes.Add((byte)_current);
            if (_current == 0xFF)
            {
                _bytes.Add(0);
            }
            _current = _count = 0;
        }
    }

    /// <summary>A GIF of <paramref name="frames"/> 1x1 frames after a first frame of <paramref name="side"/> x <paramref name="side"/>.</summary>
    public static byte[] GifWithFrames(int side, int frames)
    {
        using var stream = new MemoryStream();
        stream.Write("GIF89a"u8);
        Span<byte> screen = [(byte)side, (byte)(side >> 8), (byte)side, (byte)(side >> 8), 0x80, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF];
        stream.Write(screen); // a 2-colour global table: black, white
        for (var f = 0; f < frames; f++)
        {
            var w = f == 0 ? side : 1;
            // Image descriptor, LZW minimum code size 2, one sub-block holding clear + end codes, terminator.
            stream.Write([0x2C, 0, 0, 0, 0, (byte)w, (byte)(w >> 8), (byte)w, (byte)(w >> 8), 0x00, 0x02, 0x02, 0x44, 0x01, 0x00]);
        }
        stream.WriteByte(0x3B);
        return stream.ToArray();
    }

    /// <summary>A noisy grey image of the given size as a 16-bit PNG, fast to write (the heaviest PNG to decode per byte).</summary>
    public static byte[] Png16(int side, bool interlaced = false)
    {
        using var image = new Image<L16>(side, side);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    row[x] = new L16((ushort)(((x / 64 + y / 64) & 1) == 0 ? 0 : 65535));
                }
            }
        });
        return TestImages.Encode(image, new SixLabors.ImageSharp.Formats.Png.PngEncoder
        {
            ColorType = SixLabors.ImageSharp.Formats.Png.PngColorType.Grayscale,
            BitDepth = SixLabors.ImageSharp.Formats.Png.PngBitDepth.Bit16,
            CompressionLevel = SixLabors.ImageSharp.Formats.Png.PngCompressionLevel.BestSpeed,
            InterlaceMethod = interlaced ? SixLabors.ImageSharp.Formats.Png.PngInterlaceMode.Adam7 : SixLabors.ImageSharp.Formats.Png.PngInterlaceMode.None,
        });
    }

    public static byte[] Zlib(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(data);
        }
        return output.ToArray();
    }
}
