using System.Text;

namespace MnistService.Reliability.Tests.Infrastructure;

/// <summary>The request bodies of the load: a canvas-sized PNG upload (raw and multipart) and JSON pixels.</summary>
public static class Bodies
{
    /// <summary>A 280x280 black-on-white "7", as a page's canvas would export it.</summary>
    public static byte[] CanvasPng { get; } = TestImages.CanvasSeven();

    /// <summary>A 28x28 "1" in MNIST polarity, as JSON pixels.</summary>
    public static byte[] JsonPixels { get; } = Encoding.UTF8.GetBytes("{\"pixels\": [" + string.Join(',',
        Enumerable.Range(0, 784).Select(i => i % 28 is >= 13 and <= 15 && i / 28 is >= 4 and <= 23 ? 255 : 0)) + "]}");

    public static HttpContent Create(int index) => (index % 4) switch
    {
        0 or 2 => Raw(CanvasPng, "image/png"),
        1 => Raw(JsonPixels, "application/json"),
        _ => new MultipartFormDataContent { { Raw(CanvasPng, "image/png"), "image", "digit.png" } },
    };

    private static ByteArrayContent Raw(byte[] bytes, string type)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(type);
        return content;
    }
}

