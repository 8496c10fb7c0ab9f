using System.ComponentModel.DataAnnotations;

namespace MnistService.Api.Predictions;

/// <summary>What one request may cost the service (section <c>Limits</c>).</summary>
public sealed class LimitsOptions
{
    public const string Section = "Limits";

    /// <summary>Largest accepted request body in bytes; larger ones get 413.</summary>
    [Range(1024, 1L << 30)]
    public long MaxRequestBytes { get; set; } = 5 * 1024 * 1024;

    /// <summary>Largest accepted image in pixels (width x height), checked before decoding.</summary>
    [Range(28 * 28, 1L << 28)]
    public long MaxImagePixels { get; set; } = 4096L * 4096;

    /// <summary>Largest accepted width or height on its own.</summary>
    [Range(28, 1 << 16)]
    public int MaxImageSide { get; set; } = 16384;

    /// <summary>
    /// Most decoded pixels in memory at once, over all requests; a request past it waits up to a second, then gets
    /// 503 with Retry-After. 0: half the memory the process may use (the container's limit, or
    /// DOTNET_GCHeapHardLimit), at the decoders' peak bytes per pixel.
    /// </summary>
    [Range(0, 1L << 40)]
    public long MaxDecodedPixelsInFlight { get; set; }
}
