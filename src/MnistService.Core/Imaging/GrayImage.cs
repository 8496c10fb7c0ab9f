
namespace MnistService.Core.Imaging;

/// <summary>
/// A decoded image as the preprocessing needs it: 8-bit luminance and, when the image has any
/// transparency, 8-bit straight alpha. Buffers are rented (<see cref="ImageBuffers"/>); dispose to return them.
/// </summary>
public sealed class GrayImage : IDisposable
{
    private byte[]? _gray;
    private byte[]? _alpha;

    private GrayImage(int width, int height, bool withAlpha)
    {
        Width = width;
        Height = height;
        _gray = ImageBuffers.Rent(width * height);
        _alpha = withAlpha ? ImageBuffers.Rent(width * height) : null;
    }

    public static GrayImage Rent(int width, int height, bool withAlpha) => new(width, height, withAlpha);

    public int Width { get; }
    public int Height { get; }

    public Span<byte> Gray => _gray.AsSpan(0, Width * Height);

    /// <summary>Straight alpha, or empty when the image is fully opaque.</summary>
    public Span<byte> Alpha => _alpha is null ? default : _alpha.AsSpan(0, Width * Height);

    public bool HasAlpha => _alpha is not null;

    /// <summary>Forgets the alpha channel once it turned out to be 255 everywhere.</summary>
    public void DropAlpha()
    {
        if (_alpha is not null)
        {
            ImageBuffers.Return(_alpha);
            _alpha = null;
        }
    }

    /// <summary>
    /// ITU-R BT.709 luma, the weights ImageSharp uses for its grayscale pixel formats, in 8.8 fixed
    /// point (54 + 183 + 19 = 256, so gray stays gray exactly).
    /// </summary>
    public static byte Luma(byte r, byte g, byte b) => (byte)((54 * r + 183 * g + 19 * b + 128) >> 8);

    public void Dispose()
    {
        if (_gray is not null)
        {
            ImageBuffers.Return(_gray);
            _gray = null;
        }
        DropAlpha();
    }
}
