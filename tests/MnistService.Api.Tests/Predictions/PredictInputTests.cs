using System.Net;
using System.Text.Json;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Predictions;

/// <summary>The four forms of POST /predict and every accepted image format give the same kind of answer.</summary>
[Collection(CommittedModelCollection.Name)]
public sealed class PredictInputTests(CommittedModelFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;
    // The first test image, a 7 the model reads correctly (checked in JSON_pixels...).
    private static byte[] Seven => MnistTestSet.Images[0];

    private static void AssertAnswer(JsonElement json, int expectedDigit)
    {
        Assert.Equal(expectedDigit, json.GetProperty("digit").GetInt32());
        var probabilities = json.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(10, probabilities.Length);
        Assert.Equal(1.0, probabilities.Sum(), 1e-4);
        Assert.Equal(probabilities.Max(), json.GetProperty("confidence").GetSingle());
        Assert.Equal("mnist-cnn", json.GetProperty("model").GetString());
        Assert.Equal(64, json.GetProperty("modelSha256").GetString()!.Length);
        var input = json.GetProperty("input");
        Assert.Equal(28, input.GetProperty("width").GetInt32());
        Assert.Equal(28, input.GetProperty("height").GetInt32());
        var pixels = input.GetProperty("pixels").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(784, pixels.Length);
        Assert.All(pixels, p => Assert.InRange(p, 0f, 1f));
    }

    [Fact]
    public async Task JSON_pixels_0_to_255_are_fed_as_they_are()
    {
        Assert.Equal(7, MnistTestSet.Labels[0]);
        var json = await HttpAssert.Json(await _client.PostAsync("/predict", HttpAssert.JsonBody(EndpointPixels(Seven.Select(b => (float)b)))));
        AssertAnswer(json, 7);
        var input = json.GetProperty("input").GetProperty("pixels").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        // Shown with four decimals.
        Assert.All(Seven.Zip(input), pair => Assert.Equal(pair.First / 255f, pair.Second, 0.00005f));
    }

    [Fact]
    public async Task JSON_pixels_0_to_1_give_the_same_answer()
    {
        var bytes = await _client.PostAsync("/predict", HttpAssert.JsonBody(EndpointPixels(Seven.Select(b => (float)b))));
        var unit = await _client.PostAsync("/predict", HttpAssert.JsonBody(EndpointPixels(Seven.Select(b => b / 255f))));
        var a = await HttpAssert.Json(bytes);
        var b = await HttpAssert.Json(unit);
        Assert.Equal(a.GetProperty("probabilities").ToString(), b.GetProperty("probabilities").ToString());
    }

    [Fact]
    public async Task MNIST_PNG_upload_is_seen_exactly_as_the_JSON_pixels()
    {
        var png = TestImages.MnistPng(Seven);
        var raw = await HttpAssert.Json(await _client.PostAsync("/predict", HttpAssert.Bytes(png, "image/png")));
        var form = await HttpAssert.Json(await _client.PostAsync("/predict", HttpAssert.Form(png, "image/png")));
        var dataUrl = await HttpAssert.Json(await _client.PostAsync("/predict",
            HttpAssert.JsonBody(JsonSerializer.Serialize(new { image = "data:image/png;base64," + Convert.ToBase64String(png) }))));
        var pixels = await HttpAssert.Json(await _client.PostAsync("/predict", HttpAssert.JsonBody(EndpointPixels(Seven.Select(b => (float)b)))));
        foreach (var answer in new[] { raw, form, dataUrl })
        {
            AssertAnswer(answer, 7);
            Assert.Equal(pixels.GetProperty("input").ToString(), answer.GetProperty("input").ToString());
            Assert.Equal(pixels.GetProperty("probabilities").ToString(), answer.GetProperty("probabilities").ToString());
        }
    }

    public static TheoryData<string> Formats() => new(TestImages.AllFormats().Select(f => f.ContentType));

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Every_format_drawn_black_on_white_is_read(string contentType)
    {
        var encoder = TestImages.AllFormats().Single(f => f.ContentType == contentType).Encoder;
        var image = TestImages.BlackOnWhite(Seven, encoder);
        AssertAnswer(await HttpAssert.Json(await _client.PostAsync("/predict", HttpAssert.Bytes(image, contentType))), 7);
        AssertAnswer(await HttpAssert.Json(await _client.PostAsync("/predict", HttpAssert.Form(image, contentType))), 7);
    }

    [Fact]
    public async Task Transparent_canvas_data_URL_with_black_strokes_is_read()
    {
        var png = TestImages.TransparentPng(Seven, new TestImages.Placement(10, 400, 400, 30, 90));
        var json = await HttpAssert.Json(await _client.PostAsync("/predict",
            HttpAssert.JsonBody(JsonSerializer.Serialize(new { image = "data:image/png;base64," + Convert.ToBase64String(png) }))));
        AssertAnswer(json, 7);
        // MNIST-like: the ink's centre of mass is near the centre and the background is black.
        var input = json.GetProperty("input").GetProperty("pixels").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(0f, input[0]);
        var mass = input.Sum();
        Assert.InRange(input.Select((v, i) => v * (i % 28)).Sum() / mass, 13.0, 15.0);
        Assert.InRange(input.Select((v, i) => v * (i / 28)).Sum() / mass, 13.0, 15.0);
    }

    [Fact]
    public async Task White_strokes_on_transparency_and_coloured_pens_are_read()
    {
        var white = TestImages.TransparentPng(Seven, new TestImages.Placement(6, 300, 200, 100, 10), new SixLabors.ImageSharp.PixelFormats.Rgb24(255, 255, 255));
        AssertAnswer(await HttpAssert.Json(await _client.PostAsync("/predict", HttpAssert.Bytes(white, "image/png"))), 7);
        var blue = TestImages.TransparentPng(Seven, new TestImages.Placement(6, 300, 200, 10, 30), new SixLabors.ImageSharp.PixelFormats.Rgb24(20, 40, 200));
        AssertAnswer(await HttpAssert.Json(await _client.PostAsync("/predict", HttpAssert.Bytes(blue, "image/png"))), 7);
    }

    [Fact]
    public async Task Octet_stream_and_mislabelled_images_are_sniffed()
    {
        var png = TestImages.MnistPng(Seven);
        AssertAnswer(await HttpAssert.Json(await _client.PostAsync("/predict", HttpAssert.Bytes(png, "application/octet-stream"))), 7);
        AssertAnswer(await HttpAssert.Json(await _client.PostAsync("/predict", HttpAssert.Bytes(png, "image/jpeg"))), 7);
        AssertAnswer(await HttpAssert.Json(await _client.PostAsync("/predict", HttpAssert.Form(png, "application/octet-stream"))), 7);
    }

    [Fact]
    public async Task Explicit_model_parameter_selects_the_model()
    {
        var png = TestImages.MnistPng(Seven);
        var json = await HttpAssert.Json(await _client.PostAsync("/predict?model=mnist-cnn", HttpAssert.Bytes(png, "image/png")));
        AssertAnswer(json, 7);
    }

    private static string EndpointPixels(IEnumerable<float> pixels) => Endpoints.EndpointTests.PixelsJson(pixels);
}
