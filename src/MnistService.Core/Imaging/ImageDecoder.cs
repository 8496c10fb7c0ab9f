using System.Diagnostics;
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

/// <summary>The most pixels, and the longest side, an image may have to be decoded, and the longest one decode may take.</summary>
public sealed record ImageDecodeLimits(long MaxPixels, int MaxSide)
{
    /// <summary>
    /// Wall-clock time after which a decode is cancelled and the image refused. The structure checks bound every
    /// decode's work by the file's size; this catches what they miss. 4096x4096 images decode in under a second.
    /// </summary>
    public TimeSpan MaxDecodeTime { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>An image's format and size as its header states them.</summary>
public readonly record struct ImageSize(ImageKind Kind, int Width, int Height)
{
    public long Pixels => (long)Width * Height;
}

/// <summary>Which decoder produced an image: our PNG decoder (every PNG) or ImageSharp (every other format).</summary>
public enum ImageDecodePath { Png, ImageSharp }

/// <summary>
/// Decodes an encoded image to luminance and alpha. The dimensions are read first (from the PNG
/// header, or with ImageSharp's Identify, which does not decode), so an image over the pixel limit,
/// a decompression bomb, is refused before any pixel memory is allocated. PNGs take our own decoder
/// (<see cref="FastPngDecoder"/>) and only it; everything else is checked for truncation and for structures built to be
/// slow (<see cref="ImageCompleteness"/>) and goes through ImageSharp (first frame only, single-threaded),
/// under a deadline. Every refusal is an <see cref="ImageRejectedException"/>.
/// </summary>
/// <remarks>
/// Why no decode can run away: ImageSharp 2.1.13 checks its cancellation token only between some stages, so the
/// deadline alone cannot stop it. What it is given has been walked first: a PNG never reaches it (it was seen to loop
/// on interlaced PNGs whose data ends early, and on a valid 1x1 interlaced palette PNG), a JPEG has at most
/// <see cref="ImageCompleteness.MaxJpegScans"/> scans (each costs one pass over the image's blocks), a GIF at most
/// <see cref="ImageCompleteness.MaxGifFrames"/> frames (only the first is decoded), and every format's data is
/// whole up to its end marker. The work left is linear in pixels (at most <see cref="ImageDecodeLimits.MaxPixels"/>)
/// times scans, so it ends, and the deadline turns a slow one into a refusal.
/// </remarks>
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

    /// <summary>
    /// Most bytes of memory one pixel costs while it is decoded, in the heaviest case, a progressive colour JPEG:
    /// its coefficients (2 bytes per component), ImageSharp's 4-byte RGBA image, our gray and alpha planes. A PNG
    /// costs at most 6 (8-bit RGBA rows, gray, alpha), 2 when decoded row by row (16-bit, interlaced); a GIF 7 (its
    /// indices too). What a budget of pixels in flight is sized by (<see cref="DecodeBudget"/>).
    /// </summary>
    public const int PeakBytesPerPixel = 12;

    /// <summary>
    /// The format and size of <paramref name="data"/>, read from its header without decoding, checked against the
    /// <see cref="Limits"/>: what a decode of it will cost, before it is paid.
    /// </summary>
    /// <exception cref="ImageRejectedException">Not a format we read, over the limits, or no readable header.</exception>
    public ImageSize ReadSize(ReadOnlyMemory<byte> data)
    {
        var kind = Sniff(data.Span);
        if (kind == ImageKind.Png)
        {
            var (width, height) = PngSize(data.Span);
            return new ImageSize(kind, width, height);
        }
        var info = Identify(data, kind, CancellationToken.None);
        CheckSize(info.Width, info.Height);
        return new ImageSize(kind, info.Width, info.Height);
    }

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
        var kind = Sniff(span);
        cancellationToken.ThrowIfCancellationRequested();
        if (kind == ImageKind.Png)
        {
            path = ImageDecodePath.Png;
            return DecodePng(span, cancellationToken);
        }
        path = ImageDecodePath.ImageSharp;
        // The deadline cancels ImageSharp where it checks its token; its timer can fire late on a busy thread pool, so the
        // clock is read again once the decode returns.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Limits.MaxDecodeTime);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var image = DecodeWithImageSharp(data, kind, deadline.Token);
            if (Stopwatch.GetElapsedTime(started) > Limits.MaxDecodeTime)
            {
                image.Dispose();
                throw new OperationCanceledException();
            }
            return image;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unreadable($"The {Name(kind)} image takes longer than {Limits.MaxDecodeTime.TotalSeconds:0.#} s to decode.");
        }
    }

    /// <summary>
    /// Every PNG is ours: ImageSharp 2.1.13 never returns from some interlaced ones, and a file could hide its
    /// interlacing from a check (a second IHDR, one after another chunk). What our decoder cannot read is refused:
    /// damaged data, or what no encoder writes (unknown critical chunks, a colour key on an image with alpha).
    /// </summary>
    private GrayImage DecodePng(ReadOnlySpan<byte> png, CancellationToken cancellationToken)
    {
        PngSize(png);
        if (FastPngDecoder.TryDecode(png, out var image))
        {
            return image!;
        }
        if (ImageCompleteness.FindDamage(png, ImageKind.Png, cancellationToken) is { } damage)
        {
            throw Unreadable($"The PNG image is {damage}.");
        }
        throw Unreadable("The PNG image cannot be decoded: its data is damaged, or it uses chunks or values that PNG encoders do not write.");
    }

    private (int Width, int Height) PngSize(ReadOnlySpan<byte> png)
    {
        if (!FastPngDecoder.TryReadSize(png, out var width, out var height))
        {
            throw Unreadable("The PNG image has no valid header (an IHDR chunk right after the signature).");
        }
        CheckSize(width, height);
        return (width, height);
    }

    private static ImageKind Sniff(ReadOnlySpan<byte> data)
    {
        var kind = ImageFormatSniffer.Detect(data);
        if (kind == ImageKind.Unknown)
        {
            throw new ImageRejectedException(ImageRejection.UnsupportedFormat,
                "The data is not an image format the service reads (PNG, JPEG, GIF, BMP, WebP or TIFF).");
        }
        return kind;
    }

    private static IImageInfo Identify(ReadOnlyMemory<byte> data, ImageKind kind, CancellationToken cancellationToken)
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
            throw Unreadable($"The {Name(kind)} image cannot be read: {e.Message}");
        }
        return info ?? throw Unreadable($"The {Name(kind)} image cannot be read.");
    }

    private GrayImage DecodeWithImageSharp(ReadOnlyMemory<byte> data, ImageKind kind, CancellationToken cancellationToken)
    {
        var decoder = ImageSharpConfiguration.ImageFormatsManager.FindDecoder(Format(kind));
        var info = Identify(data, kind, cancellationToken);
        CheckSize(info.Width, info.Height);
        // ImageSharp decodes most truncated images without complaint, leaving the missing part transparent or
        // black: the answer would be a guess from part of the drawing, or "no digit". And the walk refuses files
        // built to be slow to decode.
        if (ImageCompleteness.FindDamage(data.Span, kind, cancellationToken) is { } damage)
        {
            throw Unreadable($"The {Name(kind)} image is {damage}.");
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
            throw Unreadable($"The {Name(kind)} image cannot be decoded: {e.Message}");
        }
        using (decoded)
        {
            cancellationToken.ThrowIfCancellationRequested();
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

    /// <summary>The format's name as people write it, for messages.</summary>
    private static string Name(ImageKind kind) => kind switch
    {
        ImageKind.Webp => "WebP",
        _ => kind.ToString().ToUpperInvariant(),
    };

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
