using System.Net;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Predictions;

/// <summary>
/// JSON pixels are made MNIST-like as images are (polarity, bounding box, centring) unless <c>"preprocess": false</c>;
/// blank pixels are 422 with the same message as a blank image either way.
/// </summary>
[Collection(CommittedModelCollection.Name)]
public sealed class PixelsPreprocessingTests(CommittedModelFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;
    private static readonly byte[] Seven = MnistTestSet.Images[0]; // the first test image, a 7

    private static string Body(IEnumerable<int> pixels, string extra = "") => $$"""{"pixels":[{{string.Join(",", pixels)}}]{{extra}}}""";

    [Fact]
    public async Task An_inverted_digit_in_a_corner_is_read_as_the_digit()
    {
        // Black on white, shifted to the top left corner: what a client drawing on white paper sends.
        var shifted = new int[784];
        for (var y = 0; y < 28; y++)
        {
            for (var x = 0; x < 28; x++)
            {
                var (sy, sx) = (y + 4, x + 4);
                shifted[y * 28 + x] = 255 - (sy < 28 && sx < 28 ? Seven[sy * 28 + sx] : 0);
            }
        }
        var answer = await HttpAssert.Json(await _client.PostAsync("/predict", HttpAssert.JsonBody(Body(shifted))));
        Assert.Equal(7, answer.GetProperty("digit").GetInt32());
        Assert.True(answer.GetProperty("isDigit").GetBoolean());
    }

    [Fact]
    public async Task Preprocess_false_sends_the_values_untouched()
    {
        var inverted = Seven.Select(v => 255 - v).ToArray();
        var answer = await HttpAssert.Json(await _client.PostAsync("/predict", HttpAssert.JsonBody(Body(inverted, ""","preprocess":false"""))));
        var input = answer.GetProperty("input").GetProperty("pixels").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.All(inverted.Zip(input), pair => Assert.Equal(pair.First / 255f, pair.Second, 0.00005f));
    }

    [Fact]
    public async Task Blank_pixels_are_422_as_a_blank_image_is_on_every_path()
    {
        var blankImage = await HttpAssert.Problem(await _client.PostAsync("/predict", HttpAssert.Bytes(TestImages.Blank(200, 150, 255), "image/png")),
            HttpStatusCode.UnprocessableEntity);
        var message = blankImage.GetProperty("detail").GetString();
        foreach (var body in new[] { Body(new int[784]), Body(Enumerable.Repeat(255, 784)), Body(new int[784], ""","preprocess":false"""),
                     Body(Enumerable.Range(0, 784).Select(i => i == 400 ? 255 : 0)) })
        {
            var problem = await HttpAssert.Problem(await _client.PostAsync("/predict", HttpAssert.JsonBody(body)), HttpStatusCode.UnprocessableEntity);
            Assert.Equal(message, problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task Preprocess_with_an_image_is_refused()
    {
        var problem = await HttpAssert.Problem(await _client.PostAsync("/predict",
            HttpAssert.JsonBody("""{"image":"data:image/png;base64,AAAA","preprocess":true}""")), HttpStatusCode.BadRequest);
        Assert.Contains("'preprocess' applies to 'pixels' only", problem.GetProperty("detail").GetString());
    }
}
