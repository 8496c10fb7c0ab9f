using MnistService.Core.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace MnistService.Browser.Tests.Infrastructure;

/// <summary>Digits to draw (polylines in pad units) and to upload (MNIST test images as files).</summary>
public static class Digits
{
    /// <summary>A 1, a 0 and a 7 as a person draws them: one stroke each, filling the pad's frame.</summary>
    public static (double X, double Y)[][] Strokes(int digit) => digit switch
    {
        1 => [[(0.53, 0.18), (0.51, 0.40), (0.49, 0.62), (0.47, 0.82)]],
        0 => [Ellipse(0.5, 0.5, 0.2, 0.31, 28)],
        7 => [[(0.30, 0.22), (0.50, 0.21), (0.70, 0.22), (0.60, 0.42), (0.52, 0.62), (0.46, 0.82)]],
        _ => throw new ArgumentOutOfRangeException(nameof(digit), "Only 1, 0 and 7 are drawn by the tests."),
    };

    private static (double X, double Y)[] Ellipse(double cx, double cy, double rx, double ry, int points) =>
        Enumerable.Range(0, points + 2)
            .Select(i => 2 * Math.PI * i / points - Math.PI / 2)
            .Select(a => (cx + rx * Math.Cos(a), cy + ry * Math.Sin(a)))
            .ToArray();

    private static readonly Lazy<(byte[] Pixels, byte[] Labels)> TestSet = new(() =>
    {
        var directory = MnistLocator.Locate().Directory;
        string Read(string name) => MnistFiles.Find(directory, name)
            ?? throw new FileNotFoundException($"MNIST {name} not found in {directory} (set MNIST_DATA_DIR or provide ../shared/mnist).");
        var images = IdxFile.Read(new MemoryStream(Mnist.ReadContent(Read(MnistFiles.TestImages))));
        var labels = IdxFile.Read(new MemoryStream(Mnist.ReadContent(Read(MnistFiles.TestLabels))));
        return (images.Data, labels.Data);
    });

    /// <summary>The label of an MNIST test image.</summary>
    public static int TestLabel(int index) => TestSet.Value.Labels[index];

    /// <summary>
    /// An MNIST test image as a user would photograph it: dark ink on white paper, enlarged to
    /// <paramref name="size"/> pixels, off centre on a larger sheet, encoded as PNG or JPEG.
    /// </summary>
    public static byte[] TestImageFile(int index, int size = 168, bool jpeg = false)
    {
        var pixels = TestSet.Value.Pixels.AsSpan(index * 784, 784).ToArray();
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (byte)(255 - pixels[i]);
        using var digit = Image.LoadPixelData<L8>(pixels, 28, 28);
        digit.Mutate(x => x.Resize(size, size, KnownResamplers.Bicubic));
        using var sheet = new Image<L8>(size * 2, size + size / 2, new L8(255));
        sheet.Mutate(x => x.DrawImage(digit, new Point(size / 5, size / 6), 1f));
        using var stream = new MemoryStream();
        if (jpeg) sheet.SaveAsJpeg(stream); else sheet.SaveAsPng(stream);
        return stream.ToArray();
    }
}
