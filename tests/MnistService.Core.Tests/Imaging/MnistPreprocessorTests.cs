using MnistService.Core.Imaging;

namespace MnistService.Core.Tests.Imaging;

public sealed class MnistPreprocessorTests
{
    private static GrayImage Gray(byte[] pixels, int width, int height, byte[]? alpha = null)
    {
        var image = GrayImage.Rent(width, height, alpha is not null);
        pixels.CopyTo(image.Gray);
        alpha?.CopyTo(image.Alpha);
        return image;
    }

    private static float[] Process(GrayImage image)
    {
        var output = new float[784];
        using (image)
        {
            MnistPreprocessor.Process(image, output);
        }
        return output;
    }

    private static (double X, double Y) CentreOfMass(float[] image)
    {
        var mass = image.Sum();
        return (image.Select((v, i) => v * (i % 28)).Sum() / mass, image.Select((v, i) => v * (i / 28)).Sum() / mass);
    }

    private static (int Width, int Height) InkBox(float[] image)
    {
        var ink = Enumerable.Range(0, 784).Where(i => image[i] > 0).ToList();
        return (ink.Max(i => i % 28) - ink.Min(i => i % 28) + 1, ink.Max(i => i / 28) - ink.Min(i => i / 28) + 1);
    }

    [Fact]
    public void MNIST_digits_pass_through_unchanged()
    {
        var unchanged = 0;
        for (var i = 0; i < MnistTestSet.Images.Length; i++)
        {
            var pixels = MnistTestSet.Images[i];
            var output = Process(Gray(pixels, 28, 28));
            if (output.SequenceEqual(pixels.Select(p => p / 255f)))
            {
                unchanged++;
            }
        }
        // Everything MNIST already is stays as it is (a handful of digits sit more than a pixel off centre).
        Assert.True(unchanged >= 9_950, $"only {unchanged} of 10,000 MNIST digits passed through unchanged");
    }

    [Fact]
    public void Black_on_white_becomes_white_on_black_centred_in_a_20x20_box()
    {
        var ink = TestImages.Enlarge(MnistTestSet.Images[0], 8, out var side);
        var width = side + 150;
        var canvas = Enumerable.Repeat((byte)255, width * side).ToArray();
        for (var y = 0; y < side; y++)
        {
            for (var x = 0; x < side; x++)
            {
                canvas[y * width + x + 150] = (byte)(255 - ink[y * side + x]); // at the right edge
            }
        }
        var output = Process(Gray(canvas, width, side));
        Assert.Equal(0f, output[0]);
        Assert.InRange(output.Max(), 0.9f, 1f);
        var (cx, cy) = CentreOfMass(output);
        Assert.InRange(cx, 13.5, 14.5);
        Assert.InRange(cy, 13.5, 14.5);
        var (w, h) = InkBox(output);
        Assert.True(Math.Max(w, h) is 20 or 21, $"ink box {w}x{h}");
    }

    [Fact]
    public void Small_digits_are_enlarged_to_the_20x20_box()
    {
        var canvas = new byte[200 * 200];
        for (var y = 90; y < 100; y++)
        {
            for (var x = 50; x < 54; x++)
            {
                canvas[y * 200 + x] = 255; // a 4x10 bar, white on black
            }
        }
        var output = Process(Gray(canvas, 200, 200));
        var (w, h) = InkBox(output);
        Assert.Equal(20, h);
        Assert.InRange(w, 8, 10);
    }

    [Fact]
    public void Transparency_is_composited_onto_a_contrasting_background()
    {
        var ink = TestImages.Enlarge(MnistTestSet.Images[1], 5, out var side);
        var black = new byte[side * side]; // black strokes; the shape is in alpha
        var fromAlpha = Process(Gray(black, side, side, ink));
        var fromGray = Process(Gray(ink, side, side));
        Assert.Equal(fromGray, fromAlpha);
    }

    [Fact]
    public void Noisy_paper_does_not_count_as_ink()
    {
        var random = new Random(5);
        var ink = TestImages.Enlarge(MnistTestSet.Images[2], 6, out var side);
        var width = side + 100;
        var canvas = new byte[width * width];
        for (var i = 0; i < canvas.Length; i++)
        {
            canvas[i] = (byte)(225 + random.Next(-6, 7)); // grey, grainy paper
        }
        for (var y = 0; y < side; y++)
        {
            for (var x = 0; x < side; x++)
            {
                canvas[(y + 50) * width + x + 20] = (byte)Math.Min(canvas[(y + 50) * width + x + 20], 225 - ink[y * side + x] * 0.8);
            }
        }
        var output = Process(Gray(canvas, width, width));
        var (w, h) = InkBox(output);
        Assert.True(Math.Max(w, h) <= 21, $"noise widened the ink box to {w}x{h}");
        Assert.InRange(output.Max(), 0.9f, 1f);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(255)]
    [InlineData(200)]
    public void Uniform_images_are_empty(byte level) =>
        Assert.Equal(ImageRejection.Blank, Assert.Throws<ImageRejectedException>(() => Process(Gray(Enumerable.Repeat(level, 100 * 80).ToArray(), 100, 80))).Reason);

    [Fact]
    public void A_faint_smudge_is_not_a_digit()
    {
        var canvas = Enumerable.Repeat((byte)255, 100 * 100).ToArray();
        canvas[5050] = 240;
        Assert.Equal(ImageRejection.Blank, Assert.Throws<ImageRejectedException>(() => Process(Gray(canvas, 100, 100))).Reason);
    }

    [Fact]
    public void Fully_transparent_is_empty() =>
        Assert.Equal(ImageRejection.Blank, Assert.Throws<ImageRejectedException>(() => Process(Gray(new byte[50 * 50], 50, 50, new byte[50 * 50]))).Reason);

    [Fact]
    public void Ink_shrunk_by_a_whole_factor_is_the_mean_of_each_block_edges_included()
    {
        using var ink = InkImage.Rent(5, 3);
        byte[] levels = [
            255, 255, 0, 0, 90,
            255, 255, 0, 100, 30,
            60, 0, 200, 0, 255,
        ];
        levels.CopyTo(ink.Levels);

        using var shrunk = ink.Shrunk(2);

        Assert.Equal((3, 2), (shrunk.Width, shrunk.Height));
        Assert.Equal([255, 25, 60, 30, 100, 255], shrunk.Levels.ToArray());
    }
}
