using MnistService.Core.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace MnistService.Testing;

/// <summary>How a generated number is written.</summary>
public enum NumberStyle
{
    /// <summary>Digits apart, some groups, black ink on white, PNG.</summary>
    Spaced,
    /// <summary>Digits touching and overlapping (up to a fifth of a digit), black on white, PNG.</summary>
    Tight,
    /// <summary>Dark ink on grey paper with noise, rotated up to 3 degrees, JPEG; digits apart, some groups.</summary>
    Paper,
    /// <summary>White ink on a dark canvas, PNG; digits apart, some groups.</summary>
    Dark,
}

/// <summary>A generated number: the image, its type, the digits written (space between groups) and the test digits used.</summary>
public sealed record NumberImage(byte[] Bytes, string ContentType, string Text, int[] Indices, NumberStyle Style);

/// <summary>
/// Numbers of 4 to 12 digits written with MNIST test digits (or another MNIST set's): each digit's ink box scaled to a
/// common height (40-80 pixels), placed left to right on one line with a little vertical jitter, in one of the
/// <see cref="NumberStyle"/>s.
/// The same seed gives the same images.
/// </summary>
public static class NumberImages
{
    /// <param name="digits">Where the digits come from: MNIST's test set when null.</param>
    public static IEnumerable<NumberImage> Generate(NumberStyle style, int count, int seed, int minDigits = 4, int maxDigits = 12, MnistSet? digits = null)
    {
        var random = new Random(seed * 4 + (int)style);
        var available = digits?.Count ?? MnistTestSet.Labels.Length;
        for (var n = 0; n < count; n++)
        {
            var length = random.Next(minDigits, maxDigits + 1);
            var indices = Enumerable.Range(0, length).Select(_ => random.Next(available)).ToArray();
            yield return Make(style, indices, random, digits: digits);
        }
    }

    /// <summary>
    /// The digits at <paramref name="indices"/> written as one number in <paramref name="style"/>, <paramref name="height"/>
    /// pixels high (random when null), with a random margin, or centred on a canvas of <paramref name="canvas"/>'s size;
    /// the digits of MNIST's test set, or of <paramref name="digits"/>.
    /// </summary>
    public static NumberImage Make(NumberStyle style, int[] indices, Random random, int? height = null, Size? canvas = null, MnistSet? digits = null)
    {
        var lineHeight = height ?? random.Next(40, 81);
        var glyphs = indices.Select(i => Glyph(digits?.PixelsOf(i).ToArray() ?? MnistTestSet.Images[i], lineHeight)).ToArray();
        var labels = digits?.Labels ?? MnistTestSet.Labels;
        // Gaps between ink boxes, in line heights: apart 0.12-0.35, a group break 0.9-1.4; tight -0.2 (overlap) to 0.
        var gaps = new int[glyphs.Length];
        var text = new System.Text.StringBuilder();
        for (var i = 0; i < glyphs.Length; i++)
        {
            if (i > 0)
            {
                var group = style != NumberStyle.Tight && i >= 2 && i <= glyphs.Length - 2 && random.NextDouble() < 0.2;
                var gap = style == NumberStyle.Tight
                    ? -random.NextDouble() * 0.2 * Math.Min(glyphs[i - 1].Width, glyphs[i].Width) / lineHeight
                    : group ? 0.9 + random.NextDouble() * 0.5 : 0.12 + random.NextDouble() * 0.23;
                gaps[i] = (int)Math.Round(gap * lineHeight);
                if (group)
                {
                    text.Append(' ');
                }
            }
            text.Append((char)('0' + labels[indices[i]]));
        }
        var lineWidth = glyphs.Sum(g => g.Width) + gaps.Sum();
        var margin = lineHeight / 2 + random.Next(0, lineHeight);
        var size = canvas ?? new Size(lineWidth + 2 * margin, lineHeight + 2 * margin);
        if (size.Width < lineWidth + 4 || size.Height < lineHeight * 1.1 + 4)
        {
            throw new ArgumentException($"The number needs {lineWidth}x{lineHeight} pixels; the canvas is {size}.", nameof(canvas));
        }
        using var ink = new Image<L8>(size.Width, size.Height, new L8(0));
        var x = (size.Width - lineWidth) / 2;
        for (var i = 0; i < glyphs.Length; i++)
        {
            x += gaps[i];
            var y = (size.Height - lineHeight) / 2 + (int)Math.Round((random.NextDouble() - 0.5) * 0.1 * lineHeight);
            Stamp(ink, glyphs[i], x, y);
            x += glyphs[i].Width;
            glyphs[i].Dispose();
        }
        var (bytes, type) = Render(style, ink, random);
        return new NumberImage(bytes, type, text.ToString(), indices, style);
    }

    /// <summary>The digit's ink box (pixels over 0), scaled so that its height is <paramref name="lineHeight"/>.</summary>
    private static Image<L8> Glyph(byte[] pixels, int lineHeight)
    {
        int left = 28, top = 28, right = -1, bottom = -1;
        for (var i = 0; i < pixels.Length; i++)
        {
            if (pixels[i] > 0)
            {
                left = Math.Min(left, i % 28);
                right = Math.Max(right, i % 28);
                top = Math.Min(top, i / 28);
                bottom = Math.Max(bottom, i / 28);
            }
        }
        var image = Image.LoadPixelData<L8>(pixels, 28, 28);
        var scale = (double)lineHeight / (bottom - top + 1);
        image.Mutate(c => c.Crop(new Rectangle(left, top, right - left + 1, bottom - top + 1))
            .Resize(Math.Max(1, (int)Math.Round((right - left + 1) * scale)), lineHeight, KnownResamplers.Bicubic));
        return image;
    }

    /// <summary>Ink laid on ink: where digits overlap the stronger ink wins, as with a pen.</summary>
    private static void Stamp(Image<L8> canvas, Image<L8> glyph, int left, int top)
    {
        for (var y = 0; y < glyph.Height; y++)
        {
            for (var x = 0; x < glyph.Width; x++)
            {
                var value = glyph[x, y].PackedValue;
                if (value > canvas[left + x, top + y].PackedValue)
                {
                    canvas[left + x, top + y] = new L8(value);
                }
            }
        }
    }

    private static (byte[] Bytes, string Type) Render(NumberStyle style, Image<L8> ink, Random random)
    {
        var png = new PngEncoder { ColorType = PngColorType.Grayscale, CompressionLevel = PngCompressionLevel.BestSpeed };
        switch (style)
        {
            case NumberStyle.Dark:
            {
                var background = random.Next(10, 60);
                ink.ProcessPixelRows(rows => ForEach(rows, v => (byte)(background + v * (255 - background) / 255)));
                return (TestImages.Encode(ink, png), "image/png");
            }
            case NumberStyle.Paper:
            {
                var angle = (float)(random.NextDouble() * 6 - 3);
                ink.Mutate(c => c.Rotate(angle, KnownResamplers.Bicubic)); // the new corners are black: no ink
                int paper = random.Next(150, 211), pen = random.Next(10, 60);
                var noise = new Random(random.Next());
                ink.ProcessPixelRows(rows => ForEach(rows, v =>
                {
                    var gray = paper + (pen - paper) * v / 255.0 + Gaussian(noise) * 6;
                    return (byte)Math.Clamp(Math.Round(gray), 0, 255);
                }));
                using var color = ink.CloneAs<Rgb24>();
                return (TestImages.Encode(color, new JpegEncoder { Quality = 80 }), "image/jpeg");
            }
            default:
                ink.ProcessPixelRows(rows => ForEach(rows, v => (byte)(255 - v)));
                return (TestImages.Encode(ink, png), "image/png");
        }
    }

    private static void ForEach(PixelAccessor<L8> rows, Func<byte, byte> map)
    {
        for (var y = 0; y < rows.Height; y++)
        {
            foreach (ref var pixel in rows.GetRowSpan(y))
            {
                pixel = new L8(map(pixel.PackedValue));
            }
        }
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>Levenshtein distance between two digit strings (spaces ignored): digits wrong, missing or extra.</summary>
    public static int EditDistance(string read, string written)
    {
        var a = read.Replace(" ", "", StringComparison.Ordinal);
        var b = written.Replace(" ", "", StringComparison.Ordinal);
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
