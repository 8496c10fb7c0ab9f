using MnistService.Core.Imaging;

namespace MnistService.Core.Tests.Imaging;

/// <summary>
/// The vectorised preprocessing gives exactly what the scalar code gives (both use the same float
/// operations in the same order), on the shapes where vector code goes wrong: widths that are not a
/// multiple of the vector length, ink at the image edges, inverted and transparent images, thin strokes.
/// </summary>
public sealed class MnistPreprocessorVectorTests
{
    private sealed record Drawing(string Name, int Width, int Height, byte[] Gray, byte[]? Alpha);

    private static float[] Run(Drawing drawing, bool vectorized)
    {
        using var image = GrayImage.Rent(drawing.Width, drawing.Height, drawing.Alpha is not null);
        drawing.Gray.CopyTo(image.Gray); // Process composites in place: every run starts from the same pixels
        drawing.Alpha?.CopyTo(image.Alpha);
        var output = new float[784];
        MnistPreprocessor.Process(image, output, vectorized);
        return output;
    }

    /// <summary>An MNIST digit scaled (nearest neighbour) into a box at (left, top) of a width x height canvas, 0-255 ink.</summary>
    private static byte[] Place(int digit, int width, int height, int left, int top, int boxWidth, int boxHeight)
    {
        var pixels = MnistTestSet.Images[digit];
        var ink = new byte[width * height];
        for (var y = 0; y < boxHeight; y++)
        {
            for (var x = 0; x < boxWidth; x++)
            {
                ink[(top + y) * width + left + x] = pixels[y * 28 / boxHeight * 28 + x * 28 / boxWidth];
            }
        }
        return ink;
    }

    private static byte[] Invert(byte[] ink) => ink.Select(v => (byte)(255 - v)).ToArray();

    private static readonly Lazy<Dictionary<string, Drawing>> AllDrawings = new(() => Drawings().ToDictionary(d => d.Name));

    /// <summary>The drawings by name, so that each is its own test case.</summary>
    public static TheoryData<string> DrawingNames() => new(AllDrawings.Value.Keys);

    private static List<Drawing> Drawings()
    {
        var random = new Random(11);
        var data = new List<Drawing>();
        // Box widths around the 8- and 16-pixel vector lengths, shrunk, kept and enlarged (the smallest still more ink than a few specks).
        foreach (var (boxWidth, boxHeight) in new[] { (7, 28), (15, 20), (17, 21), (33, 40), (47, 200), (129, 131), (201, 199), (20, 10) })
        {
            int width = boxWidth + 37, height = boxHeight + 23;
            data.Add(new Drawing($"white on black {boxWidth}x{boxHeight}", width, height,
                Place(boxWidth % 10, width, height, 19, 11, boxWidth, boxHeight), null));
            data.Add(new Drawing($"black on white {boxWidth}x{boxHeight}", width, height,
                Invert(Place(boxWidth % 10 + 1, width, height, 5, 17, boxWidth, boxHeight)), null));
        }
        // Ink touching each edge of the image, so the box reaches its first or last row and column.
        data.Add(new Drawing("ink at the top left", 101, 99, Place(3, 101, 99, 0, 0, 60, 70), null));
        data.Add(new Drawing("ink at the bottom right", 101, 99, Invert(Place(4, 101, 99, 41, 29, 60, 70)), null));
        data.Add(new Drawing("ink filling the image", 61, 53, Place(5, 61, 53, 0, 0, 61, 53), null));
        // Transparent canvases: dark strokes, light strokes, and a mix of opaque, transparent and partial blocks.
        var strokes = Place(6, 283, 277, 40, 30, 190, 200);
        data.Add(new Drawing("black strokes on transparency", 283, 277, new byte[283 * 277], strokes));
        data.Add(new Drawing("white strokes on transparency", 283, 277, Enumerable.Repeat((byte)250, 283 * 277).ToArray(), strokes));
        var colours = new byte[283 * 277];
        random.NextBytes(colours);
        var alpha = Place(7, 283, 277, 70, 0, 120, 277).Select((v, i) => i % 283 < 32 ? (byte)255 : v).ToArray();
        data.Add(new Drawing("random colours, partly opaque", 283, 277, colours.Select(v => (byte)(v / 8)).ToArray(), alpha));
        // One-pixel strokes: a vertical and a horizontal line, odd lengths.
        var vertical = new byte[150 * 150];
        for (var y = 20; y < 141; y++)
        {
            vertical[y * 150 + 77] = 255;
        }
        data.Add(new Drawing("1-pixel vertical line", 150, 150, vertical, null));
        var horizontal = Enumerable.Repeat((byte)255, 150 * 150).ToArray();
        for (var x = 3; x < 150; x++)
        {
            horizontal[75 * 150 + x] = 0;
        }
        data.Add(new Drawing("1-pixel horizontal line at the right edge", 150, 150, horizontal, null));
        // Grainy paper: many gray levels in the border, ink below the noise threshold.
        var paper = new byte[211 * 187];
        var ink = Place(8, 211, 187, 30, 20, 150, 150);
        for (var i = 0; i < paper.Length; i++)
        {
            paper[i] = (byte)Math.Clamp(220 + random.Next(-9, 10) - ink[i] * 0.75, 0, 255);
        }
        data.Add(new Drawing("grainy paper", 211, 187, paper, null));
        return data;
    }

    [Theory]
    [MemberData(nameof(DrawingNames))]
    public void Vector_and_scalar_code_give_identical_inputs(string name)
    {
        var drawing = AllDrawings.Value[name];
        var scalar = Run(drawing, vectorized: false);
        var vector = Run(drawing, vectorized: true);
        Assert.True(scalar.Sum() > 1, "the drawing should leave visible ink");
        Assert.Equal(scalar, vector);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Transparency_composites_exactly_like_the_formula(bool vectorized)
    {
        // Every opacity 0-255 in runs of different lengths, so whole transparent and opaque vector blocks occur too.
        const int width = 257, height = 190;
        var random = new Random(3);
        var gray = new byte[width * height];
        random.NextBytes(gray);
        for (var i = 0; i < gray.Length; i++)
        {
            gray[i] /= 6; // dark strokes: composited onto white
        }
        var alpha = new byte[width * height];
        for (var i = 0; i < alpha.Length;)
        {
            var run = random.Next(1, 80);
            var value = (i / 97 % 4) switch { 0 => (byte)0, 1 => (byte)255, _ => (byte)random.Next(256) };
            alpha.AsSpan(i, Math.Min(run, alpha.Length - i)).Fill(value);
            i += run;
        }
        for (var y = 0; y < 10; y++)
        {
            alpha.AsSpan(y * width, width).Clear(); // a transparent top margin: the background is what shows there
        }
        var composited = gray.Select((g, i) => (byte)Math.Round((g * alpha[i] + 255 * (255 - alpha[i])) / 255.0, MidpointRounding.AwayFromZero)).ToArray();

        var fromAlpha = Run(new Drawing("alpha", width, height, gray, alpha), vectorized);
        var fromComposite = Run(new Drawing("composited", width, height, composited, null), vectorized);
        Assert.Equal(fromComposite, fromAlpha);
    }

    [Fact]
    public void A_one_pixel_stroke_keeps_its_length_and_its_share_of_the_area_on_a_small_canvas()
    {
        // 30 px long: below the size at which strokes are widened to MNIST's (MinStrokeNormalisedSide).
        var line = new byte[60 * 60];
        for (var y = 15; y < 45; y++)
        {
            line[y * 60 + 29] = 255;
        }
        var output = Run(new Drawing("line", 60, 60, line, null), vectorized: true);
        var rows = Enumerable.Range(0, 28).Where(y => Enumerable.Range(0, 28).Any(x => output[y * 28 + x] > 0)).ToList();
        Assert.Equal(20, rows.Count);
        Assert.Equal(4, rows[0]); // 20 rows centred: 4 to 23
        // Area averaging: shrunk 1.5 times, the line covers two thirds of each pixel of its column.
        Assert.All(rows, y => Assert.InRange(output[y * 28 + 14], 0.666f, 0.668f));
        Assert.Equal(20 * 2f / 3, output.Sum(), 3);
    }

    [Fact]
    public void A_one_pixel_stroke_on_a_large_canvas_is_drawn_at_MNIST_width()
    {
        var line = new byte[280 * 280];
        for (var y = 40; y < 240; y++)
        {
            line[y * 280 + 139] = 255;
        }
        var output = Run(new Drawing("line", 280, 280, line, null), vectorized: true);
        var rows = Enumerable.Range(0, 28).Where(y => Enumerable.Range(0, 28).Any(x => output[y * 28 + x] > 0)).ToList();
        Assert.Equal(20, rows.Count);
        // Widened by the pen that MNIST's strokes are drawn with (about a tenth of the digit's height), not a
        // tenth of a pixel wide as the hairline shrunk 10 times would be.
        Assert.All(rows, y => Assert.InRange(Enumerable.Range(0, 28).Sum(x => output[y * 28 + x]), 1.5f, 2.5f));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Fully_transparent_is_empty_either_way(bool vectorized)
    {
        var drawing = new Drawing("transparent", 70, 45, Enumerable.Repeat((byte)9, 70 * 45).ToArray(), new byte[70 * 45]);
        Assert.Equal(ImageRejection.Blank, Assert.Throws<ImageRejectedException>(() => Run(drawing, vectorized)).Reason);
    }
}
