namespace MnistService.Core.Imaging;

// The whole picture as ink, for reading several digits: the same polarity, background and noise rules as one digit.
public static partial class MnistPreprocessor
{
    /// <summary>
    /// The ink of the whole of <paramref name="image"/>, bright on black: the same transparency, polarity and noise
    /// rules as <see cref="Process(GrayImage, Span{float})"/>, so that a part of it, cut out and passed to
    /// <see cref="Process(GrayImage, Span{float})"/>, becomes the network input that part alone would have become.
    /// Transparency is laid on its background in <paramref name="image"/> itself.
    /// </summary>
    /// <exception cref="ImageRejectedException"><see cref="ImageRejection.Blank"/>: nothing stands out from the background.</exception>
    public static InkImage ToInk(GrayImage image)
    {
        var ink = MeasureInk(image, System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated);
        Span<byte> levels = stackalloc byte[256];
        ink.Table(levels);
        var result = InkImage.Rent(image.Width, image.Height);
        var gray = image.Gray;
        var output = result.Levels;
        for (var i = 0; i < gray.Length; i++)
        {
            output[i] = levels[gray[i]];
        }
        return result;
    }
}

/// <summary>
/// Ink levels of a picture: 0 is background (or noise), 255 the strongest ink. Rented (<see cref="ImageBuffers"/>);
/// dispose to return.
/// </summary>
public sealed class InkImage : IDisposable
{
    private byte[]? _levels;

    private InkImage(int width, int height)
    {
        Width = width;
        Height = height;
        _levels = ImageBuffers.Rent(width * height);
    }

    public static InkImage Rent(int width, int height) => new(width, height);

    public int Width { get; }
    public int Height { get; }

    /// <summary>Row-major levels, <see cref="Width"/> x <see cref="Height"/>.</summary>
    public Span<byte> Levels => _levels.AsSpan(0, Width * Height);

    /// <summary>
    /// The levels shrunk by a whole <paramref name="factor"/> both ways, each pixel the mean of its block (the blocks at
    /// the right and bottom edges of what they hold): as a scan at a lower resolution would see the ink.
    /// </summary>
    public InkImage Shrunk(int factor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(factor, 1);
        var shrunk = Rent((Width + factor - 1) / factor, (Height + factor - 1) / factor);
        var sums = new int[shrunk.Width];
        var levels = Levels;
        var output = shrunk.Levels;
        for (var y = 0; y < shrunk.Height; y++)
        {
            Array.Clear(sums);
            var rows = Math.Min(factor, Height - (y * factor));
            for (var row = y * factor; row < (y * factor) + rows; row++)
            {
                var line = levels.Slice(row * Width, Width);
                for (var x = 0; x < Width; x++)
                {
                    sums[x / factor] += line[x];
                }
            }
            for (var x = 0; x < shrunk.Width; x++)
            {
                var columns = Math.Min(factor, Width - (x * factor));
                output[(y * shrunk.Width) + x] = (byte)(sums[x] / (rows * columns));
            }
        }
        return shrunk;
    }

    public void Dispose()
    {
        if (_levels is not null)
        {
            ImageBuffers.Return(_levels);
            _levels = null;
        }
    }
}
