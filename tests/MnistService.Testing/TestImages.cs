using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace MnistService.Testing;

/// <summary>Images made in the test: MNIST digits as files, and the same digits drawn the way users draw them.</summary>
public static class TestImages
{
    public static byte[] Encode<TPixel>(Image<TPixel> image, IImageEncoder encoder) where TPixel : unmanaged, IPixel<TPixel>
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    /// <summary>An MNIST digit as it is: a 28x28 grayscale PNG, white ink on black.</summary>
    public static byte[] MnistPng(byte[] pixels)
    {
        using var image = Image.LoadPixelData<L8>(pixels, 28, 28);
        return Encode(image, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 });
    }

    /// <summary>The digit enlarged <paramref name="scale"/> times (bicubic), as 0-255 ink values.</summary>
    public static byte[] Enlarge(byte[] pixels, int scale, out int side)
    {
        var size = side = 28 * scale;
        using var image = Image.LoadPixelData<L8>(pixels, 28, 28);
        image.Mutate(x => x.Resize(size, size, KnownResamplers.Bicubic));
        var result = new byte[side * side];
        image.CopyPixelDataTo(result);
        return result;
    }

    /// <summary>How a user draws: large, somewhere off centre, on a canvas of a different size.</summary>
    public sealed record Placement(int Scale, int CanvasWidth, int CanvasHeight, int Left, int Top)
    {
        public static Placement Random(Random random)
        {
            var scale = random.Next(5, 10);
            var side = 28 * scale;
            var width = side + random.Next(20, 200);
            var height = side + random.Next(20, 200);
            return new Placement(scale, width, height, random.Next(0, width - side), random.Next(0, height - side));
        }
    }

    /// <summary>The pen a digit is drawn with, relative to MNIST's strokes.</summary>
    public enum Pen { AsWritten, Thin, Thick }

    /// <summary>
    /// The enlarged digit drawn with <paramref name="pen"/>: a thick pen widens every stroke by half an MNIST
    /// pixel on each side (the largest ink value within that square), a thin one narrows it by a third of one
    /// (the smallest).
    /// </summary>
    public static byte[] Draw(byte[] pixels, int scale, Pen pen, out int side)
    {
        var ink = Enlarge(pixels, scale, out side);
        return pen switch
        {
            Pen.Thick => SquareFilter(ink, side, Math.Max(1, scale / 2), Math.Max),
            Pen.Thin => SquareFilter(ink, side, Math.Max(1, scale / 3), Math.Min),
            _ => ink,
        };
    }

    /// <summary>The <paramref name="pick"/> (max or min) of each (2r+1)² square, separably: along rows, then columns.</summary>
    private static byte[] SquareFilter(byte[] image, int side, int radius, Func<byte, byte, byte> pick) =>
        LineFilter(LineFilter(image, side, radius, pick, step: 1), side, radius, pick, step: side);

    /// <summary>The pick of each pixel's 2r+1 neighbours along a row (<paramref name="step"/> 1) or a column (step = side).</summary>
    private static byte[] LineFilter(byte[] image, int side, int radius, Func<byte, byte, byte> pick, int step)
    {
        var result = new byte[image.Length];
        for (var i = 0; i < image.Length; i++)
        {
            var (along, lineStart) = step == 1 ? (i % side, i - i % side) : (i / side, i % side);
            var v = image[i];
            for (var d = Math.Max(0, along - radius); d <= Math.Min(side - 1, along + radius); d++)
            {
                v = pick(v, image[lineStart + d * step]);
            }
            result[i] = v;
        }
        return result;
    }

    /// <summary>
    /// A digit as the page's users send it: drawn large and off centre with a thin, ordinary or thick pen,
    /// as black ink on white JPEG or on a transparent PNG, all picked by <paramref name="random"/>.
    /// </summary>
    public static (byte[] Bytes, string ContentType) CanvasLike(byte[] pixels, Random random)
    {
        var placement = Placement.Random(random);
        var pen = (Pen)random.Next(3);
        return random.Next(2) == 0
            ? (BlackOnWhiteJpeg(pixels, placement, pen: pen), "image/jpeg")
            : (TransparentPng(pixels, placement, pen: pen), "image/png");
    }

    /// <summary>Black ink on white paper, drawn large and off centre, as a JPEG.</summary>
    public static byte[] BlackOnWhiteJpeg(byte[] pixels, Placement placement, int quality = 90, Pen pen = Pen.AsWritten)
    {
        var ink = Draw(pixels, placement.Scale, pen, out var side);
        var canvas = new byte[placement.CanvasWidth * placement.CanvasHeight * 3];
        Array.Fill(canvas, (byte)255);
        for (var y = 0; y < side; y++)
        {
            for (var x = 0; x < side; x++)
            {
                var v = (byte)(255 - ink[y * side + x]);
                var i = ((placement.Top + y) * placement.CanvasWidth + placement.Left + x) * 3;
                canvas[i] = canvas[i + 1] = canvas[i + 2] = v;
            }
        }
        using var image = Image.LoadPixelData<Rgb24>(canvas, placement.CanvasWidth, placement.CanvasHeight);
        return Encode(image, new JpegEncoder { Quality = quality });
    }

    /// <summary>Black strokes on a transparent canvas (what a drawing app exports), as an RGBA PNG.</summary>
    public static byte[] TransparentPng(byte[] pixels, Placement placement, Rgb24 color = default, Pen pen = Pen.AsWritten)
    {
        var ink = Draw(pixels, placement.Scale, pen, out var side);
        var canvas = new byte[placement.CanvasWidth * placement.CanvasHeight * 4];
        for (var y = 0; y < side; y++)
        {
            for (var x = 0; x < side; x++)
            {
                var i = ((placement.Top + y) * placement.CanvasWidth + placement.Left + x) * 4;
                canvas[i] = color.R;
                canvas[i + 1] = color.G;
                canvas[i + 2] = color.B;
                canvas[i + 3] = ink[y * side + x];
            }
        }
        using var image = Image.LoadPixelData<Rgba32>(canvas, placement.CanvasWidth, placement.CanvasHeight);
        // Fast settings: thousands of these are made per test run (other filters are covered by the decoder tests).
        return Encode(image, new PngEncoder
        {
            ColorType = PngColorType.RgbWithAlpha,
            CompressionLevel = PngCompressionLevel.BestSpeed,
            FilterMethod = PngFilterMethod.Up,
        });
    }

    /// <summary>The digit drawn large in black on white, in the given format.</summary>
    public static byte[] BlackOnWhite(byte[] pixels, IImageEncoder encoder, int scale = 8)
    {
        var ink = Enlarge(pixels, scale, out var side);
        var width = side + 60;
        var canvas = new byte[width * width * 3];
        Array.Fill(canvas, (byte)255);
        for (var y = 0; y < side; y++)
        {
            for (var x = 0; x < side; x++)
            {
                var i = ((10 + y) * width + 40 + x) * 3;
                canvas[i] = canvas[i + 1] = canvas[i + 2] = (byte)(255 - ink[y * side + x]);
            }
        }
        using var image = Image.LoadPixelData<Rgb24>(canvas, width, width);
        return Encode(image, encoder);
    }

    public static IEnumerable<(string ContentType, IImageEncoder Encoder)> AllFormats() =>
    [
        ("image/png", new PngEncoder()),
        ("image/jpeg", new JpegEncoder { Quality = 85 }),
        ("image/bmp", new BmpEncoder()),
        ("image/gif", new GifEncoder()),
        ("image/webp", new WebpEncoder()),
        ("image/tiff", new TiffEncoder()),
    ];

    /// <summary>
    /// A digit as a user photographs it: dark ink on white paper, enlarged to <paramref name="size"/>
    /// pixels, off centre on a larger sheet, as PNG or JPEG.
    /// </summary>
    public static byte[] OnWhitePaper(byte[] pixels, int size = 168, bool jpeg = false)
    {
        var inverted = pixels.Select(p => (byte)(255 - p)).ToArray();
        using var digit = Image.LoadPixelData<L8>(inverted, 28, 28);
        digit.Mutate(x => x.Resize(size, size, KnownResamplers.Bicubic));
        using var sheet = new Image<L8>(size * 2, size + size / 2, new L8(255));
        sheet.Mutate(x => x.DrawImage(digit, new Point(size / 5, size / 6), 1f));
        return jpeg ? Encode(sheet, new JpegEncoder()) : Encode(sheet, new PngEncoder());
    }

    /// <summary>A 280x280 black-on-white "7" drawn with a round brush, as a page's canvas exports it.</summary>
    public static byte[] CanvasSeven()
    {
        using var image = new Image<L8>(280, 280, new L8(255));
        void Stroke(int x0, int y0, int x1, int y1)
        {
            for (var t = 0; t <= 400; t++)
            {
                var x = x0 + (x1 - x0) * t / 400;
                var y = y0 + (y1 - y0) * t / 400;
                for (var dy = -9; dy <= 9; dy++)
                {
                    for (var dx = -9; dx <= 9; dx++)
                    {
                        if (dx * dx + dy * dy <= 81)
                        {
                            image[Math.Clamp(x + dx, 0, 279), Math.Clamp(y + dy, 0, 279)] = new L8(0);
                        }
                    }
                }
            }
        }
        Stroke(70, 60, 210, 60);
        Stroke(210, 60, 120, 230);
        return Encode(image, new PngEncoder());
    }

    /// <summary>A uniform image (nothing drawn), in PNG.</summary>
    public static byte[] Blank(int width, int height, byte gray)
    {
        using var image = new Image<L8>(width, height, new L8(gray));
        return Encode(image, new PngEncoder());
    }
}
