using System.Net;
using System.Text.Json;
using MnistService.Api.Tests.Infrastructure;
using MnistService.Testing.NotADigit;
using Xunit.Abstractions;

namespace MnistService.Api.Tests.Predictions;

/// <summary>
/// "Is this a digit?" through the HTTP API with the committed model: the generated non-digits (letters, symbols,
/// shapes, scribbles, noise, blanks) and MNIST test digits uploaded as drawings, as a user sends them.
/// docs/not-a-digit.md has the full measurement (200 per kind, 2,000 digits); this is a smaller sample of it.
/// </summary>
[Collection(CommittedModelCollection.Name)]
public sealed class NotADigitTests(CommittedModelFixture fixture, ITestOutputHelper output)
{
    private readonly HttpClient _client = fixture.Client;

    private async Task<(HttpStatusCode Status, JsonElement Body)> Upload(UploadSample sample)
    {
        using var response = await _client.PostAsync("/predict", HttpAssert.Bytes(sample.Bytes, sample.ContentType));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, json.RootElement.Clone());
    }

    [Fact]
    public async Task Every_blank_upload_is_422_with_one_message()
    {
        var blanks = NonDigitImages.Generate(perKind: 40, seed: 11).Where(s => s.IsBlank).ToList();
        var details = new HashSet<string>();
        foreach (var blank in blanks)
        {
            var (status, body) = await Upload(blank);
            Assert.True(status == HttpStatusCode.UnprocessableEntity, $"{blank}: {(int)status}");
            details.Add(body.GetProperty("detail").GetString()!);
        }
        Assert.Single(details);
    }

    [Fact]
    public async Task Digit_uploads_are_digits_and_most_generated_non_digits_are_not()
    {
        var digits = DigitUploads.Generate(1000, seed: 12);
        var rejectedDigits = new List<string>();
        foreach (var digit in digits)
        {
            var (status, body) = await Upload(digit);
            Assert.Equal(HttpStatusCode.OK, status);
            if (!body.GetProperty("isDigit").GetBoolean())
            {
                rejectedDigits.Add(digit.Name);
            }
        }
        var nonDigits = NonDigitImages.Generate(perKind: 30, seed: 13).Where(s => !s.IsBlank).ToList();
        var accepted = new List<string>();
        foreach (var sample in nonDigits)
        {
            var (status, body) = await Upload(sample);
            if (status == HttpStatusCode.OK && body.GetProperty("isDigit").GetBoolean())
            {
                accepted.Add(sample.Name);
            }
        }
        var rejectedShare = 1 - (double)accepted.Count / nonDigits.Count;
        output.WriteLine($"digits rejected: {rejectedDigits.Count} of {digits.Count}; non-digits (blanks aside) rejected: {rejectedShare:P1}");
        // The bound for real digits: at most 1 % rejected.
        Assert.True(rejectedDigits.Count <= digits.Count / 100, string.Join("\n", rejectedDigits));
        // A floor under what the shipped detectors measure (74-87 % without blanks, docs/not-a-digit.md), so that
        // a model that lost its detector, or a detector that lost its training on non-digits, fails here.
        Assert.True(rejectedShare >= 0.55, $"only {rejectedShare:P1} rejected; accepted:\n{string.Join("\n", accepted)}");
    }

    [Fact]
    public async Task The_threshold_is_in_the_models_report_and_answers_carry_the_score()
    {
        var model = await HttpAssert.Json(await _client.GetAsync("/models/mnist-cnn"));
        var threshold = model.GetProperty("report").GetProperty("detector").GetProperty("threshold").GetDouble();
        var answer = await HttpAssert.Json(await _client.PostAsync("/predict",
            HttpAssert.Bytes(TestImages.MnistPng(MnistTestSet.Images[0]), "image/png")));
        Assert.True(answer.GetProperty("isDigit").GetBoolean());
        Assert.True(answer.GetProperty("digitScore").GetDouble() >= threshold);
    }

    [Fact]
    public async Task Non_digit_answers_are_counted_per_model()
    {
        var answered = 0;
        foreach (var sample in NonDigitImages.Generate(perKind: 5, seed: 14).Where(s => !s.IsBlank))
        {
            var (status, body) = await Upload(sample);
            if (status == HttpStatusCode.OK && !body.GetProperty("isDigit").GetBoolean())
            {
                answered++;
            }
        }
        Assert.True(answered > 0, "some of 25 non-digits should be answered isDigit false");
        var metrics = await (await HttpAssert.FreshMetrics(_client)).Content.ReadAsStringAsync();
        Assert.Matches("""mnist_non_digits_total\{model="mnist-cnn"\} [1-9]""", metrics);
    }
}
