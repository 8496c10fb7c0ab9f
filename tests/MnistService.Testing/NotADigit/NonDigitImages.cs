using SkiaSharp;

namespace MnistService.Testing.NotADigit;

/// <summary>One generated upload: what it shows (<see cref="Kind"/>), its encoded bytes and their Content-Type.</summary>
/// <param name="Kind">letters, symbols, shapes, scribbles, noise, blank (non-digits); digits (MNIST test digits).</param>
/// <param name="Name">What exactly it shows, for a message: "letter K, DejaVuSerif-Bold, rotated -12°, white on dark, JPEG".</param>
/// <param name="Label">The digit, for <c>digits</c>; null otherwise.</param>
public sealed record UploadSample(string Kind, string Name, byte[] Bytes, string ContentType, int? Label = null)
{
    public bool IsBlank => Kind == NonDigitImages.Blank;
    public override string ToString() => Name;
}

/// <summary>
/// The generated non-digit set: printed letters and symbols that do not look like digits in the machine's fonts,
/// rotated; shapes; random pen scribbles; noise; blanks (a flat value, or a few stray specks), each as dark ink on
/// paper or white on a dark canvas, as PNG or JPEG. The same seed gives the same images.
/// </summary>
public static class NonDigitImages
{
    public const string Letters = "letters", Symbols = "symbols", Shapes = "shapes", Scribbles = "scribbles", Noise = "noise", Blank = "blank";

    /// <summary>The non-digit kinds, in the order reports list them.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [Letters, Symbols, Shapes, Scribbles, Noise, Blank];

    /// <summary>Letters that no handwriting of a digit resembles (no I, l, O, o, S, Z, B, G, b, g, q, D...).</summary>
    public const string LetterGlyphs = "ACEFHKMNPRTVWXYaehkmnrtwxy";

    /// <summary>Symbols unlike a digit.</summary>
    public const string SymbolGlyphs = "#@&%*+=?<>{}~€¶";

    /// <summary><paramref name="perKind"/> images of every non-digit kind, from <paramref name="seed"/>.</summary>
    public static IReadOnlyList<UploadSample> Generate(int perKind, int seed = 2024)
    {
        var fonts = FontFiles.All;
        var random = new Random(seed);
        var samples = new List<UploadSample>();
        foreach (var kind in Kinds)
        {
            for (var i = 0; i < perKind; i++)
            {
                samples.Add(Make(kind, random, fonts));
            }
        }
        return samples;
    }

    private static UploadSample Make(string kind, Random random, IReadOnlyList<string> fonts)
    {
        var width = random.Next(160, 420);
        var height = random.Next(160, 420);
        var darkInk = random.Next(2) == 0; // dark ink on paper, or white on a dark canvas
        var paper = darkInk ? (byte)random.Next(215, 256) : (byte)random.Next(0, 40);
        var ink = darkInk ? (byte)random.Next(0, 70) : (byte)random.Next(200, 256);
        var jpeg = random.Next(2) == 0;
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(paper, paper, paper));
            using var pen = new SKPaint
            {
                Color = new SKColor(ink, ink, ink),
                IsAntialias = true,
                StrokeWidth = random.Next(4, Math.Max(6, Math.Min(width, height) / 12)),
                StrokeCap = SKStrokeCap.Round,
                StrokeJoin = SKStrokeJoin.Round,
                Style = SKPaintStyle.Stroke,
            };
            var what = kind switch
            {
                Letters => Glyph(canvas, pen, random, fonts, LetterGlyphs, "letter", width, height),
                Symbols => Glyph(canvas, pen, random, fonts, SymbolGlyphs, "symbol", width, height),
                Shapes => NonDigitShapes.Draw(canvas, pen, random, width, height),
                Scribbles => Scribble(canvas, pen, random, width, height),
                Noise => DrawNoise(bitmap, random, paper, ink),
                _ => DrawBlank(bitmap, random, paper, ink),
            };
            var name = $"{what}, {(darkInk ? "dark on paper" : "white on dark")}, {width}x{height} {(jpeg ? "JPEG" : "PNG")}";
            return new UploadSample(kind, name, Encode(bitmap, jpeg, random), jpeg ? "image/jpeg" : "image/png");
        }
    }

    internal static byte[] Encode(SKBitmap bitmap, bool jpeg, Random random)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png, jpeg ? random.Next(60, 96) : 100);
        return data.ToArray();
    }

    private static string Glyph(SKCanvas canvas, SKPaint pen, Random random, IReadOnlyList<string> fonts, string glyphs, string noun, int width, int height)
    {
        var glyph = glyphs[random.Next(glyphs.Length)].ToString();
        var fontFile = fonts[random.Next(fonts.Count)];
        using var typeface = SKTypeface.FromFile(fontFile);
        using var font = new SKFont(typeface, Math.Min(width, height) * (float)(0.4 + 0.4 * random.NextDouble()));
        using var fill = new SKPaint { Color = pen.Color, IsAntialias = true, Style = SKPaintStyle.Fill };
        var angle = random.Next(-30, 31);
        font.MeasureText(glyph, out var bounds, fill);
        canvas.Save();
        var cx = width * (float)(0.3 + 0.4 * random.NextDouble());
        var cy = height * (float)(0.3 + 0.4 * random.NextDouble());
        canvas.Translate(cx, cy);
        canvas.RotateDegrees(angle);
        canvas.DrawText(glyph, -bounds.MidX, -bounds.MidY, SKTextAlign.Left, font, fill);
        canvas.Restore();
        return $"{noun} {glyph}, {Path.GetFileNameWithoutExtension(fontFile)}, rotated {angle}°";
    }

    /// <summary>A few random pen strokes, each a chain of curves: what a child or a cat leaves on a canvas.</summary>
    private static string Scribble(SKCanvas canvas, SKPaint pen, Random random, int width, int height)
    {
        var strokes = random.Next(2, 6);
        for (var s = 0; s < strokes; s++)
        {
            using var path = new SKPath();
            SKPoint Point() => new(random.Next(width / 10, width - width / 10), random.Next(height / 10, height - height / 10));
            path.MoveTo(Point());
            var curves = random.Next(2, 6);
            for (var c = 0; c < curves; c++)
            {
                path.CubicTo(Point(), Point(), Point());
            }
            canvas.DrawPath(path, pen);
        }
        return $"scribble of {strokes} strokes";
    }

    private static string DrawNoise(SKBitmap bitmap, Random random, byte paper, byte ink)
    {
        var style = random.Next(3);
        var pixels = bitmap.Pixels;
        var density = 0.05 + 0.45 * random.NextDouble();
        for (var i = 0; i < pixels.Length; i++)
        {
            var v = style switch
            {
                0 => (byte)random.Next(256), // uniform
                1 => random.NextDouble() < density ? ink : paper, // salt and pepper
                _ => (byte)Math.Clamp(paper + (ink - paper) * Math.Abs(Gaussian(random)) / 2.5, 0, 255), // grain
            };
            pixels[i] = new SKColor(v, v, v);
        }
        bitmap.Pixels = pixels;
        return style switch { 0 => "uniform noise", 1 => $"salt and pepper {density:P0}", _ => "film grain" };
    }

    /// <summary>Nothing drawn: one flat value, or a few stray specks of dust (one to three pixels each).</summary>
    private static string DrawBlank(SKBitmap bitmap, Random random, byte paper, byte ink)
    {
        var specks = random.Next(3) == 0 ? 0 : random.Next(1, 6);
        for (var s = 0; s < specks; s++)
        {
            int x = random.Next(bitmap.Width - 2), y = random.Next(bitmap.Height - 2), size = random.Next(1, 3);
            for (var dy = 0; dy < size; dy++)
            {
                for (var dx = 0; dx < size; dx++)
                {
                    bitmap.SetPixel(x + dx, y + dy, new SKColor(ink, ink, ink));
                }
            }
        }
        return specks == 0 ? "blank" : $"blank with {specks} specks";
    }

    internal static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
