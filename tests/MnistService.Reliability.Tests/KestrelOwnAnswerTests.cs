using MnistService.Reliability.Tests.Infrastructure;

namespace MnistService.Reliability.Tests;

/// <summary>
/// The answers Kestrel gives by itself, before the app sees a request, carry the security headers like
/// every other answer (they used to have none). Raw sockets, since no HTTP client sends such requests.
/// </summary>
public sealed class KestrelOwnAnswerTests(KestrelOwnAnswerTests.Service service) : IClassFixture<KestrelOwnAnswerTests.Service>
{
    private static readonly string[] SecurityHeaders =
        ["Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy"];

    public static TheoryData<string, string, string> Requests() => new()
    {
        { "a request line that is not HTTP", "HELLO THERE\r\n\r\n", "400" },
        { "a header line without a colon", "GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", "400" },
        { "headers over 32 KB", $"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: {new string('a', 40_000)}\r\n\r\n", "431" },
        { "a URL over 8 KB", $"GET /{new string('a', 9_000)} HTTP/1.1\r\nHost: x\r\n\r\n", "414" },
        { "an HTTP version it does not speak", "GET /healthz HTTP/1.2\r\nHost: x\r\n\r\n", "505" },
        { "headers that stop coming (the request timeout, 1 s here)", "GET /healthz HTTP/1.1\r\nHost: x\r\n", "408" },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task Kestrel_s_own_answer_carries_the_security_headers(string what, string request, string status)
    {
        var text = await RawHttp.ExchangeAsync(service.Port, request);

        var (statusLine, headers) = Assert.Single(RawHttp.Answers(text));
        Assert.True(statusLine.StartsWith($"HTTP/1.1 {status}", StringComparison.Ordinal), $"{what}: {statusLine}");
        foreach (var name in SecurityHeaders)
        {
            Assert.True(headers.Count(h => h.Name == name) == 1, $"{what}: {name} missing or repeated in\n{text}");
        }
        Assert.Contains(("X-Content-Type-Options", "nosniff"), headers);
        Assert.Contains("frame-ancestors 'none'", headers.Single(h => h.Name == "Content-Security-Policy").Value);
    }

    [Fact]
    public async Task On_one_connection_an_answer_of_the_app_and_then_Kestrel_s_own_each_carry_the_headers_once()
    {
        var text = await RawHttp.ExchangeAsync(service.Port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /models HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP\r\n\r\n");

        var answers = RawHttp.Answers(text);
        Assert.Equal(["HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 400 Bad Request"], answers.Select(a => a.StatusLine));
        foreach (var (statusLine, headers) in answers)
        {
            foreach (var name in SecurityHeaders)
            {
                Assert.True(headers.Count(h => h.Name == name) == 1, $"{statusLine}: {name} missing or repeated in\n{text}");
            }
        }
        Assert.Contains("\"status\":\"alive\"", text); // the app's bodies pass untouched
        Assert.Contains("\"default\":\"mnist-cnn\"", text);
    }

    /// <summary>One service for these tests, with a 1 s request timeout (Kestrel's header timeout follows it).</summary>
    public sealed class Service : IAsyncLifetime
    {
        private readonly string _models = TempDirectory.New("kestrel-answers");
        private ServiceProcess? _process;

        public int Port => _process!.Address.Port;

        public async Task InitializeAsync()
        {
            File.Copy(Repo.DefaultModel, Path.Combine(_models, "mnist-cnn.onnx"));
            _process = await ServiceProcess.StartAsync(_models, new Dictionary<string, string> { ["RequestTimeouts__Timeout"] = "00:00:01" });
        }

        public Task DisposeAsync()
        {
            _process?.Dispose();
            TempDirectory.TryDelete(_models);
            return Task.CompletedTask;
        }
    }
}
