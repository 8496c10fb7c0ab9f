using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using MnistService.Deploy.Tests.Infrastructure;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace MnistService.Deploy.Tests.Images;

/// <summary>
/// Both images, built once for the test run by replaying the Dockerfile (restore, the two publishes, the
/// runtime stages' COPYs and configuration) into a temporary directory.
/// </summary>
public sealed class ImagesFixture : IDisposable
{
    private readonly string _workRoot = TempDirectory.New("images");

    public ImagesFixture(IMessageSink sink)
    {
        var watch = Stopwatch.StartNew();
        var replay = new ImageReplay(new Dockerfile(Repo.PathOf("Dockerfile")), Repo.Root, _workRoot,
            message => sink.OnMessage(new DiagnosticMessage(message)));
        try
        {
            // The two images share the build stage, then publish independently (in parallel, as BuildKit would).
            replay.Build("build");
            var service = Task.Run(() => replay.Build("service"));
            var worker = Task.Run(() => replay.Build("worker"));
            Service = service.GetAwaiter().GetResult();
            Worker = worker.GetAwaiter().GetResult();
        }
        catch
        {
            Dispose(); // xUnit does not dispose a fixture whose constructor failed.
            throw;
        }
        sink.OnMessage(new DiagnosticMessage($"Images replayed in {watch.Elapsed.TotalSeconds:F0} s into {_workRoot}"));
    }

    public ImageReplay.BuiltStage Service { get; }
    public ImageReplay.BuiltStage Worker { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_workRoot, recursive: true);
        }
        catch (IOException)
        {
            // A process still closing a file; the temporary directory is left to the OS.
        }
    }

    /// <summary>Starts the service image on a free loopback port (docker run -p), with extra environment and mounts.</summary>
    public static async Task<(Container Container, HttpClient Http)> StartServiceAsync(ImageReplay.BuiltStage image,
        IReadOnlyDictionary<string, string>? environment = null, IReadOnlyDictionary<string, string>? mounts = null)
    {
        var port = ChildProcess.FreeLoopbackPort();
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
        {
            // The one change to the image's environment: a free port on 127.0.0.1 instead of 8080 on all interfaces.
            ["ASPNETCORE_HTTP_PORTS"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
        };
        var container = Container.Start(image, env, mounts);
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            await container.Process.WaitUntilAnswersAsync(http, "/readyz", TimeSpan.FromSeconds(60));
            return (container, http);
        }
        catch
        {
            http.Dispose();
            await container.DisposeAsync();
            throw;
        }
    }

    public sealed record ModelList(string Default, IReadOnlyList<ModelEntry> Models);
    public sealed record ModelEntry(string Name, double? TestAccuracy);
    public sealed record Prediction(int Digit, float Confidence, float[] Probabilities, string Model);

    public static async Task<ModelList> ModelsAsync(HttpClient http) =>
        (await http.GetFromJsonAsync<ModelList>("/models", JsonOptions))!;

    public static async Task<(HttpStatusCode Status, Prediction? Answer, string Body)> PredictPngAsync(HttpClient http, byte[] png, string? model = null)
    {
        using var form = new MultipartFormDataContent();
        var image = new ByteArrayContent(png);
        image.Headers.ContentType = new("image/png");
        form.Add(image, "image", "digit.png");
        var response = await http.PostAsync(model is null ? "/predict" : $"/predict?model={Uri.EscapeDataString(model)}", form);
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode,
            response.IsSuccessStatusCode ? System.Text.Json.JsonSerializer.Deserialize<Prediction>(body, JsonOptions) : null, body);
    }

    private static readonly System.Text.Json.JsonSerializerOptions JsonOptions = new(System.Text.Json.JsonSerializerDefaults.Web);
}

[CollectionDefinition(Name)]
public sealed class ImagesCollection : ICollectionFixture<ImagesFixture>
{
    public const string Name = "Images";
}
