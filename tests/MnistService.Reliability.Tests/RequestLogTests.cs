using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using MnistService.Reliability.Tests.Infrastructure;

namespace MnistService.Reliability.Tests;

/// <summary>
/// The request log as an operator's log collector reads it from the real process (<c>Logging:Json</c>):
/// one JSON object per request with method, path, status and time; a prediction's also names the model,
/// the digit and the input form; probes and the Prometheus scrape at Debug, below the Information stream.
/// </summary>
public sealed class RequestLogTests : IDisposable
{
    private readonly string _models = TempDirectory.New("request-log");

    public void Dispose() => TempDirectory.TryDelete(_models);

    [Fact]
    public async Task Every_request_gets_one_json_line_and_probes_and_scrapes_are_logged_at_debug()
    {
        File.Copy(Repo.DefaultModel, Path.Combine(_models, "mnist-cnn.onnx"));
        using var service = await ServiceProcess.StartAsync(_models, new Dictionary<string, string>
        {
            ["Logging__Json"] = "true",
            ["Serilog__MinimumLevel__Default"] = "Debug",
        });
        using var http = new HttpClient { BaseAddress = service.Address, Timeout = TimeSpan.FromSeconds(30) };

        using var png = new ByteArrayContent(Bodies.CanvasPng);
        png.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        var prediction = await http.PostAsync("predict", png);
        Assert.Equal(HttpStatusCode.OK, prediction.StatusCode);
        var digit = JsonDocument.Parse(await prediction.Content.ReadAsStringAsync()).RootElement.GetProperty("digit").GetInt32();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("no-such-page")).StatusCode);

        var predict = await RequestLineAsync(service, "/predict");
        Assert.False(predict.TryGetProperty("@l", out _), "a prediction is logged at Information (the compact format omits that level)");
        Assert.Equal("POST", predict.GetProperty("RequestMethod").GetString());
        Assert.Equal(200, predict.GetProperty("StatusCode").GetInt32());
        Assert.True(predict.GetProperty("Elapsed").GetDouble() > 0);
        Assert.Equal("mnist-cnn", predict.GetProperty("Model").GetString());
        Assert.Equal(digit, predict.GetProperty("Digit").GetInt32());
        Assert.Equal("image", predict.GetProperty("Input").GetString());
        Assert.Matches($@"^HTTP POST /predict responded 200 in [\d.,]+ ms: mnist-cnn read {digit} from image$", predict.GetProperty("@m").GetString());

        Assert.Equal("Debug", (await RequestLineAsync(service, "/healthz")).GetProperty("@l").GetString());
        Assert.Equal("Debug", (await RequestLineAsync(service, "/metrics")).GetProperty("@l").GetString());
        var notFound = await RequestLineAsync(service, "/no-such-page");
        Assert.False(notFound.TryGetProperty("@l", out _), "an unknown path is an ordinary request, logged at Information");
        Assert.Equal(404, notFound.GetProperty("StatusCode").GetInt32());
    }

    /// <summary>
    /// The one request line for <paramref name="path"/>, once the background writer has printed it; every
    /// line of the output must be a JSON object.
    /// </summary>
    private static async Task<JsonElement> RequestLineAsync(ServiceProcess service, string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var lines = service.Process.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => JsonDocument.Parse(line).RootElement)
                .Where(line => line.TryGetProperty("RequestPath", out var p) && p.GetString() == path)
                .ToList();
            if (lines.Count > 0 || DateTime.UtcNow > deadline)
            {
                return Assert.Single(lines);
            }
            await Task.Delay(100);
        }
    }
}
