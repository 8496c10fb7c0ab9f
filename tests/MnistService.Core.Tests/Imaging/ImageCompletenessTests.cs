using System.Buffers.Binary;
using MnistService.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistService.Core.Tests.Imaging;

/// <summary>
/// The truncation check accepts every whole file the encoders write (a false alarm would refuse a good
/// upload) and finds every cut one, and the decoder turns what it finds into an Unreadable rejection.
/// </summary>
public sealed class ImageCompletenessTests
{
    private static readonly ImageDecoder Decoder = new(new ImageDecodeLimits(MaxPixels: 4096L * 4096, MaxSide: 16384));

    public static TheoryData<string> Encodings() => new(Encoders.Keys);

    private static readonly Dictionary<string, IImageEncoder> Encoders = new()
    {
        ["png gray 8"] = new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 },
        ["png gray 1"] = new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit1 },
        ["png gray 4 interlaced"] = new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit4, InterlaceMethod = PngInterlaceMode.Adam7 },
        ["png rgb 16"] = new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit16 },
        ["png rgba 8 interlaced"] = new PngEncoder { ColorType = PngColorType.RgbWithAlpha, BitDepth = PngBitDepth.Bit8, InterlaceMethod = PngInterlaceMode.Adam7 },
        ["png rgba 16 interlaced"] = new PngEncoder { ColorType = PngColorType.RgbWithAlpha, BitDepth = PngBitDepth.Bit16, InterlaceMethod = PngInterlaceMode.Adam7 },
        ["png gray+alpha 16"] = new PngEncoder { ColorType = PngColorType.GrayscaleWithAlpha, BitDepth = PngBitDepth.Bit16 },
        ["png palette 2"] = new PngEncoder { ColorType = PngColorType.Palette, BitDepth = PngBitDepth.Bit2 },
        ["jpeg 4:2:0"] = new JpegEncoder { Quality = 85, ColorType = JpegColorType.YCbCrRatio420 },
        ["jpeg 4:4:4"] = new JpegEncoder { Quality = 95, ColorType = JpegColorType.YCbCrRatio444 },
        ["jpeg gray"] = new JpegEncoder { Quality = 75, ColorType = JpegColorType.Luminance },
        ["gif"] = new GifEncoder(),
        ["bmp 1"] = new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel1 },
        ["bmp 4"] = new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel4 },
        ["bmp 8"] = new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel8 },
        ["bmp 16"] = new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel16 },
        ["bmp 24"] = new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 },
        ["bmp 32"] = new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel32, SupportTransparency = true },
        ["webp lossy"] = new WebpEncoder { FileFormat = WebpFileFormatType.Lossy },
        ["webp lossless"] = new WebpEncoder { FileFormat = WebpFileFormatType.Lossless },
        ["tiff"] = new TiffEncoder(),
    };

    /// <summary>A digit on lightly textured paper, odd-sized so that no row or block comes out even.</summary>
    private static byte[] Encode(string encoding, int width = 173, int height = 141)
    {
        var random = new Random(encoding.Length);
        var ink = TestImages.Enlarge(MnistTestSet.Images[7], 4, out var side);
        using var image = new Image<Rgba32>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var level = (byte)(255 - random.Next(24) - (x >= 20 && y >= 10 && x - 20 < side && y - 10 < side ? ink[(y - 10) * side + x - 20] * 200 / 255 : 0));
                image[x, y] = new Rgba32(level, level, (byte)(level / 2 + 100), (byte)(x < 6 ? 128 : 255));
            }
        }
        return TestImages.Encode(image, Encoders[encoding]);
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Whole_files_are_complete_and_decode(string encoding)
    {
        var data = Encode(encoding);
        var kind = ImageFormatSniffer.Detect(data);
        Assert.Null(ImageCompleteness.FindDamage(data, kind));
        // Bytes after the end (a trailing newline, a second copy) do not matter.
        Assert.Null(ImageCompleteness.FindDamage([.. data, .. "\r\n"u8, .. data], kind));
        using var decoded = Decoder.Decode(data, out _);
        Assert.Equal((173, 141), (decoded.Width, decoded.Height));
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Cut_files_are_refused_as_unreadable(string encoding)
    {
        var data = Encode(encoding);
        var kind = ImageFormatSniffer.Detect(data);
        // Cuts from just after the signature to the last byte: in the headers, in the pixel data, in the trailer.
        // But a GIF's last byte, its trailer, follows the only frame, and ImageSharp pads a TIFF to an even
        // length: without that byte the picture is still whole.
        var last = kind is ImageKind.Gif or ImageKind.Tiff ? data.Length - 2 : data.Length - 1;
        var random = new Random(data.Length);
        var cuts = Enumerable.Range(0, 40).Select(_ => random.Next(16, last + 1)).Append(last).Append(data.Length / 2);
        foreach (var cut in cuts)
        {
            var part = data[..cut];
            Assert.True(ImageCompleteness.FindDamage(part, kind) is not null, $"{encoding} cut at {cut} of {data.Length} looked whole");
            var rejection = Assert.Throws<ImageRejectedException>(() => Decoder.Decode(part, out _).Dispose());
            Assert.True(rejection.Reason == ImageRejection.Unreadable, $"{encoding} cut at {cut} of {data.Length}: {rejection.Reason}, {rejection.Message}");
        }
    }

    [Fact]
    public void A_PNG_whose_pixel_data_ends_early_is_refused_before_ImageSharp_loops_on_it()
    {
        // Whole chunks with correct CRCs around a zlib stream cut short: ImageSharp 2.1.13 never returns from an
        // interlaced one (nor honours its cancellation token), and decodes a non-interlaced one in part.
        foreach (var interlace in new[] { PngInterlaceMode.Adam7, PngInterlaceMode.None })
        {
            var random = new Random(5);
            using var noise = new Image<Rgb24>(600, 600);
            noise.ProcessPixelRows(rows =>
            {
                for (var y = 0; y < rows.Height; y++)
                {
                    foreach (ref var pixel in rows.GetRowSpan(y))
                    {
                        var v = (byte)random.Next(200, 256);
                        pixel = new Rgb24(v, v, v);
                    }
                }
            });
            var png = TestImages.Encode(noise, new PngEncoder { InterlaceMethod = interlace, ColorType = PngColorType.Rgb });
            var shortened = PngWithPixelData(png, data => data[..(data.Length / 3)]);

            var damage = ImageCompleteness.FindDamage(shortened, ImageKind.Png);
            Assert.NotNull(damage);
            Assert.Contains("pixel data ends", damage);
            var rejection = Assert.Throws<ImageRejectedException>(() => Decoder.Decode(shortened, out _).Dispose());
            Assert.Equal(ImageRejection.Unreadable, rejection.Reason);
            // The same file with its whole stream, rebuilt the same way, is fine.
            Assert.Null(ImageCompleteness.FindDamage(PngWithPixelData(png, data => data), ImageKind.Png));
        }
    }

    [Fact]
    public void A_JPEG_segment_holding_an_end_marker_does_not_end_the_image()
    {
        // An application segment (an EXIF thumbnail, a comment) may contain FF D9; only the real EOI counts.
        var jpeg = Encode("jpeg 4:2:0");
        byte[] comment = [0xFF, 0xFE, 0x00, 0x06, 0xFF, 0xD9, 0xFF, 0xD9];
        byte[] withComment = [.. jpeg[..2], .. comment, .. jpeg[2..]];
        Assert.Null(ImageCompleteness.FindDamage(withComment, ImageKind.Jpeg));
        Assert.NotNull(ImageCompleteness.FindDamage(withComment[..(withComment.Length - 2)], ImageKind.Jpeg));
        Assert.NotNull(ImageCompleteness.FindDamage([.. jpeg[..2], .. comment], ImageKind.Jpeg));
    }

    [Fact]
    public void Run_length_BMPs_are_complete_only_with_their_end_of_bitmap_code()
    {
        // 4x2, 8 bits per pixel, RLE8: a run of 4 white, end of line, 3 literal pixels (padded to 16 bits) and a
        // run of 1, end of bitmap.
        byte[] rle = [4, 255, 0, 0, 0, 3, 10, 20, 30, 0, 1, 255, 0, 1];
        var bmp = Rle8Bmp(4, 2, rle);
        Assert.Null(ImageCompleteness.FindDamage(bmp, ImageKind.Bmp));
        using (var decoded = Decoder.Decode(bmp, out _))
        {
            Assert.Equal([10, 20, 30, 255, 255, 255, 255, 255], decoded.Gray.ToArray()); // bottom row first in the file
        }
        for (var cut = bmp.Length - rle.Length; cut < bmp.Length; cut++)
        {
            Assert.NotNull(ImageCompleteness.FindDamage(bmp[..cut], ImageKind.Bmp));
        }
    }

    [Fact]
    public void A_GIF_is_whole_once_its_first_frame_is()
    {
        // Only the first frame is decoded, so later frames (or a missing trailer) do not matter.
        var gif = Encode("gif");
        Assert.Equal(0x3B, gif[^1]);
        Assert.Null(ImageCompleteness.FindDamage(gif[..^1], ImageKind.Gif));
        Assert.NotNull(ImageCompleteness.FindDamage(gif[..^2], ImageKind.Gif));
    }

    /// <summary>The PNG's chunks before and after the pixel data, around one IDAT holding <paramref name="change"/>d zlib data.</summary>
    private static byte[] PngWithPixelData(byte[] png, Func<byte[], byte[]> change)
    {
        using var before = new MemoryStream();
        using var compressed = new MemoryStream();
        before.Write(png, 0, 8);
        for (var offset = 8; offset < png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            var type = System.Text.Encoding.ASCII.GetString(png, offset + 4, 4);
            if (type == "IDAT")
            {
                compressed.Write(png, offset + 8, length);
            }
            else if (type != "IEND")
            {
                before.Write(png, offset, 12 + length);
            }
            offset += 12 + length;
        }
        using var result = new MemoryStream();
        result.Write(before.ToArray());
        result.Write(PngChunks.Chunk("IDAT", change(compressed.ToArray())));
        result.Write(PngChunks.Chunk("IEND", []));
        return result.ToArray();
    }

    private static byte[] Rle8Bmp(int width, int height, byte[] rle)
    {
        const int headers = 14 + 40, palette = 256 * 4;
        var bmp = new byte[headers + palette + rle.Length];
        "BM"u8.CopyTo(bmp);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(2), bmp.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(10), headers + palette);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(28), 8);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(30), 1); // BI_RLE8
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(34), rle.Length);
        for (var i = 0; i < 256; i++)
        {
            bmp[headers + 4 * i] = bmp[headers + 4 * i + 1] = bmp[headers + 4 * i + 2] = (byte)i;
        }
        rle.CopyTo(bmp, headers + palette);
        return bmp;
    }
}
