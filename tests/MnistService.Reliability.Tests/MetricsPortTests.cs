using System.Net;
using MnistService.Reliability.Tests.Infrastructure;

namespace MnistService.Reliability.Tests;

/// <summary>
/// With <c>Metrics:Port</c> set, Prometheus scrapes a port of its own: /metrics answers there and only
/// there, that port answers nothing else, and it is not rate-limited (the main port still is).
/// </summary>
public sealed class MetricsPortTests : IDisposable
{
    private readonly string _models = TempDirectory.New("metrics-port");

    public void Dispose() => TempDirectory.TryDelete(_models);

    [Fact]
    public async Task With_Metrics_Port_set_metrics_answer_on_that_port_alone_and_are_never_rate_limited()
    {
        File.Copy(Repo.DefaultModel, Path.Combine(_models, "mnist-cnn.onnx"));
        var managementPort = ChildProcess.FreeLoopbackPort();
        using var service = await ServiceProcess.StartAsync(_models, new Dictionary<string, string>
        {
            ["Metrics__Port"] = managementPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RateLimiting__Enabled"] = "true",
            ["RateLimiting__BurstLimit"] = "3",
            ["RateLimiting__RequestsPerSecond"] = "1",
            ["RateLimiting__ReplenishmentPeriod"] = "00:01:00",
        });
        using var main = new HttpClient { BaseAddress = service.Address, Timeout = TimeSpan.FromSeconds(10) };
        using var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{managementPort}/"), Timeout = TimeSpan.FromSeconds(10) };

        using (var hidden = await main.GetAsync("metrics"))
        {
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
            Assert.Equal("application/problem+json", hidden.Content.Headers.ContentType?.MediaType);
        }
        for (var i = 0; i < 10; i++)
        {
            using var scrape = await management.GetAsync("metrics");
            Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
            Assert.Equal("text/plain", scrape.Content.Headers.ContentType?.MediaType);
            Assert.Contains("# TYPE mnist_connections_open gauge", await scrape.Content.ReadAsStringAsync());
        }
        foreach (var path in new[] { "", "healthz", "models", "metrics/confusion" })
        {
            using var other = await management.GetAsync(path);
            Assert.True(other.StatusCode == HttpStatusCode.NotFound, $"/{path} on the management port: {(int)other.StatusCode}");
        }

        // The main port serves the rest, rate-limited as before.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var models = await main.GetAsync("models");
            statuses.Add(models.StatusCode);
        }
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.OK, (await main.GetAsync("healthz")).StatusCode);
    }
}
