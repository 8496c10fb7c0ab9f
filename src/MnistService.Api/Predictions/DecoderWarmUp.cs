using MnistService.Core.Imaging;

namespace MnistService.Api.Predictions;

/// <summary>
/// Reads a PNG and a BMP at start, as uploads are read, so the assemblies an upload needs (ImageSharp, the zlib of
/// System.IO.Compression) are loaded while descriptors are plentiful. Loaded first by a request while every
/// descriptor was taken, the load failed and the runtime kept that failure: every image upload answered 500 from
/// then on, after the descriptors were free again (measured under a soft limit of 32).
/// </summary>
public sealed class DecoderWarmUp : IHostedService
{
    // Its own limits: the configured ones (Limits:MaxImagePixels) may be below even these two images.
    private static readonly ImageDecoder Decoder = new(new ImageDecodeLimits(MnistPreprocessor.Side * MnistPreprocessor.Side, MnistPreprocessor.Side));

    /// <summary>A 1x1 24-bit BMP (decoded by ImageSharp): the 14-byte file header, the 40-byte info header, one pixel padded to 4 bytes.</summary>
    private static readonly byte[] OnePixelBmp =
    [
        (byte)'B', (byte)'M', 58, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0,
        40, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 24, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0x13, 0x0b, 0, 0, 0x13, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        255, 255, 255, 0,
    ];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Decoder.Decode(OnePixelBmp, out _, cancellationToken);
        Decoder.Decode(PredictExamples.DigitPng(), out _, cancellationToken);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
