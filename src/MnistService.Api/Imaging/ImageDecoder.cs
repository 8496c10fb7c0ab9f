using System.Diagnostics;
using Microsoft.Extensions.Options;
using MnistService.Api.Errors;
using MnistService.Api.Predictions;
using MnistService.Api.Metrics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistService.Api.Imaging;

/// <summary>
/// Decodes an uploaded image to luminance and alpha. The dimensions are read first (from the PNG
/// header, or with ImageSharp's Identify, which does not decode), so an image over the pixel limit,
/// a decompression bomb, is refused before any pixel memory is allocated. Common PNGs take the fast
/// path; everything else goes through ImageSharp (first frame only, single-threaded).
/// </summary>
public sealed class ImageDecoder(IOptions<LimitsOptions> limits)
{
    private static readonly Configuration ImageSharpConfiguration = CreateConfiguration();
    private readonly LimitsOptions _limits = limits.Value;

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

    /// <exception cref="UnsupportedMediaTypeException">Not an image format we read.</exception>
    /// <exception cref="PayloadTooLargeException">More pixels than <see cref="LimitsOptions.MaxImagePixels"/>.</exception>
    /// <exception cref="InvalidInputException">The image is damaged or cannot be decoded.</exception>
    public GrayImage Decode(ReadOnlyMemory<byte> data)
    {
        var span = data.Span;
        var kind = ImageFormatSniffer.Detect(span);
        if (kind == ImageKind.Unknown)
        {
            throw new UnsupportedMediaTypeException(
                "The data is not an image format the service reads (PNG, JPEG, GIF, BMP, WebP or TIFF).");
        }
        var started = Stopwatch.GetTimestamp();
        if (kind == ImageKind.Png && FastPngDecoder.TryReadSize(span, out var pngWidth, out var pngHeight))
        {
            CheckSize(pngWidth, pngHeight);
            if (FastPngDecoder.TryDecode(span, out var fast))
            {
                ServiceMetrics.DecodeSeconds.WithLabels("png-fast").Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
                return fast!;
            }
        }
        var image = DecodeWithImageSharp(data, kind);
        ServiceMetrics.DecodeSeconds.WithLabels("imagesharp").Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        return image;
    }

    private GrayImage DecodeWithImageSharp(ReadOnlyMemory<byte> data, ImageKind kind)
    {
        IImageInfo? info;
        try
        {
            using var stream = new ReadOnlyMemoryStream(data);
            info = Image.Identify(ImageSharpConfiguration, stream);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidInputException($"The {kind} image cannot be read: {e.Message}");
        }
        if (info is null)
        {
            throw new InvalidInputException($"The {kind} image cannot be read.");
        }
        CheckSize(info.Width, info.Height);

        Image<Rgba32> decoded;
        try
        {
            decoded = Image.Load<Rgba32>(ImageSharpConfiguration, data.Span);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Untrusted input: whatever a decoder throws on it is the input's fault, not a server error.
            throw new InvalidInputException($"The {kind} image cannot be decoded: {e.Message}");
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

    private void CheckSize(int width, int height)
    {
        if (width <= 0 || height <= 0)
        {
            throw new InvalidInputException($"The image has no pixels ({width}x{height}).");
        }
        if ((long)width * height > _limits.MaxImagePixels || width > _limits.MaxImageSide || height > _limits.MaxImageSide)
        {
            throw new PayloadTooLargeException(
                $"The image is {width}x{height} pixels; at most {_limits.MaxImagePixels:N0} pixels and {_limits.MaxImageSide} per side are accepted.");
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
