using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MnistService.Api.Tests.Infrastructure;
using MnistService.Core.Feedback;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace MnistService.Api.Tests.Feedback;

/// <summary>
/// A person's answer to a reading, as a client sends it: the id from /predict with the right digit, stored with
/// what the network saw, counted in the field matrix, deletable; every wrong request a 4xx that says why.
/// </summary>
public sealed class FeedbackEndpointTests : IDisposable
{
    private static readonly int[] Seven = MnistTestSet.Images[0].Select(b => (int)b).ToArray(); // the first MNIST test image

    private readonly ApiFactory _factory = new(Repo.ModelsDirectory, new Dictionary<string, string?> { ["RateLimiting:Enabled"] = "false" });
    private readonly HttpClient _client;

    public FeedbackEndpointTests() => _client = _factory.CreateClient();

    internal static string PixelsJson(IEnumerable<int> pixels) => $$"""{"pixels":[{{string.Join(',', pixels)}}]}""";

    internal static async Task<JsonElement> PredictAsync(HttpClient client, int[]? pixels = null) =>
        await HttpAssert.Json(await client.PostAsync("/predict", HttpAssert.JsonBody(PixelsJson(pixels ?? Seven))));

    internal static async Task<HttpResponseMessage> AnswerAsync(HttpClient client, string id, int label) =>
        await client.PostAsync("/feedback", HttpAssert.JsonBody($$"""{"id":"{{id}}","label":{{label}}}"""));

    [Fact]
    public async Task A_correction_is_stored_with_what_the_network_saw_and_can_be_read_and_deleted()
    {
        var prediction = await PredictAsync(_client);
        var id = prediction.GetProperty("id").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", id);
        var read = prediction.GetProperty("digit").GetInt32();
        var wrong = (read + 1) % 10;

        var response = await AnswerAsync(_client, id, wrong);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/feedback/{id}", response.Headers.Location?.OriginalString);
        var record = await HttpAssert.Json(response);
        Assert.Equal(id, record.GetProperty("id").GetString());
        Assert.Equal(wrong.ToString(), record.GetProperty("label").GetString());
        Assert.Equal(read.ToString(), record.GetProperty("predicted").GetString());
        Assert.False(record.GetProperty("correct").GetBoolean());
        Assert.Equal("mnist-cnn", record.GetProperty("model").GetString());
        Assert.Equal(prediction.GetProperty("modelSha256").GetString(), record.GetProperty("modelSha256").GetString());
        Assert.False(record.GetProperty("originalKept").GetBoolean());
        var piece = Assert.Single(record.GetProperty("pieces").EnumerateArray().ToList());
        var seen = prediction.GetProperty("input").GetProperty("pixels").EnumerateArray().Select(p => p.GetSingle()).ToArray();
        var stored = piece.GetProperty("input").GetProperty("pixels").EnumerateArray().Select(p => p.GetSingle()).ToArray();
        Assert.Equal(784, stored.Length);
        Assert.All(seen.Zip(stored), pair => Assert.InRange(pair.Second - pair.First, -0.003f, 0.003f)); // kept as MNIST bytes
        Assert.Equal(prediction.GetProperty("probabilities").EnumerateArray().Select(p => p.GetSingle()),
            piece.GetProperty("probabilities").EnumerateArray().Select(p => p.GetSingle()));

        Assert.Equal(wrong.ToString(), (await HttpAssert.Json(await _client.GetAsync($"/feedback/{id}"))).GetProperty("label").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/feedback/{id}")).StatusCode);
        await HttpAssert.Problem(await _client.GetAsync($"/feedback/{id}"), HttpStatusCode.NotFound);
        await HttpAssert.Problem(await _client.DeleteAsync($"/feedback/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_field_matrix_counts_confirmations_and_corrections()
    {
        var countedBefore = await AnswersCounted(_client);
        var before = await HttpAssert.Json(await _client.GetAsync("/metrics/feedback?model=mnist-cnn"));
        Assert.Equal(0, before.GetProperty("total").GetInt32());

        var first = await PredictAsync(_client);
        var read = first.GetProperty("digit").GetInt32();
        Assert.Equal(HttpStatusCode.Created, (await AnswerAsync(_client, first.GetProperty("id").GetString()!, read)).StatusCode);
        var second = await PredictAsync(_client);
        Assert.Equal(HttpStatusCode.Created, (await AnswerAsync(_client, second.GetProperty("id").GetString()!, (read + 3) % 10)).StatusCode);

        var after = await HttpAssert.Json(await _client.GetAsync("/metrics/feedback"));
        Assert.Equal("mnist-cnn", after.GetProperty("model").GetString());
        Assert.Equal(2, after.GetProperty("total").GetInt32());
        Assert.Equal(0.5, after.GetProperty("accuracy").GetDouble());
        var matrix = after.GetProperty("matrix");
        Assert.Equal(1, matrix[read][read].GetInt32());
        Assert.Equal(1, matrix[(read + 3) % 10][read].GetInt32());
        Assert.Equal(10, after.GetProperty("perClass").GetArrayLength()); // the shape of /metrics/confusion

        var countedAfter = await AnswersCounted(_client);
        // The counters are the process's: other tests' services count in them too, so at least one more of each.
        Assert.True(countedAfter.Confirmed >= countedBefore.Confirmed + 1 && countedAfter.Corrected >= countedBefore.Corrected + 1,
            $"{countedBefore} -> {countedAfter}");
    }

    private static async Task<(double Confirmed, double Corrected)> AnswersCounted(HttpClient client)
    {
        var metrics = await (await HttpAssert.FreshMetrics(client)).Content.ReadAsStringAsync();
        double Value(string outcome) => metrics.Split('\n')
            .Where(line => line.StartsWith($"mnist_feedback_total{{model=\"mnist-cnn\",outcome=\"{outcome}\"}} ", StringComparison.Ordinal))
            .Select(line => double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)).SingleOrDefault();
        Assert.Contains("# TYPE mnist_feedback_total counter", metrics);
        return (Value("confirmed"), Value("corrected"));
    }

    [Fact]
    public async Task An_image_not_predicted_before_is_read_and_stored_with_its_label()
    {
        var png = Png(Seven);
        var json = await _client.PostAsync("/feedback", HttpAssert.JsonBody(
            $$"""{"image":"data:image/png;base64,{{Convert.ToBase64String(png)}}","label":7}"""));
        var stored = await HttpAssert.Json(json);
        Assert.Equal(HttpStatusCode.Created, json.StatusCode);
        Assert.Equal("7", stored.GetProperty("label").GetString());
        Assert.Equal(1, stored.GetProperty("predicted").GetString()!.Length);

        var form = await _client.PostAsync("/feedback?label=7", HttpAssert.Form(png, "image/png"));
        Assert.Equal(HttpStatusCode.Created, form.StatusCode);
        var raw = await _client.PostAsync("/feedback?label=7", HttpAssert.Bytes(png, "image/png"));
        Assert.Equal(HttpStatusCode.Created, raw.StatusCode);
        var pixels = await _client.PostAsync("/feedback", HttpAssert.JsonBody($$"""{"pixels":[{{string.Join(',', Seven)}}],"label":7}"""));
        Assert.Equal("7", (await HttpAssert.Json(pixels)).GetProperty("predicted").GetString());
    }

    [Fact]
    public async Task A_number_is_answered_with_text_and_counts_digit_by_digit_in_the_field_matrix()
    {
        // A reading of a number as /predict/sequence remembers it: one 28x28 and ten probabilities per digit read.
        var memory = _factory.Services.GetRequiredService<Api.Feedback.PredictionMemory>();
        var id = memory.Remember(new float[4 * 784], "0157", new float[40], "numbers-model", new string('c', 64));

        var digit = await HttpAssert.Problem(await AnswerAsync(_client, id, 0), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("this reading is the number 0157: send the right number as 'text'", digit.GetProperty("detail").GetString());
        var stored = await HttpAssert.Json(await _client.PostAsync("/feedback", HttpAssert.JsonBody($$"""{"id":"{{id}}","text":"01-51"}""")));

        Assert.Equal(("0151", "0157", false), (stored.GetProperty("label").GetString(), stored.GetProperty("predicted").GetString(), stored.GetProperty("correct").GetBoolean()));
        Assert.Equal(4, stored.GetProperty("pieces").GetArrayLength());
        var field = await HttpAssert.Json(await _client.GetAsync("/metrics/feedback?model=numbers-model"));
        Assert.Equal(4, field.GetProperty("total").GetInt32());
        Assert.Equal(0.75, field.GetProperty("accuracy").GetDouble());
        Assert.Equal(1, field.GetProperty("matrix")[1][7].GetInt32());
    }

    public static TheoryData<string, HttpStatusCode, string> WrongAnswers => new()
    {
        { """{"id":"ID","label":12}""", HttpStatusCode.UnprocessableEntity, "whole number 0-9; got 12" },
        { """{"id":"ID","label":-1}""", HttpStatusCode.UnprocessableEntity, "whole number 0-9; got -1" },
        { """{"id":"ID","label":3.5}""", HttpStatusCode.UnprocessableEntity, "got 3.5" },
        { """{"id":"ID","label":"7"}""", HttpStatusCode.UnprocessableEntity, "got \"7\"" },
        { """{"id":"ID","label":null}""", HttpStatusCode.BadRequest, "'label' (a digit 0-9)" },
        { """{"id":"ID","text":"12a4"}""", HttpStatusCode.UnprocessableEntity, "1 to 64 digits" },
        { """{"id":"ID","text":"1234"}""", HttpStatusCode.UnprocessableEntity, "this reading is one digit" },
        { """{"id":"ID"}""", HttpStatusCode.BadRequest, "Send the right answer" },
        { """{"id":"ID","label":1,"text":"1"}""", HttpStatusCode.BadRequest, "not both" },
        { """{"id":"ID","label":1,"pixels":[1]}""", HttpStatusCode.BadRequest, "not both" },
        { """{"id":"ID","label":1,"colour":"red"}""", HttpStatusCode.BadRequest, "Unknown field 'colour'" },
        { """{"id":7,"label":1}""", HttpStatusCode.BadRequest, "'id' must be a string" },
        { """{"id":"ID","label":1""", HttpStatusCode.BadRequest, "not valid JSON" },
        { """{"label":1}""", HttpStatusCode.BadRequest, "Send 'id'" },
        { """{"text":"12","image":"data:image/png;base64,AAAA"}""", HttpStatusCode.BadRequest, "'text' answers a number read before" },
        { """{"id":"0123456789abcdef0123456789abcdef","label":1}""", HttpStatusCode.NotFound, "No prediction with id '0123456789abcdef0123456789abcdef'" },
    };

    [Theory]
    [MemberData(nameof(WrongAnswers))]
    public async Task A_wrong_answer_is_refused_saying_why(string body, HttpStatusCode status, string detail)
    {
        var id = (await PredictAsync(_client)).GetProperty("id").GetString()!;
        var problem = await HttpAssert.Problem(await _client.PostAsync("/feedback", HttpAssert.JsonBody(body.Replace("\"ID\"", $"\"{id}\""))), status);
        Assert.Contains(detail, problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("/feedback", "Send the right digit as ?label=N")]
    [InlineData("/feedback?label=seven", "'label' must be a digit 0-9; got 'seven'")]
    [InlineData("/feedback?label=10", "'label' must be a digit 0-9; got '10'")]
    public async Task An_image_needs_a_digit_label(string path, string detail)
    {
        var response = await _client.PostAsync(path, HttpAssert.Bytes(Png(Seven), "image/png"));
        var problem = await HttpAssert.Problem(response, path.Contains("label") ? HttpStatusCode.UnprocessableEntity : HttpStatusCode.BadRequest);
        Assert.Contains(detail, problem.GetProperty("detail").GetString());
    }

    internal static byte[] Png(int[] mnistPixels)
    {
        using var image = new Image<L8>(28, 28);
        for (var i = 0; i < 784; i++)
        {
            image[i % 28, i / 28] = new L8((byte)(255 - mnistPixels[i])); // dark on white, as drawn
        }
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        return png.ToArray();
    }

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
    }
}
