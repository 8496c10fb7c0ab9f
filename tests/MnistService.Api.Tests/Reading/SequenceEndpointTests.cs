using System.Net;
using System.Text.Json;
using MnistService.Api.Tests.Endpoints;
using MnistService.Api.Tests.Infrastructure;
using MnistService.Core.Reading;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistService.Api.Tests.Reading;

[Collection(CommittedModelCollection.Name)]
public sealed class SequenceEndpointTests(CommittedModelFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    /// <summary>MNIST test digits 2, 1, 0, 4, 5, 6, 3, 7 (indices 1, 2, 3, 4, 15, 11, 18, 0), each read right alone.</summary>
    private static readonly int[] Clear = [1, 2, 3, 4, 15, 11, 18, 0];

    private static NumberImage Number(NumberStyle style = NumberStyle.Spaced, int seed = 7, int height = 60) =>
        NumberImages.Make(style, Clear, new Random(seed), height);

    private Task<HttpResponseMessage> Read(byte[] bytes, string type = "image/png", string query = "") =>
        _client.PostAsync("/predict/sequence" + query, HttpAssert.Bytes(bytes, type));

    /// <summary>The MNIST test digits at <paramref name="indices"/>, written apart, read as written (group spaces too).</summary>
    private async Task ReadsAsWritten(int[] indices, string digits)
    {
        var number = NumberImages.Make(NumberStyle.Spaced, indices, new Random(7), height: 60);
        Assert.Equal(digits, number.Text.Replace(" ", ""));
        Assert.Equal(number.Text, (await HttpAssert.Json(await Read(number.Bytes))).GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_number_read_can_be_corrected_by_its_id_and_the_feedback_keeps_the_digits_read()
    {
        var number = Number();
        var json = await HttpAssert.Json(await Read(number.Bytes));
        var id = json.GetProperty("id").GetString();

        var stored = await _client.PostAsync("/feedback", HttpAssert.JsonBody($$"""{"id":"{{id}}","text":"2104 5637"}"""));

        Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
        var record = await HttpAssert.Json(stored);
        Assert.Equal(json.GetProperty("text").GetString()!.Replace(" ", ""), record.GetProperty("predicted").GetString());
        Assert.Equal("21045637", record.GetProperty("label").GetString());
    }

    [Fact]
    public async Task A_number_comes_back_with_its_text_confidence_and_every_digit_boxed_in_the_image()
    {
        var number = Number();
        var json = await HttpAssert.Json(await Read(number.Bytes));
        Assert.Equal(number.Text, json.GetProperty("text").GetString());
        Assert.Equal("mnist-cnn", json.GetProperty("model").GetString());
        var digits = json.GetProperty("digits").EnumerateArray().ToList();
        Assert.Equal(Clear.Length, digits.Count);
        using var image = Image.Load<L8>(number.Bytes);
        var product = 1.0;
        var previousRight = -1;
        foreach (var digit in digits)
        {
            var probabilities = digit.GetProperty("probabilities").EnumerateArray().Select(p => p.GetSingle()).ToArray();
            Assert.Equal(10, probabilities.Length);
            Assert.Equal(probabilities.Max(), digit.GetProperty("confidence").GetSingle());
            Assert.Equal(Array.IndexOf(probabilities, probabilities.Max()), digit.GetProperty("digit").GetInt32());
            Assert.True(digit.GetProperty("isDigit").GetBoolean(), digit.ToString()); // the committed model has a detector
            product *= probabilities.Max();
            var box = digit.GetProperty("box");
            int x = box.GetProperty("x").GetInt32(), y = box.GetProperty("y").GetInt32();
            int width = box.GetProperty("width").GetInt32(), height = box.GetProperty("height").GetInt32();
            Assert.True(x > previousRight && x + width <= image.Width && y >= 0 && y + height <= image.Height, box.ToString());
            Assert.InRange(height, 50, 70); // the digits were written 60 pixels high
            previousRight = x + width - 1;
            var input = digit.GetProperty("input");
            Assert.Equal(784, input.GetProperty("pixels").GetArrayLength());
        }
        Assert.Equal(product, json.GetProperty("confidence").GetDouble(), 4);
    }

    [Fact]
    public async Task A_number_written_large_reads_the_same_and_is_boxed_in_its_own_pixels()
    {
        // 240 pixels high: read from its ink shrunk by 3, which bounds what each candidate costs.
        var number = NumberImages.Make(NumberStyle.Spaced, Clear, new Random(7), height: 240);
        using var image = Image.Load<L8>(number.Bytes);
        var json = await HttpAssert.Json(await Read(number.Bytes));
        Assert.Equal(number.Text, json.GetProperty("text").GetString());
        var previousRight = -1;
        foreach (var box in json.GetProperty("digits").EnumerateArray().Select(d => d.GetProperty("box")))
        {
            int x = box.GetProperty("x").GetInt32(), y = box.GetProperty("y").GetInt32();
            int width = box.GetProperty("width").GetInt32(), height = box.GetProperty("height").GetInt32();
            Assert.True(x > previousRight && x + width <= image.Width && y >= 0 && y + height <= image.Height, box.ToString());
            Assert.InRange(height, 200, 280);
            previousRight = x + width - 1;
        }
    }

    [Theory]
    [InlineData(NumberStyle.Paper)]
    [InlineData(NumberStyle.Dark)]
    public async Task Photos_on_grey_paper_and_white_ink_on_dark_read_the_same(NumberStyle style)
    {
        var number = Number(style);
        var json = await HttpAssert.Json(await Read(number.Bytes, number.ContentType));
        Assert.Equal(number.Text.Replace(" ", ""), json.GetProperty("text").GetString()!.Replace(" ", ""));
    }

    [Fact]
    public async Task The_same_input_forms_as_predict_are_taken()
    {
        var number = Number();
        var expected = number.Text;
        var dataUrl = JsonSerializer.Serialize(new { image = "data:image/png;base64," + Convert.ToBase64String(number.Bytes) });
        Assert.Equal(expected, (await HttpAssert.Json(await _client.PostAsync("/predict/sequence", HttpAssert.JsonBody(dataUrl)))).GetProperty("text").GetString());
        Assert.Equal(expected, (await HttpAssert.Json(await _client.PostAsync("/predict/sequence", HttpAssert.Form(number.Bytes, "image/png")))).GetProperty("text").GetString());
        Assert.Equal(expected, (await HttpAssert.Json(await Read(number.Bytes, query: "?model=mnist-cnn"))).GetProperty("text").GetString());
        // 784 pixels are one 28x28 image: one MNIST digit is a one-digit number.
        var pixels = EndpointTests.PixelsJson(MnistTestSet.Images[Clear[0]].Select(v => (float)v));
        Assert.Equal("2", (await HttpAssert.Json(await _client.PostAsync("/predict/sequence", HttpAssert.JsonBody(pixels)))).GetProperty("text").GetString());
        await HttpAssert.Problem(await Read(number.Bytes, query: "?model=no-such-model"), HttpStatusCode.NotFound);
        // Untouched pixels go to the network as one digit; a number is found in an image, so that flag cannot apply here.
        var untouched = pixels.Replace("{\"pixels\"", "{\"preprocess\":false,\"pixels\"", StringComparison.Ordinal);
        var refused = await HttpAssert.Problem(await _client.PostAsync("/predict/sequence", HttpAssert.JsonBody(untouched)), HttpStatusCode.BadRequest);
        Assert.Contains("always preprocesses", refused.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Specks_and_a_dash_beside_the_number_are_not_digits()
    {
        var number = Number();
        using var image = Image.Load<L8>(number.Bytes);
        // The generator leaves at least half a line height of paper around the number: marks there touch no digit.
        for (var i = 0; i < 12; i++)
        {
            var (x, y) = (10 + i * 37 % (image.Width - 20), 3 + i % 3 * 4);
            for (var k = 0; k < 9; k++)
            {
                image[x + k % 3, y + k / 3] = new L8(0);
            }
        }
        for (var x = 3; x < 23; x++)
        {
            for (var y = image.Height / 2 - 2; y < image.Height / 2 + 2; y++)
            {
                image[x, y] = new L8(0);
            }
        }
        var json = await HttpAssert.Json(await Read(TestImages.Encode(image, new PngEncoder())));
        Assert.Equal(number.Text, json.GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_five_whose_flag_is_a_stroke_apart_is_one_five()
    {
        // MNIST test digits 5624 and 5706 are 5s whose flag does not touch the body and lies mostly beside it.
        await ReadsAsWritten([1, 5624, 2, 5706, 3], "25150");
    }

    [Fact]
    public async Task An_apostrophe_written_close_after_a_digit_is_not_its_flag()
    {
        var number = Number();
        using var image = Image.Load<L8>(number.Bytes);
        var first = (await HttpAssert.Json(await Read(number.Bytes))).GetProperty("digits")[0].GetProperty("box");
        // A thousands mark as in 2'104: a short stroke at the top, two pixels after the first digit's ink.
        var (left, top) = (first.GetProperty("x").GetInt32() + first.GetProperty("width").GetInt32() + 2, first.GetProperty("y").GetInt32());
        for (var x = left; x < left + 4; x++)
        {
            for (var y = top; y < top + 14; y++)
            {
                image[x, y] = new L8(0);
            }
        }
        var json = await HttpAssert.Json(await Read(TestImages.Encode(image, new PngEncoder())));
        Assert.Equal(number.Text, json.GetProperty("text").GetString());
        Assert.Equal(first.ToString(), json.GetProperty("digits")[0].GetProperty("box").ToString());
    }

    [Fact]
    public async Task A_digit_much_wider_than_high_is_one_digit()
    {
        // MNIST test digits 7859 and 6418: a 5 and a 2 written flat, about twice as wide as high at the line's height.
        await ReadsAsWritten([1, 7859, 2, 6418, 3], "25120");
    }

    [Fact]
    public async Task A_flat_digit_cut_at_many_thin_places_is_still_one_digit()
    {
        // MNIST test digits 2772, 283, 6788 and 764: 5s with a long flag and a 2 with a long tail, whose column
        // projection dips at six or more places; no run of a digit's atoms spans them, the whole glyph does.
        await ReadsAsWritten([1, 2772, 2, 283, 6788, 764, 3], "2515520");
    }

    [Fact]
    public async Task Digits_the_network_is_unsure_of_are_read_again_a_pixel_each_way()
    {
        // MNIST test digits 1878, 4163, 1621 and 321 (an 8, a 9, a 0, a 2) are read at about 0.4 as they are cut out,
        // each as another digit; the mean of the readings a pixel each way reads them as written.
        var number = NumberImages.Make(NumberStyle.Spaced, [1, 1878, 4163, 1621, 321, 2], new Random(7), height: 60);
        var json = await HttpAssert.Json(await Read(number.Bytes));
        Assert.Equal("289021", json.GetProperty("text").GetString()!.Replace(" ", ""));
        var unsure = json.GetProperty("digits").EnumerateArray().Skip(1).Take(4).ToList();
        Assert.All(unsure, digit => Assert.InRange(digit.GetProperty("confidence").GetSingle(), 0.2f, NumberReader.SecondLookBelow));
    }

    [Fact]
    public async Task A_sliver_of_a_neighbouring_digit_beside_a_digit_is_not_a_digit()
    {
        // MNIST test digits 8112, 9469 and 8759 (a 2, a 7, an 8) carry a thin sliver of a neighbour's stroke, apart
        // from the digit, at the edge of their 28x28 crop.
        await ReadsAsWritten([1, 8112, 2, 9469, 8759, 3], "221780");
    }

    [Fact]
    public async Task No_digits_and_too_many_digits_are_422_problems_that_say_so()
    {
        var blank = await HttpAssert.Problem(await Read(TestImages.Blank(300, 80, 255)), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("No digit found", blank.GetProperty("title").GetString());

        // A field of dots: thousands of strokes, refused before they are grouped (which costs their number squared).
        using var dots = new Image<L8>(1200, 1200, new L8(255));
        for (var y = 0; y < dots.Height; y += 4)
        {
            for (var x = 0; x < dots.Width; x += 4)
            {
                dots[x, y] = dots[x + 1, y] = dots[x, y + 1] = dots[x + 1, y + 1] = new L8(0);
            }
        }
        var field = await HttpAssert.Problem(await Read(TestImages.Encode(dots, new PngEncoder())), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("Too many digits", field.GetProperty("title").GetString());
        Assert.Contains("more than 1280 separate strokes", field.GetProperty("detail").GetString());

        // A saw of strokes 200 pixels high: one glyph cut at every dip into thousands of possible digits, refused before
        // they are read.
        using var saw = new Image<L8>(4096, 300, new L8(255));
        for (var x = 20; x < saw.Width - 20; x++)
        {
            var tooth = 10 + (190 * Math.Abs((x % 20) - 10) / 10);
            for (var y = 250 - tooth; y < 250; y++)
            {
                saw[x, y] = new L8(0);
            }
        }
        var pieces = await HttpAssert.Problem(await Read(TestImages.Encode(saw, new PngEncoder())), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("Too many digits", pieces.GetProperty("title").GetString());
        Assert.Contains("possible digits", pieces.GetProperty("detail").GetString());

        var indices = Enumerable.Range(0, 65).Select(i => Clear[i % Clear.Length]).ToArray();
        var long65 = NumberImages.Make(NumberStyle.Spaced, indices, new Random(3), height: 30);
        var tooMany = await HttpAssert.Problem(await Read(long65.Bytes), HttpStatusCode.UnprocessableEntity);
        Assert.Equal("Too many digits", tooMany.GetProperty("title").GetString());
        Assert.Contains("at most 64", tooMany.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Sequence_requests_and_their_digits_are_counted_in_Prometheus()
    {
        await HttpAssert.Json(await Read(Number().Bytes));
        var metrics = await (await HttpAssert.FreshMetrics(_client)).Content.ReadAsStringAsync();
        Assert.Matches(@"mnist_sequence_requests_total\{model=""mnist-cnn""\} [1-9]", metrics);
        Assert.Matches(@"mnist_sequence_digits_count [1-9]", metrics);
        Assert.Matches(@"mnist_sequence_digits_sum [1-9]", metrics);
    }
}
