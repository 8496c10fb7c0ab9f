using SkiaSharp;

namespace MnistService.Testing.NotADigit;

/// <summary>
/// MNIST test digits as people upload them: enlarged 5-10 times, off centre on a larger canvas, drawn with a
/// thin, normal or thick pen, dark on paper or white on a dark canvas, as PNG or JPEG. The same seed gives the same set.
/// </summary>
public static class DigitUploads
{
    public const string Kind = "digits";

    /// <summary><paramref name="count"/> uploads of test digits spread evenly over the test set.</summary>
    public static IReadOnlyList<UploadSample> Generate(int count, int seed = 2025)
    {
        var random = new Random(seed);
        var images = MnistTestSet.Images;
        var labels = MnistTestSet.Labels;
        var step = Math.Max(1, images.Length / count);
        return [.. Enumerable.Range(0, count).Select(k => Make(k * step % images.Length, images[k * step % images.Length], labels[k * step % images.Length], random))];
    }

    private static UploadSample Make(int index, byte[] pixels, byte label, Random random)
    {
        var placement = TestImages.Placement.Random(random);
        var ink = TestImages.Enlarge(pixels, placement.Scale, out var side);
        var pen = random.Next(3);
        ink = pen switch
        {
            0 => Thin(ink),
            2 => Thicken(ink, side, placement.Scale / 2),
            _ => ink,
        };
        var darkInk = random.Next(2) == 0;
        var jpeg = random.Next(2) == 0;
        var paper = darkInk ? 255 : 0;
        using var bitmap = new SKBitmap(new SKImageInfo(placement.CanvasWidth, placement.CanvasHeight, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = new SKColor[placement.CanvasWidth * placement.CanvasHeight];
        Array.Fill(canvas, new SKColor((byte)paper, (byte)paper, (byte)paper));
        for (var y = 0; y < side; y++)
        {
            for (var x = 0; x < side; x++)
            {
                var v = (byte)(darkInk ? 255 - ink[y * side + x] : ink[y * side + x]);
                canvas[(placement.Top + y) * placement.CanvasWidth + placement.Left + x] = new SKColor(v, v, v);
            }
        }
        bitmap.Pixels = canvas;
        string[] pens = ["thin", "normal", "thick"];
        var name = $"test digit {index} ({label}), {pens[pen]} pen, x{placement.Scale}, {(darkInk ? "dark on paper" : "white on dark")}, {(jpeg ? "JPEG" : "PNG")}";
        return new UploadSample(Kind, name, NonDigitImages.Encode(bitmap, jpeg, random), jpeg ? "image/jpeg" : "image/png", label);
    }

    /// <summary>A thinner pen: only the stroke's core stays ink.</summary>
    private static byte[] Thin(byte[] ink) => [.. ink.Select(v => (byte)Math.Clamp((v - 128) * 2, 0, 255))];

    /// <summary>A thicker pen: every pixel takes the strongest ink within <paramref name="radius"/> (a square max filter).</summary>
    private static byte[] Thicken(byte[] ink, int side, int radius)
    {
        var rows = new byte[ink.Length];
        for (var y = 0; y < side; y++)
        {
            for (var x = 0; x < side; x++)
            {
                byte max = 0;
                for (var dx = Math.Max(0, x - radius); dx <= Math.Min(side - 1, x + radius); dx++)
                {
                    max = Math.Max(max, ink[y * side + dx]);
                }
                rows[y * side + x] = max;
            }
        }
        var result = new byte[ink.Length];
        for (var y = 0; y < side; y++)
        {
            for (var x = 0; x < side; x++)
            {
                byte max = 0;
                for (var dy = Math.Max(0, y - radius); dy <= Math.Min(side - 1, y + radius); dy++)
                {
                    max = Math.Max(max, rows[dy * side + x]);
                }
                result[y * side + x] = max;
            }
        }
        return result;
    }
}
