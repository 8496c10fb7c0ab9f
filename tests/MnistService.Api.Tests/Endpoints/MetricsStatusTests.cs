using System.Globalization;
using System.Net;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Endpoints;

/// <summary>Prometheus's HTTP metrics record the status the client received, errors raised inside endpoints included.</summary>
[Collection(CommittedModelCollection.Name)]
public sealed class MetricsStatusTests(CommittedModelFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    [Theory]
    [InlineData("/predict?model=no-such-model", "404")]
    [InlineData("/predict", "422")]
    public async Task An_error_raised_by_the_endpoint_is_counted_with_its_status(string path, string code)
    {
        var countBefore = await SampleAsync("http_requests_received_total", code);
        var durationsBefore = await SampleAsync("http_request_duration_seconds_count", code);

        using var response = await _client.PostAsync(path, HttpAssert.Bytes(TestImages.Blank(280, 280, 255), "image/png")); // an empty drawing
        Assert.Equal(code, ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));

        // Read after the scrape cache's second, so that the text is rendered after the request.
        var after = await (await HttpAssert.FreshMetrics(_client)).Content.ReadAsStringAsync();
        Assert.True(Sample(after, "http_requests_received_total", code) >= countBefore + 1, $"no code=\"{code}\" request counted for POST /predict:\n" + Lines(after, "http_requests_received_total"));
        Assert.True(Sample(after, "http_request_duration_seconds_count", code) >= durationsBefore + 1, $"no code=\"{code}\" duration recorded for POST /predict");
    }

    private static string Lines(string text, string metric) =>
        string.Join('\n', text.Split('\n').Where(line => line.StartsWith(metric, StringComparison.Ordinal)));

    /// <summary>The value of <paramref name="metric"/> for POST /predict with status <paramref name="code"/> now (a cached scrape can only be older, so lower).</summary>
    private async Task<double> SampleAsync(string metric, string code) => Sample(await _client.GetStringAsync("/metrics"), metric, code);

    /// <summary>The value of <paramref name="metric"/> for POST /predict with status <paramref name="code"/>; 0 when absent.</summary>
    private static double Sample(string text, string metric, string code)
    {
        return text.Split('\n')
            .Where(line => line.StartsWith(metric + "{", StringComparison.Ordinal)
                && line.Contains($"code=\"{code}\"", StringComparison.Ordinal)
                && line.Contains("method=\"POST\"", StringComparison.Ordinal)
                && line.Contains("endpoint=\"/predict", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }
}
