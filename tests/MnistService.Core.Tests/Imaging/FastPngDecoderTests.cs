using MnistService.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistService.Core.Tests.Imaging;

/// <summary>The fast PNG path decodes exactly what ImageSharp decodes, for every kind of PNG it accepts.</summary>
public sealed class FastPngDecoderTests
{
    /// <summary>ImageSharp's pixels, reduced to luminance and alpha the way the service does.</summary>
    private static (byte[] Gray, byte[] Alpha) Reference(byte[] png)
    {
        using var image = Image.Load<Rgba32>(png);
        var gray = new byte[image.Width * image.Height];
        var alpha = new byte[gray.Length];
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var p = image[x, y];
                gray[y * image.Width + x] = GrayImage.Luma(p.R, p.G, p.B);
                alpha[y * image.Width + x] = p.A;
            }
        }
        return (gray, alpha);
    }

    private static Image<Rgba32> Noise(int width, int height, int seed, bool transparent, bool smooth)
    {
        var random = new Random(seed);
        var image = new Image<Rgba32>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                // Smooth gradients exercise the predictive filters, noise the raw paths.
                image[x, y] = smooth
                    ? new Rgba32((byte)(x * 7 + y), (byte)(y * 5), (byte)(x ^ y), transparent ? (byte)(x * 3 + y * 2) : (byte)255)
                    : new Rgba32((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), transparent ? (byte)random.Next(256) : (byte)255);
            }
        }
        return image;
    }

    public static TheoryData<PngColorType, PngFilterMethod, int, int, bool> Cases()
    {
        var data = new TheoryData<PngColorType, PngFilterMethod, int, int, bool>();
        foreach (var color in new[] { PngColorType.Grayscale, PngColorType.GrayscaleWithAlpha, PngColorType.Rgb, PngColorType.RgbWithAlpha, PngColorType.Palette })
        {
            foreach (var filter in Enum.GetValues<PngFilterMethod>())
            {
                foreach (var (w, h) in new[] { (1, 1), (3, 5), (17, 9), (64, 1), (280, 280) })
                {
                    foreach (var smooth in new[] { false, true })
                    {
                        if ((w, h) == (280, 280) && filter != PngFilterMethod.Adaptive)
                        {
                            continue; // keep the big ones few
                        }
                        data.Add(color, filter, w, h, smooth);
                    }
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decodes_pixel_identical_to_ImageSharp(PngColorType color, PngFilterMethod filter, int width, int height, bool smooth)
    {
        var transparent = color is PngColorType.GrayscaleWithAlpha or PngColorType.RgbWithAlpha or PngColorType.Palette;
        using var source = Noise(width, height, width * 31 + height, transparent, smooth);
        var png = TestImages.Encode(source, new PngEncoder
        {
            ColorType = color,
            BitDepth = PngBitDepth.Bit8,
            FilterMethod = filter,
            InterlaceMethod = PngInterlaceMode.None,
        });

        Assert.True(FastPngDecoder.TryDecode(png, out var decoded), "the fast path refused a PNG it should take");
        using (decoded)
        {
            var (gray, alpha) = Reference(png);
            Assert.Equal(width, decoded!.Width);
            Assert.Equal(height, decoded.Height);
            Assert.Equal(gray, decoded.Gray.ToArray());
            // Alpha is kept exactly when some pixel is not opaque, as the ImageSharp path decides it.
            Assert.Equal(alpha.Any(a => a != 255), decoded.HasAlpha);
            if (decoded.HasAlpha)
            {
                Assert.Equal(alpha, decoded.Alpha.ToArray());
            }
            else
            {
                Assert.All(alpha, a => Assert.Equal(255, a));
            }
        }
    }

    [Theory]
    [InlineData(PngColorType.RgbWithAlpha)]
    [InlineData(PngColorType.GrayscaleWithAlpha)]
    [InlineData(PngColorType.Palette)]
    public void An_alpha_channel_opaque_everywhere_is_dropped_by_both_paths(PngColorType color)
    {
        // The preprocessing treats an image with alpha differently (compositing, no MNIST pass-through), so both
        // decoders must agree on whether there is any.
        using var source = Noise(31, 28, 9, transparent: false, smooth: true);
        var png = TestImages.Encode(source, new PngEncoder { ColorType = color, BitDepth = PngBitDepth.Bit8 });
        var decoder = new ImageDecoder(new ImageDecodeLimits(MaxPixels: 4096L * 4096, MaxSide: 16384));
        using var fast = decoder.Decode(png, out var path);
        Assert.Equal(ImageDecodePath.Png, path);
        Assert.False(fast.HasAlpha);
        // The same image interlaced takes the row-by-row path; ImageSharp's pixels are the reference for both.
        var interlaced = TestImages.Encode(source, new PngEncoder { ColorType = color, BitDepth = PngBitDepth.Bit8, InterlaceMethod = PngInterlaceMode.Adam7 });
        using var rows = decoder.Decode(interlaced, out path);
        Assert.Equal(ImageDecodePath.Png, path);
        Assert.False(rows.HasAlpha);
        var (gray, alpha) = Reference(interlaced);
        Assert.All(alpha, a => Assert.Equal(255, a));
        Assert.Equal(gray, rows.Gray.ToArray());
        Assert.Equal(gray, fast.Gray.ToArray());
    }

    public static TheoryData<PngFilterMethod, PngColorType> Filters()
    {
        var data = new TheoryData<PngFilterMethod, PngColorType>();
        foreach (var filter in Enum.GetValues<PngFilterMethod>())
        {
            foreach (var color in new[] { PngColorType.RgbWithAlpha, PngColorType.GrayscaleWithAlpha, PngColorType.Rgb })
            {
                data.Add(filter, color);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Filters))]
    public void Decodes_canvas_drawings_with_empty_runs_identical_to_ImageSharp(PngFilterMethod filter, PngColorType color)
    {
        // Ink on a transparent background: long runs of zero bytes next to the strokes (the zero-run shortcut).
        var placement = new TestImages.Placement(9, 290, 270, 7, 3);
        using var drawing = Image.Load<Rgba32>(TestImages.TransparentPng(MnistTestSet.Images[3], placement, new Rgb24(10, 200, 90)));
        var png = TestImages.Encode(drawing, new PngEncoder { ColorType = color, BitDepth = PngBitDepth.Bit8, FilterMethod = filter });
        Assert.True(FastPngDecoder.TryDecode(png, out var decoded));
        using (decoded)
        {
            var (gray, alpha) = Reference(png);
            Assert.Equal(gray, decoded!.Gray.ToArray());
            Assert.Equal(alpha, decoded.HasAlpha ? decoded.Alpha.ToArray() : Enumerable.Repeat((byte)255, gray.Length).ToArray());
        }
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(5, 3)]
    [InlineData(33, 7)]
    [InlineData(100, 10)]
    [InlineData(9, 64)]
    public void Decodes_sparse_Paeth_drawings_identical_to_ImageSharp(int width, int height)
    {
        // Isolated pixels and short strokes on transparency: empty runs start and end at every offset, in rows
        // that are unfiltered in pairs, with an odd row left over when the height is odd.
        var random = new Random(width * 7 + height);
        using var image = new Image<Rgba32>(width, height);
        for (var i = 0; i < width * height / 6 + 1; i++)
        {
            var (x, y) = (random.Next(width), random.Next(height));
            var length = random.Next(1, 4);
            for (var k = 0; k < length && x + k < width; k++)
            {
                image[x + k, y] = random.Next(3) == 0
                    ? new Rgba32(0, 0, 0, (byte)random.Next(1, 256))
                    : new Rgba32((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
            }
        }
        var png = TestImages.Encode(image, new PngEncoder
        {
            ColorType = PngColorType.RgbWithAlpha,
            BitDepth = PngBitDepth.Bit8,
            FilterMethod = PngFilterMethod.Paeth,
        });
        Assert.True(FastPngDecoder.TryDecode(png, out var decoded));
        using (decoded)
        {
            var (gray, alpha) = Reference(png);
            Assert.Equal(gray, decoded!.Gray.ToArray());
            Assert.Equal(alpha, decoded.Alpha.ToArray());
        }
    }

    public static TheoryData<PngColorType, PngBitDepth, PngInterlaceMode, int, int> EveryKind()
    {
        var data = new TheoryData<PngColorType, PngBitDepth, PngInterlaceMode, int, int>();
        (PngColorType, PngBitDepth[])[] kinds =
        [
            (PngColorType.Grayscale, [PngBitDepth.Bit1, PngBitDepth.Bit2, PngBitDepth.Bit4, PngBitDepth.Bit8, PngBitDepth.Bit16]),
            (PngColorType.Palette, [PngBitDepth.Bit1, PngBitDepth.Bit2, PngBitDepth.Bit4, PngBitDepth.Bit8]),
            (PngColorType.Rgb, [PngBitDepth.Bit8, PngBitDepth.Bit16]),
            (PngColorType.GrayscaleWithAlpha, [PngBitDepth.Bit8, PngBitDepth.Bit16]),
            (PngColorType.RgbWithAlpha, [PngBitDepth.Bit8, PngBitDepth.Bit16]),
        ];
        foreach (var (color, depths) in kinds)
        {
            foreach (var depth in depths)
            {
                foreach (var interlace in new[] { PngInterlaceMode.None, PngInterlaceMode.Adam7 })
                {
                    // Odd sizes leave partial bytes of packed samples; 17x9 leaves Adam7 passes one pixel wide or high. Smaller
                    // interlaced images cannot be compared: ImageSharp 2.1.13 writes interlaced palette PNGs under 8 pixels with
                    // invalid filter bytes and never returns from decoding a 1x1 one (see the test below).
                    var sizes = interlace == PngInterlaceMode.None ? new[] { (1, 1), (3, 5), (17, 9), (40, 30) } : [(17, 9), (40, 30)];
                    foreach (var (w, h) in sizes)
                    {
                        data.Add(color, depth, interlace, w, h);
                    }
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryKind))]
    public void Decodes_every_kind_of_PNG_pixel_identical_to_ImageSharp(PngColorType color, PngBitDepth depth, PngInterlaceMode interlace, int width, int height)
    {
        // 16-bit, 1- to 4-bit and interlaced PNGs are ours too: ImageSharp never sees a PNG it could loop on.
        var transparent = color is PngColorType.GrayscaleWithAlpha or PngColorType.RgbWithAlpha;
        using var source = Noise(width, height, width * 7 + height, transparent, smooth: width > 20);
        var png = TestImages.Encode(source, new PngEncoder { ColorType = color, BitDepth = depth, InterlaceMethod = interlace });
        AssertIdenticalToImageSharp(png);
    }

    [Theory]
    [InlineData(PngColorType.Grayscale, PngBitDepth.Bit8)]
    [InlineData(PngColorType.Grayscale, PngBitDepth.Bit2)]
    [InlineData(PngColorType.Rgb, PngBitDepth.Bit8)]
    [InlineData(PngColorType.Rgb, PngBitDepth.Bit16)]
    public void A_colour_key_makes_exactly_its_colour_transparent_as_in_ImageSharp(PngColorType color, PngBitDepth depth)
    {
        // Not 16-bit gray: there ImageSharp 2.1.13 ignores the key, which our decoder applies as the PNG specification says.
        foreach (var interlace in new[] { PngInterlaceMode.None, PngInterlaceMode.Adam7 })
        {
            using var source = Noise(23, 19, 4, transparent: false, smooth: true);
            var png = TestImages.Encode(source, new PngEncoder { ColorType = color, BitDepth = depth, InterlaceMethod = interlace });
            // The key: the samples of the pixel at (5, 3) as stored, read back from ImageSharp's own decode.
            using var stored = Image.Load<Rgba64>(png);
            var p = stored[5, 3];
            var scale = depth switch { PngBitDepth.Bit16 => 1, PngBitDepth.Bit8 => 257, _ => 65535 / 3 };
            byte[] key = color == PngColorType.Grayscale
                ? [(byte)((p.R / scale) >> 8), (byte)(p.R / scale)]
                : [(byte)((p.R / scale) >> 8), (byte)(p.R / scale), (byte)((p.G / scale) >> 8), (byte)(p.G / scale), (byte)((p.B / scale) >> 8), (byte)(p.B / scale)];
            var keyed = WithChunkBeforeImageData(png, PngChunks.Chunk("tRNS", key));
            var (_, alpha) = Reference(keyed);
            Assert.Equal(0, alpha[3 * 23 + 5]);
            AssertIdenticalToImageSharp(keyed);
        }
    }

    private static void AssertIdenticalToImageSharp(byte[] png)
    {
        var decoder = new ImageDecoder(new ImageDecodeLimits(MaxPixels: 4096L * 4096, MaxSide: 16384));
        using var decoded = decoder.Decode(png, out var path);
        Assert.Equal(ImageDecodePath.Png, path);
        var (gray, alpha) = Reference(png);
        Assert.Equal(gray, decoded.Gray.ToArray());
        Assert.Equal(alpha, decoded.HasAlpha ? decoded.Alpha.ToArray() : Enumerable.Repeat((byte)255, gray.Length).ToArray());
    }

    private static byte[] WithChunkBeforeImageData(byte[] png, byte[] chunk)
    {
        var idat = 8;
        while (System.Text.Encoding.ASCII.GetString(png, idat + 4, 4) != "IDAT")
        {
            idat += 12 + System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(idat));
        }
        return [.. png[..idat], .. chunk, .. png[idat..]];
    }

    [Fact]
    public void Decodes_a_1x1_interlaced_PNG_that_ImageSharp_never_returns_from()
    {
        // Written by ImageSharp's own encoder (palette, Adam7); its decoder spins on it at 100 % CPU.
        var png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAMAAAFfzAQtAAAAA1BMVEU/HHegWya1AAAACXBIWXMAAA7EAAAOxAGVKw4bAAAACklEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg==");
        var decoder = new ImageDecoder(new ImageDecodeLimits(MaxPixels: 4096L * 4096, MaxSide: 16384));
        using var decoded = decoder.Decode(png, out var path);
        Assert.Equal(ImageDecodePath.Png, path);
        Assert.Equal([GrayImage.Luma(0x3F, 0x1C, 0x77)], decoded.Gray.ToArray()); // the palette's one colour
    }

    [Fact]
    public void An_interlaced_PNG_whose_data_ends_early_is_refused_without_ImageSharp()
    {
        using var source = Noise(64, 48, 3, transparent: false, smooth: false);
        var png = TestImages.Encode(source, new PngEncoder { ColorType = PngColorType.Rgb, InterlaceMethod = PngInterlaceMode.Adam7 });
        Assert.False(FastPngDecoder.TryDecode(png[..(png.Length / 2)], out _));
        var decoder = new ImageDecoder(new ImageDecodeLimits(MaxPixels: 4096L * 4096, MaxSide: 16384));
        var rejection = Assert.Throws<ImageRejectedException>(() => decoder.Decode(png[..(png.Length / 2)], out _).Dispose());
        Assert.Equal(ImageRejection.Unreadable, rejection.Reason);
    }

    [Fact]
    public void Refuses_damaged_data_instead_of_guessing()
    {
        using var source = Noise(50, 50, 3, transparent: false, smooth: false);
        var png = TestImages.Encode(source, new PngEncoder { ColorType = PngColorType.Rgb });
        Assert.False(FastPngDecoder.TryDecode(png[..(png.Length / 2)], out _));
        var flipped = (byte[])png.Clone();
        flipped[png.Length / 2] ^= 0xFF;
        if (FastPngDecoder.TryDecode(flipped, out var image))
        {
            image!.Dispose(); // zlib may still inflate it; then the pixels differ but nothing breaks
        }
    }
}
