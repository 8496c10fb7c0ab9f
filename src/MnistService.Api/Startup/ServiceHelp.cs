using System.Globalization;
using MnistService.Api.Clients;
using MnistService.Api.Feedback;
using MnistService.Api.Jobs;
using MnistService.Api.ModelStore;
using MnistService.Api.Predictions;
using MnistService.Api.Security;
using MnistService.Core.Logging;

namespace MnistService.Api.Startup;

/// <summary><c>MnistService.Api --help</c>: what the service serves and every setting, with its environment variable and default.</summary>
public static class ServiceHelp
{
    public static bool IsRequested(string[] args) => args.Any(arg => arg is "--help" or "-h" or "-?" or "/?");

    /// <summary>The settings: key, default, what it does. Defaults are read from the options classes themselves.</summary>
    public static IReadOnlyList<(string Key, string Default, string Meaning)> Settings { get; } = Describe();

    public static string Text
    {
        get
        {
            var rows = Settings.Select(s =>
                $"  {s.Key} / {s.Key.Replace(":", "__", StringComparison.Ordinal)}{Environment.NewLine}      {s.Meaning} (default: {s.Default})");
            return $"""
                MnistService: reads handwritten digits over HTTP with ONNX models trained by mnist-train.

                Usage: MnistService.Api [--help] [--urls URL] [--KEY=VALUE ...]
                       dotnet run --project src/MnistService.Api -- [--urls URL] [--KEY=VALUE ...]

                It serves, on http://localhost:5000 unless ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS or --urls say otherwise:
                  /                                 the page: draw a digit and watch the network read it
                  POST /predict[?model=NAME]        one image (multipart 'image', a raw image/* body, or JSON) -> the digit
                                                    (&explain=true: each layer's activations, the scores, the saliency)
                  POST /predict/sequence            a whole number on one line (same inputs as /predict) -> its digits
                  GET /models, /models/NAME         the loaded models, which is the default and why, load errors
                  DELETE /models/NAME               delete a model's file (never the default's)
                  POST /models/NAME/default         make a model the default, if it passes the promotion gate
                  GET /models/NAME/weights/LAYER    a dense layer's weights as tiles (PNG) or numbers (Accept: application/json)
                  GET /datasets/mnist/test/INDEX    an MNIST test image as PNG, its true digit in X-Mnist-Label
                  POST /feedback                    a person's answer to a reading: its id and the right digit; GET|DELETE /feedback/ID
                  POST /jobs, GET /jobs             queue a training job (JSON settings); every job and the server's limits
                  GET|DELETE /jobs/ID               a job's settings, state and epochs; cancel it
                  GET /jobs/ID/events               a job's progress as server-sent events
                  GET /metrics/confusion            a model's test-set confusion matrix
                  GET /metrics/feedback             a model's confusion matrix on people's answers (field accuracy)
                  GET /metrics                      Prometheus (on Metrics:Port alone when that is set)
                  GET|HEAD /healthz, /readyz        alive; ready when the default model is loaded
                  /swagger                          the API, documented

                Settings come from appsettings.json, environment variables (KEY with each ':' written '__') or --KEY=VALUE.
                Every one is checked at start: a bad value stops the start with one line naming it, and exit code 1.
                {string.Join(Environment.NewLine, rows)}
                  Serilog:MinimumLevel:Default / Serilog__MinimumLevel__Default
                      log level: Verbose, Debug, Information, Warning, Error or Fatal (default: Information)

                """;
        }
    }

    private static List<(string, string, string)> Describe()
    {
        var models = new ModelsOptions();
        var limits = new LimitsOptions();
        var rate = new RateLimitingOptions();
        var forwarded = new ForwardedHeadersSettings();
        var connections = new ConnectionLimitsOptions();
        var feedback = new FeedbackOptions();
        var training = new TrainingOptions();
        static string Seconds(TimeSpan t) => t.ToString("c", CultureInfo.InvariantCulture);
        return
        [
            ("Models:Directory", "models/ beside the app, else the first models/ in or above the working directory", "folder of *.onnx models, watched for changes"),
            ("Models:Default", $"{models.Default}; if absent, the only or most accurate model", "model for requests that name none"),
            ("Models:IntraOpThreads", $"{models.IntraOpThreads}", "ONNX Runtime threads per prediction"),
            ("Models:Debounce", Seconds(models.Debounce), "quiet time after a file event before the folder is read"),
            ("Models:SettleTime", Seconds(models.SettleTime), "how long a changed file must stay unchanged before it is loaded"),
            ("Models:RescanInterval", Seconds(models.RescanInterval), "full rescan of the folder"),
            ("Models:MaxFileBytes", $"{models.MaxFileBytes}", "largest model file; larger ones are reported in /models and never read"),
            ("Limits:MaxRequestBytes", $"{limits.MaxRequestBytes}", "largest request body; larger gets 413"),
            ("Limits:MaxImagePixels", $"{limits.MaxImagePixels}", "largest image, width x height"),
            ("Limits:MaxImageSide", $"{limits.MaxImageSide}", "largest width or height"),
            ("Limits:MaxDecodedPixelsInFlight", "0: half the memory limit at 12 bytes a pixel (one 4096x4096 image per 384 MiB)",
                "decoded pixels in memory at once over all requests; past it a request waits up to 1 s, then 503 with Retry-After"),
            ("RequestTimeouts:Timeout", Seconds(new TimeoutOptions().Timeout), "longest request, upload included; then 408"),
            ("RateLimiting:Enabled", $"{rate.Enabled}".ToLowerInvariant(), "per-client rate limit (429 with Retry-After)"),
            ("RateLimiting:BurstLimit", $"{rate.BurstLimit}", "requests a client may make at once"),
            ("RateLimiting:RequestsPerSecond", $"{rate.RequestsPerSecond}", "requests per second a client may keep up"),
            ("RateLimiting:ReplenishmentPeriod", Seconds(rate.ReplenishmentPeriod), "how often a client's bucket is topped up"),
            ("Connections:MaxConnections", $"{connections.MaxConnections}, lowered to fit the descriptor limit (ulimit -n)", "connections held at once; more are closed as they come"),
            ("Connections:MaxConnectionsPerClient", $"{connections.MaxConnectionsPerClient}", "connections one client (IPv4 address, IPv6 /64) may hold; the ForwardedHeaders proxies count toward the overall limit only"),
            ("Metrics:Port", "none: /metrics on the main port, rate-limited", "management port: /metrics answers there and only there, not rate-limited"),
            ("ForwardedHeaders:KnownProxies", "none; loopback is always trusted", "proxies whose X-Forwarded-For/-Proto are believed"),
            ("ForwardedHeaders:KnownNetworks", "none", "proxy networks in CIDR notation, e.g. 10.244.0.0/16"),
            ("ForwardedHeaders:ForwardLimit", $"{forwarded.ForwardLimit}", "how many proxies deep to look"),
            ("Cors:AllowedOrigins", "none", "origins whose pages may call the API, e.g. https://example.com, or *"),
            ("SecurityHeaders:ContentSecurityPolicy", "our own scripts, styles and images only", "the pages' Content-Security-Policy"),
            ("SecurityHeaders:SwaggerContentSecurityPolicy", "the same, plus inline styles and data: images, which Swagger UI needs",
                "the Content-Security-Policy under /swagger"),
            ("SecurityHeaders:ReferrerPolicy", new SecurityHeadersOptions().ReferrerPolicy, "the Referrer-Policy of every response"),
            ("Shutdown:Timeout", Seconds(new ShutdownOptions().Timeout), "time for requests in flight on SIGTERM"),
            ("Feedback:ConnectionString", "SQLite in data/feedback.db beside the models folder",
                "feedback database: Host=...;Database=...;Username=... (PostgreSQL) or Data Source=FILE (SQLite)"),
            ("Feedback:KeepOriginals", "false", "store the uploaded image with an answer, not only the 28x28 the network saw"),
            ("Feedback:RetentionDays", $"{feedback.RetentionDays}", "answers older than this are deleted; 0 keeps them"),
            ("Feedback:PredictionLifetime", Seconds(feedback.PredictionLifetime), "how long a prediction's id can be answered"),
            ("Feedback:PredictionMemoryBytes", $"{feedback.PredictionMemoryBytes}", "memory for predictions awaiting an answer; the oldest go first"),
            ("Training:Worker", $"{training.Worker}", "InProcess: the service trains the jobs of POST /jobs; External: a separate mnist-train worker does"),
            ("Training:ApiKey", "none: only loopback clients may train or manage models", "X-Api-Key other clients send to start or cancel jobs, delete models, choose the default (16+ characters)"),
            ("Training:ApiKeyFile", "none", "a file holding Training:ApiKey (a mounted secret), read at start when Training:ApiKey is empty"),
            ("Training:MaxQueued", $"{training.MaxQueued}", "jobs that may wait at once; one more gets 429"),
            ("Training:Threads", "0: all cores but one", "threads of the in-process training (the result does not depend on it)"),
            ("Training:MaxEpochs", $"{training.MaxEpochs}", "most epochs a job may ask for"),
            ("Training:MaxHiddenLayers", $"{training.MaxHiddenLayers}", "most hidden layers a job may ask for"),
            ("Training:MaxHiddenWidth", $"{training.MaxHiddenWidth}", "widest hidden layer a job may ask for"),
            ("Training:Data", "MNIST_DATA_DIR, else ../shared/mnist, else a download into the user cache", "the MNIST folder of the in-process worker"),
            ("StaticFiles:WebRoot", "wwwroot/ beside the app, else the first wwwroot/ in or above the working directory", "the page's folder"),
            (ConsoleLog.JsonSetting, "false", "one JSON object per log line"),
        ];
    }
}
