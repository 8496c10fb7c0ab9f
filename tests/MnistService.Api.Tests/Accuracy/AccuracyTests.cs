using System.Collections.Concurrent;
using System.Text.Json;
using MnistService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MnistService.Api.Tests.Accuracy;

/// <summary>
/// The MNIST test set through the HTTP API, as uploads, against the accuracy the model's report states.
/// </summary>
[Collection(CommittedModelCollection.Name)]
public sealed class AccuracyTests(CommittedModelFixture fixture, ITestOutputHelper output)
{
    private readonly HttpClient _client = fixture.Client;

    private static readonly int[] All = Enumerable.Range(0, MnistTestSet.Images.Length).ToArray();

    private async Task<double> ReportedAccuracy()
    {
        var models = await HttpAssert.Json(await _client.GetAsync("/models"));
        return models.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "mnist-cnn")
            .GetProperty("testAccuracy").GetDouble();
    }

    /// <summary>Uploads one image per index and returns the fraction the service reads as the label.</summary>
    private Task<double> Accuracy(IReadOnlyList<int> indices, Func<int, (byte[] Bytes, string Type)> make) =>
        Accuracy(indices, i =>
        {
            var (bytes, type) = make(i);
            return HttpAssert.Bytes(bytes, type);
        });

    /// <summary>Posts one body per index and returns the fraction the service reads as the label.</summary>
    private async Task<double> Accuracy(IReadOnlyList<int> indices, Func<int, HttpContent> make)
    {
        var correct = 0;
        var failures = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(indices, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
        {
            using var response = await _client.PostAsync("/predict", make(i), ct);
            if (!response.IsSuccessStatusCode)
            {
                failures.Add($"image {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                return;
            }
            using var json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct));
            if (json.RootElement.GetProperty("digit").GetInt32() == MnistTestSet.Labels[i])
            {
                Interlocked.Increment(ref correct);
            }
        });
        Assert.Empty(failures);
        return (double)correct / indices.Count;
    }

    [Fact]
    public async Task MNIST_test_set_as_28x28_PNG_uploads_reaches_the_reported_accuracy()
    {
        var reported = await ReportedAccuracy();
        var measured = await Accuracy(All, i => (TestImages.MnistPng(MnistTestSet.Images[i]), "image/png"));
        output.WriteLine($"28x28 PNG: {measured:P2} over {All.Length} images; report says {reported:P2}");
        Assert.InRange(measured, reported - 0.001, reported + 0.001);
    }

    [Fact]
    public async Task MNIST_test_set_as_JSON_pixels_preprocessed_by_default_reaches_the_reported_accuracy()
    {
        var reported = await ReportedAccuracy();
        var measured = await Accuracy(All, i => HttpAssert.JsonBody($$"""{"pixels":[{{string.Join(",", MnistTestSet.Images[i])}}]}"""));
        output.WriteLine($"JSON pixels: {measured:P2} over {All.Length} images; report says {reported:P2}");
        Assert.InRange(measured, reported - 0.001, reported + 0.001);
    }

    // Every second test image: 5,000 of each kind keeps the suite quick; the tolerance is 1 %.
    private static readonly int[] Half = Enumerable.Range(0, 10_000).Where(i => i % 2 == 0).ToArray();

    [Fact]
    public async Task Digits_drawn_large_off_centre_black_on_white_as_JPEG_stay_within_1_percent()
    {
        var reported = await ReportedAccuracy();
        var measured = await Accuracy(Half, i =>
            (TestImages.BlackOnWhiteJpeg(MnistTestSet.Images[i], TestImages.Placement.Random(new Random(i))), "image/jpeg"));
        output.WriteLine($"large black-on-white JPEG: {measured:P2} over {Half.Length} images; report says {reported:P2}");
        Assert.InRange(measured, reported - 0.01, reported + 0.01);
    }

    [Fact]
    public async Task Digits_drawn_large_off_centre_on_transparent_PNG_stay_within_1_percent()
    {
        var reported = await ReportedAccuracy();
        var measured = await Accuracy(Half, i =>
            (TestImages.TransparentPng(MnistTestSet.Images[i], TestImages.Placement.Random(new Random(-i))), "image/png"));
        output.WriteLine($"large transparent PNG: {measured:P2} over {Half.Length} images; report says {reported:P2}");
        Assert.InRange(measured, reported - 0.01, reported + 0.01);
    }

    // All 10,000, as for the MNIST figures: the goal is a share of the whole test set, and a quarter's sampling error
    // (0.2 %) is as large as the margin. docs/benchmarks.md has the figures by pen and format.
    [Fact]
    public async Task Canvas_like_uploads_large_off_centre_thin_and_thick_pens_JPEG_and_transparent_PNG_read_at_least_99_percent()
    {
        var measured = await Accuracy(All, i => TestImages.CanvasLike(MnistTestSet.Images[i], new Random(i)));
        output.WriteLine($"canvas-like uploads: {measured:P2} over {All.Length} images");
        Assert.True(measured >= 0.99, $"{measured:P2} of canvas-like uploads read right; the default model reads at least 99 %.");
    }
}
