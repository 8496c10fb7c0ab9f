using System.Diagnostics;
using MnistService.Core.Imaging;

namespace MnistService.Core.Tests.Imaging;

/// <summary>
/// Files that cost a decoder far more than their size: each is refused (or decoded) quickly, within a bound
/// set by its structure, and never leaves a thread busy.
/// </summary>
public sealed class HostileImageTests
{
    private static readonly ImageDecoder Decoder = new(new ImageDecodeLimits(MaxPixels: 4096L * 4096, MaxSide: 16384));

    /// <summary>Decodes on a thread of its own, so that a decoder that never returns fails the test instead of hanging it.</summary>
    private static (Exception? Error, TimeSpan Elapsed) DecodeWithin(byte[] data, TimeSpan limit)
    {
        Exception? error = null;
        var clock = Stopwatch.StartNew();
        var thread = new Thread(() =>
        {
            try
            {
                using var image = Decoder.Decode(data, out _);
                var input = new float[MnistPreprocessor.Side * MnistPreprocessor.Side];
                MnistPreprocessor.Process(image, input);
            }
            catch (Exception e)
            {
                error = e;
            }
        }) { IsBackground = true };
        thread.Start();
        Assert.True(thread.Join(limit), $"the decode of {data.Length:N0} bytes was still running after {limit.TotalSeconds} s");
        return (error, clock.Elapsed);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(8, 8)]
    [InlineData(600, 600)]
    [InlineData(4096, 4096)]
    public void An_interlaced_PNG_whose_image_data_inflates_to_nothing_is_refused_at_once(int width, int height)
    {
        var png = (width, height) == (1, 1) ? HostileImages.EmptyInterlacedPng : HostileImages.EmptyInterlacedPngOfSize(width, height);
        if ((width, height) == (1, 1))
        {
            Assert.Equal(65, png.Length);
        }
        var (error, elapsed) = DecodeWithin(png, TimeSpan.FromSeconds(5));
        var rejection = Assert.IsType<ImageRejectedException>(error);
        Assert.Equal(ImageRejection.Unreadable, rejection.Reason);
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"took {elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public void A_PNG_whose_header_is_not_first_is_refused_not_handed_to_ImageSharp()
    {
        // A valid 1x1 interlaced palette PNG (ImageSharp 2.1.13 never returns from it) with a text chunk before its IHDR:
        // PNG requires IHDR first, so only a decoder that reads chunks in any order, as ImageSharp does, would get to it.
        var (error, elapsed) = DecodeWithin(HostileImages.InterlacedPngWithHeaderNotFirst(), TimeSpan.FromSeconds(5));
        var rejection = Assert.IsType<ImageRejectedException>(error);
        Assert.Equal(ImageRejection.Unreadable, rejection.Reason);
        Assert.Contains("header", rejection.Message);
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"took {elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public void A_PNG_missing_the_end_of_its_image_data_is_refused_not_read_as_a_digit()
    {
        var png = HostileImages.BlackPngWithShortData();
        Assert.True(png.Length < 100);
        var (error, _) = DecodeWithin(png, TimeSpan.FromSeconds(5));
        var rejection = Assert.IsType<ImageRejectedException>(error);
        Assert.Equal(ImageRejection.Unreadable, rejection.Reason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_PNG_whose_compressed_data_asks_for_a_dictionary_is_refused_as_unreadable(bool interlaced)
    {
        // Found by the decoder fuzz: zlib's "need dictionary" came out as a ZLibException, a 500 in the service.
        var (error, _) = DecodeWithin(HostileImages.PngAskingForADictionary(interlaced), TimeSpan.FromSeconds(5));
        var rejection = Assert.IsType<ImageRejectedException>(error);
        Assert.Equal(ImageRejection.Unreadable, rejection.Reason);
    }

    [Fact]
    public void A_progressive_JPEG_with_a_scan_repeated_thousands_of_times_is_refused_before_decoding()
    {
        var bomb = HostileImages.ProgressiveJpegScanBomb(2048, 10_000);
        var (error, elapsed) = DecodeWithin(bomb, TimeSpan.FromSeconds(60));
        var rejection = Assert.IsType<ImageRejectedException>(error);
        Assert.Equal(ImageRejection.Unreadable, rejection.Reason);
        Assert.Contains("scans", rejection.Message);
        Assert.True(elapsed < TimeSpan.FromMilliseconds(500), $"took {elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public void The_same_progressive_JPEG_with_its_scans_once_decodes()
    {
        var jpeg = HostileImages.ProgressiveJpegScanBomb(256, 1);
        var (error, _) = DecodeWithin(jpeg, TimeSpan.FromSeconds(10));
        // A uniform grey image: readable, but with no digit in it.
        var rejection = Assert.IsType<ImageRejectedException>(error);
        Assert.Equal(ImageRejection.Blank, rejection.Reason);
    }

    [Fact]
    public void A_decode_past_its_deadline_is_refused_and_a_cancelled_one_stops()
    {
        var jpeg = TestImages.BlackOnWhiteJpeg(MnistTestSet.Images[2], new TestImages.Placement(60, 2000, 2000, 50, 50));
        var hurried = new ImageDecoder(new ImageDecodeLimits(MaxPixels: 4096L * 4096, MaxSide: 16384) { MaxDecodeTime = TimeSpan.FromMilliseconds(1) });
        var rejection = Assert.Throws<ImageRejectedException>(() => hurried.Decode(jpeg, out _).Dispose());
        Assert.Equal(ImageRejection.Unreadable, rejection.Reason);
        Assert.Contains("longer than", rejection.Message);

        // The request's own token (its client left, its timeout fired) is a cancellation, not a refusal of the image.
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Decoder.Decode(jpeg, out _, cancelled.Token).Dispose());
        Assert.ThrowsAny<OperationCanceledException>(() => Decoder.Decode(TestImages.CanvasSeven(), out _, cancelled.Token).Dispose());
    }

    [Fact]
    public void A_GIF_of_countless_frames_is_refused_by_its_structure()
    {
        var gif = HostileImages.GifWithFrames(16, 100_000);
        var (error, elapsed) = DecodeWithin(gif, TimeSpan.FromSeconds(60));
        var rejection = Assert.IsType<ImageRejectedException>(error);
        Assert.Equal(ImageRejection.Unreadable, rejection.Reason);
        Assert.Contains("frames", rejection.Message);
        Assert.True(elapsed < TimeSpan.FromMilliseconds(500), $"took {elapsed.TotalMilliseconds:0} ms");
    }
}
