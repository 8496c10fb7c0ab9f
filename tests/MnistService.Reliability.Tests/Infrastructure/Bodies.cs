using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistService.Reliability.Tests.Infrastructure;

/// <summary>The request bodies of the load: a canvas-sized PNG upload (raw and multipart) and JSON pixels.</summary>
public static class Bodies
{
    /// <summary>A 280x280 black-on-white "7", as a page's canvas would export it.</summary>
    public static byte[] CanvasPng { get; } = DrawSeven();

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

    private static byte[] DrawSeven()
    {
        using var image = new Image<L8>(280, 280, new L8(255));
        void Stroke(int x0, int y0, int x1, int y1)
        {
            for (var t = 0; t <= 400; t++)
            {
                var x = x0 + (x1 - x0) * t / 400;
                var y = y0 + (y1 - y0) * t / 400;
                for (var dy = -9; dy <= 9; dy++)
                for (var dx = -9; dx <= 9; dx++)
                {
                    if (dx * dx + dy * dy <= 81) image[Math.Clamp(x + dx, 0, 279), Math.Clamp(y + dy, 0, 279)] = new L8(0);
                }
            }
        }
        Stroke(70, 60, 210, 60);
        Stroke(210, 60, 120, 230);
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return stream.ToArray();
    }
}
