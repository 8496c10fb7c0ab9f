using System.Text.Json;
using MnistService.Api.Tests.Infrastructure;
using MnistService.Core.Imaging;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistService.Api.Tests.Predictions;

/// <summary>
/// Golden test: an image decoded and preprocessed by Core gives exactly the 28x28 input that
/// <c>POST /predict</c> reports the network saw, whatever the format, decoder path or request form.
/// The answer carries four decimals, finer than an 8-bit image's 1/255 steps; the values must agree in all of them.
/// </summary>
[Collection(CommittedModelCollection.Name)]
public sealed class CoreAndHttpInputTests(CommittedModelFixture fixture)
{
    private enum Form { Raw, Multipart, DataUrl }

    private sealed record Upload(byte[] Bytes, string ContentType, Form Form, ImageDecodePath Path);

    /// <summary>The service's default limits, given to a decoder of our own: Core as the trainer would use it.</summary>
    private static readonly ImageDecoder CoreDecoder = new(new ImageDecodeLimits(MaxPixels: 4096L * 4096, MaxSide: 16384));

    private static readonly Lazy<Dictionary<string, Upload>> Uploads = new(() =>
    {
        var digit = MnistTestSet.Images[8];
        var placement = new TestImages.Placement(9, 300, 280, 17, 9);
        return new Dictionary<string, Upload>
        {
            ["png (fast path)"] = new(TestImages.BlackOnWhite(digit, new PngEncoder()), "image/png", Form.Raw, ImageDecodePath.Png),
            ["png interlaced (row by row)"] = new(
                TestImages.BlackOnWhite(digit, new PngEncoder { InterlaceMethod = PngInterlaceMode.Adam7 }), "image/png", Form.Raw, ImageDecodePath.Png),
            ["png 16-bit (row by row)"] = new(
                TestImages.BlackOnWhite(digit, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit16 }), "image/png", Form.Multipart, ImageDecodePath.Png),
            ["jpeg"] = new(TestImages.BlackOnWhiteJpeg(digit, placement, quality: 80), "image/jpeg", Form.Raw, ImageDecodePath.ImageSharp),
            ["gif"] = new(TestImages.BlackOnWhite(digit, new GifEncoder()), "image/gif", Form.Multipart, ImageDecodePath.ImageSharp),
            ["bmp"] = new(TestImages.BlackOnWhite(digit, new BmpEncoder()), "image/bmp", Form.Raw, ImageDecodePath.ImageSharp),
            ["webp lossless"] = new(TestImages.BlackOnWhite(digit, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }), "image/webp", Form.Raw, ImageDecodePath.ImageSharp),
            ["tiff"] = new(TestImages.BlackOnWhite(digit, new TiffEncoder()), "image/tiff", Form.Raw, ImageDecodePath.ImageSharp),
            ["canvas data URL with transparency"] = new(
                TestImages.TransparentPng(digit, placement), "image/png", Form.DataUrl, ImageDecodePath.Png),
            ["canvas data URL, coloured strokes, palette"] = new(
                PalettePng(TestImages.TransparentPng(digit, placement, new Rgb24(30, 90, 200))), "image/png", Form.DataUrl, ImageDecodePath.Png),
        };
    });

    public static TheoryData<string> Names() => new(Uploads.Value.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Core_and_POST_predict_give_the_same_28x28_input(string name)
    {
        var upload = Uploads.Value[name];
        var core = CoreInput(upload.Bytes, out var path);
        Assert.Equal(upload.Path, path);
        Assert.True(core.Sum() > 20, "the digit should be there"); // a blank input would make the comparison trivial

        var answer = await HttpAssert.Json(await fixture.Client.PostAsync("/predict", upload.Form switch
        {
            Form.Raw => HttpAssert.Bytes(upload.Bytes, upload.ContentType),
            Form.Multipart => HttpAssert.Form(upload.Bytes, upload.ContentType),
            _ => HttpAssert.JsonBody(JsonSerializer.Serialize(new { image = $"data:{upload.ContentType};base64,{Convert.ToBase64String(upload.Bytes)}" })),
        }));
        var input = answer.GetProperty("input");
        Assert.Equal(28, input.GetProperty("width").GetInt32());
        Assert.Equal(28, input.GetProperty("height").GetInt32());
        var http = input.GetProperty("pixels").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(Quantize(core), Quantize(http));
    }

    [Fact]
    public void Lossless_formats_of_one_picture_give_one_input_whichever_decoder_reads_them()
    {
        // The fast PNG path, the row-by-row PNG path (interlaced, 16-bit) and ImageSharp's BMP, WebP and TIFF decoders see the same pixels: bit-identical floats.
        var reference = CoreInput(Uploads.Value["png (fast path)"].Bytes, out _);
        foreach (var name in new[] { "png interlaced (row by row)", "png 16-bit (row by row)", "bmp", "webp lossless", "tiff" })
        {
            Assert.True(reference.SequenceEqual(CoreInput(Uploads.Value[name].Bytes, out _)), $"{name} differs from the fast path's PNG");
        }
    }

    private static float[] CoreInput(byte[] image, out ImageDecodePath path)
    {
        var input = new float[MnistPreprocessor.Side * MnistPreprocessor.Side];
        using var decoded = CoreDecoder.Decode(image, out path);
        MnistPreprocessor.Process(decoded, input);
        return input;
    }

    /// <summary>The values at the answer's precision: ten-thousandths.</summary>
    private static int[] Quantize(float[] values) => values.Select(v => (int)MathF.Round(Math.Clamp(v, 0f, 1f) * 10_000f)).ToArray();

    /// <summary>The same drawing as an 8-bit palette PNG with per-entry transparency (tRNS), what some canvases export.</summary>
    private static byte[] PalettePng(byte[] png)
    {
        using var image = SixLabors.ImageSharp.Image.Load<Rgba32>(png);
        return TestImages.Encode(image, new PngEncoder { ColorType = PngColorType.Palette, BitDepth = PngBitDepth.Bit8 });
    }
}
