namespace MnistService.Core.Imaging;

// JSON pixels made MNIST-like as images are, and the one rule for a blank image.
public static partial class MnistPreprocessor
{
    /// <summary>The most stray specks of dust an image may hold and still count as blank.</summary>
    public const int MaxSpecks = 5;

    /// <summary>
    /// The one answer to an image with no ink, whatever path it came by: one flat value, or nothing but a few
    /// stray specks (see <see cref="IsSpecksOnly"/>).
    /// </summary>
    public static ImageRejectedException Blank() =>
        new(ImageRejection.Blank, "No digit found: the image is blank (one flat value, or only a few stray specks).");

    /// <summary>
    /// Network input for a 28x28 image given as values in [0,1] (row-major, ink bright as in MNIST, though either
    /// polarity is read), made MNIST-like as any image is: an MNIST digit comes out unchanged.
    /// </summary>
    /// <exception cref="ImageRejectedException"><see cref="ImageRejection.Blank"/>.</exception>
    public static void ProcessPixels(ReadOnlySpan<float> pixels, Span<float> output)
    {
        using var image = FromPixels(pixels);
        Process(image, output);
    }

    /// <summary>
    /// Throws <see cref="Blank"/> for 28x28 values in [0,1] that <see cref="ProcessPixels"/> would refuse as blank,
    /// leaving them as they are (for values sent to the network untouched): the same rule on every path.
    /// </summary>
    /// <exception cref="ImageRejectedException">The values are blank.</exception>
    public static void EnsureNotBlank(ReadOnlySpan<float> pixels) => ProcessPixels(pixels, stackalloc float[Side * Side]);

    private static GrayImage FromPixels(ReadOnlySpan<float> pixels)
    {
        if (pixels.Length != Side * Side)
        {
            throw new ArgumentException("Expected 28x28 values.", nameof(pixels));
        }
        var image = GrayImage.Rent(Side, Side, withAlpha: false);
        var gray = image.Gray;
        for (var i = 0; i < gray.Length; i++)
        {
            gray[i] = (byte)MathF.Round(Math.Clamp(pixels[i], 0f, 1f) * 255f);
        }
        return image;
    }

    /// <summary>
    /// Clear ink (at least <see cref="BoxFraction"/> of the contrast: JPEG ringing around a speck is fainter) that
    /// covers no more than <see cref="MaxSpecks"/> specks of a side of 1 % of the image's shorter side (at least 2
    /// pixels) is dust, not a drawing: 20 pixels on a 28x28 image (every MNIST test digit has 34 or more), 39 on a
    /// 280x280 canvas, 4,500 on a 3000x4000 photo, where a digit written 10 pixels thick and 300 long covers 3,000 or
    /// more. Counting stops at that budget, so a real drawing costs a few rows.
    /// </summary>
    private static bool IsSpecksOnly(ReadOnlySpan<byte> gray, int width, int height, bool invert, int threshold, (int Left, int Top, int Right, int Bottom) box)
    {
        if (box.Right < box.Left)
        {
            return true;
        }
        var speck = Math.Max(2.0, Math.Min(width, height) / 100.0);
        var budget = (int)(MaxSpecks * speck * speck);
        var (low, high) = InkRange(invert, threshold);
        var inked = 0;
        for (var y = box.Top; y <= box.Bottom; y++)
        {
            var row = gray.Slice(y * width + box.Left, box.Right - box.Left + 1);
            for (var x = row.IndexOfAnyInRange(low, high); x >= 0; x = row.Slice(++x).IndexOfAnyInRange(low, high) is var next and >= 0 ? x + next : -1)
            {
                if (++inked > budget)
                {
                    return false;
                }
            }
        }
        return true;
    }
}
