using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistService.Core.Imaging;

/// <summary>The most pixels, and the longest side, an image may have to be decoded.</summary>
public sealed record ImageDecodeLimits(long MaxPixels, int MaxSide);

/// <summary>Which decoder produced an image: our PNG fast path or ImageSharp.</summary>
public enum ImageDecodePath { PngFast, ImageSharp }

/// <summary>
/// Decodes an encoded image to luminance and alpha. The dimensions are read first (from the PNG
/// header, or with ImageSharp's Identify, which does not decode), so an image over the pixel limit,
/// a decompression bomb, is refused before any pixel memory is allocated. Common PNGs take the fast
/// path; everything else is checked for truncation (<see cref="ImageCompleteness"/>) and goes through
/// ImageSharp (first frame only, single-threaded). Every refusal is an <see cref="ImageRejectedException"/>.
/// </summary>
public sealed class ImageDecoder(ImageDecodeLimits limits)
{
    private static readonly Configuration ImageSharpConfiguration = CreateConfiguration();

    private static Configuration CreateConfiguration()
    {
        var configuration = Configuration.Default.Clone();
        configuration.MaxDegreeOfParallelism = 1; // requests are the parallelism
        // Fresh, zeroed buffers: ImageSharp's pooled ones are not cleared, and a truncated JPEG or WebP leaves
        // part of its image unwritten, which then showed an earlier request's pixels (found by the fuzz test).
        configuration.MemoryAllocator = new SixLabors.ImageSharp.Memory.SimpleGcMemoryAllocator();
        // Animated GIF and multi-page TIFF: the first frame is the picture; decoding all would be a bomb.
        configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        configuration.ImageFormatsManager.SetDecoder(TiffFormat.Instance, new TiffDecoder { DecodingMode = FrameDecodingMode.First });
        return configuration;
    }

    public ImageDecodeLimits Limits { get; } = limits;

    /// <summary>Decodes <paramref name="data"/>; the caller disposes the image.</summary>
    /// <param name="path">The decoder that produced the image (the service times them separately).</param>
    /// <param name="cancellationToken">Checked between the stages and passed to ImageSharp's decoders.</param>
    /// <exception cref="ImageRejectedException">
    /// <see cref="ImageRejection.UnsupportedFormat"/>: not a format we read; <see cref="ImageRejection.TooLarge"/>: over
    /// the <see cref="Limits"/>; <see cref="ImageRejection.Unreadable"/>: damaged, truncated or undecodable.
    /// </exception>
    public GrayImage Decode(ReadOnlyMemory<byte> data, out ImageDecodePath path, CancellationToken cancellationToken = default)
    {
        var span = data.Span;
        var kind = ImageFormatSniffer.Detect(span);
        if (kind == ImageKind.Unknown)
        {
            throw new ImageRejectedException(ImageRejection.UnsupportedFormat,
                "The data is not an image format the service reads (PNG, JPEG, GIF, BMP, WebP or TIFF).");
        }
        if (kind == ImageKind.Png && FastPngDecoder.TryReadSize(span, out var pngWidth, out var pngHeight))
        {
            CheckSize(pngWidth, pngHeight);
            if (FastPngDecoder.TryDecode(span, out var fast))
            {
                path = ImageDecodePath.PngFast;
                return fast!;
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        path = ImageDecodePath.ImageSharp;
        return DecodeWithImageSharp(data, kind, cancellationToken);
    }

    private GrayImage DecodeWithImageSharp(ReadOnlyMemory<byte> data, ImageKind kind, CancellationToken cancellationToken)
    {
        var decoder = ImageSharpConfiguration.ImageFormatsManager.FindDecoder(Format(kind));
        IImageInfo? info;
        try
        {
            using var stream = new ReadOnlyMemoryStream(data);
            info = ((IImageInfoDetector)decoder).Identify(ImageSharpConfiguration, stream, cancellationToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            throw Unreadable($"The {kind} image cannot be read: {e.Message}");
        }
        if (info is null)
        {
            throw Unreadable($"The {kind} image cannot be read.");
        }
        CheckSize(info.Width, info.Height);
        // ImageSharp decodes most truncated images without complaint, leaving the missing part transparent or
        // black: the answer would be a guess from part of the drawing, or "no digit".
        if (ImageCompleteness.FindDamage(data.Span, kind, cancellationToken) is { } damage)
        {
            throw Unreadable($"The {kind} image is {damage}.");
        }

        Image<Rgba32> decoded;
        try
        {
            using var stream = new ReadOnlyMemoryStream(data);
            decoded = decoder.Decode<Rgba32>(ImageSharpConfiguration, stream, cancellationToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            // Untrusted input: whatever a decoder throws on it is the input's fault, not a server error.
            throw Unreadable($"The {kind} image cannot be decoded: {e.Message}");
        }
        using (decoded)
        {
            // Identify and the decoder may disagree on a crafted file; the limit holds either way.
            CheckSize(decoded.Width, decoded.Height);
            var result = GrayImage.Rent(decoded.Width, decoded.Height, withAlpha: true);
            var alphaMin = 255;
            decoded.ProcessPixelRows(rows =>
            {
                var gray = result.Gray;
                var alpha = result.Alpha;
                for (var y = 0; y < rows.Height; y++)
                {
                    var row = rows.GetRowSpan(y);
                    var offset = y * rows.Width;
                    for (var x = 0; x < row.Length; x++)
                    {
                        var p = row[x];
                        gray[offset + x] = GrayImage.Luma(p.R, p.G, p.B);
                        alpha[offset + x] = p.A;
                        alphaMin = Math.Min(alphaMin, p.A);
                    }
                }
            });
            if (alphaMin == 255)
            {
                result.DropAlpha();
            }
            return result;
        }
    }

    private static IImageFormat Format(ImageKind kind) => kind switch
    {
        ImageKind.Png => PngFormat.Instance,
        ImageKind.Jpeg => JpegFormat.Instance,
        ImageKind.Gif => GifFormat.Instance,
        ImageKind.Bmp => BmpFormat.Instance,
        ImageKind.Webp => WebpFormat.Instance,
        ImageKind.Tiff => TiffFormat.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a format ImageSharp reads here."),
    };

    private static ImageRejectedException Unreadable(string message) => new(ImageRejection.Unreadable, message);

    private void CheckSize(int width, int height)
    {
        if (width <= 0 || height <= 0)
        {
            throw Unreadable($"The image has no pixels ({width}x{height}).");
        }
        if ((long)width * height > Limits.MaxPixels || width > Limits.MaxSide || height > Limits.MaxSide)
        {
            throw new ImageRejectedException(ImageRejection.TooLarge,
                $"The image is {width}x{height} pixels; at most {Limits.MaxPixels:N0} pixels and {Limits.MaxSide} per side are accepted.");
        }
    }

    /// <summary>A read-only stream over memory, for ImageSharp's stream-based Identify.</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : Stream
    {
        private int _position;
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => memory.Length;
        public override long Position { get => _position; set => _position = (int)Math.Clamp(value, 0, memory.Length); }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, memory.Length - _position);
            memory.Span.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => memory.Length + offset,
        };
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
