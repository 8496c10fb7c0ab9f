using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace MnistService.Browser.Tests.Infrastructure;

/// <summary>
/// The real service on a free loopback port (Kestrel, not the in-memory TestServer, so a browser can
/// reach it) serving the repository's wwwroot, plus one headless Chromium shared by the tests (see
/// <see cref="Chromium"/> for which one).
/// The models, in a temporary directory: the committed multi-layer perceptron (the default here: the page looks inside
/// it) with its misread test images recorded,
/// and a second, smaller model trained for the tests, so the model chooser has a choice to make and two
/// models can be compared.
/// </summary>
public sealed class PageServer : IAsyncLifetime
{
    public const string DefaultModel = "mnist-mlp";
    public const string SecondModel = "mnist-mlp-second";

    private WebApplicationFactory<Program>? _factory;
    private IPlaywright? _playwright;
    private string? _root;
    private string? _modelsDirectory;

    /// <summary>The feedback database the service uses: its default, data/feedback.db beside the models directory.</summary>
    public string FeedbackDatabase => Path.Combine(_root!, "data", "feedback.db");

    /// <summary>The service's models directory (it reloads what is dropped there).</summary>
    public string ModelsDirectory => _modelsDirectory!;

    public Uri BaseAddress { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // The browser first: without one there is nothing to test, and no server is left running.
        _playwright = await Playwright.CreateAsync();
        Browser = await Chromium.LaunchAsync(_playwright);

        var source = Environment.GetEnvironmentVariable("Models__Directory") is { Length: > 0 } configured
            ? configured
            : Repo.ModelsDirectory;
        var model = Path.Combine(source, DefaultModel + ".onnx");
        if (!File.Exists(model))
        {
            throw new InvalidOperationException(
                $"The browser tests need the trained multi-layer perceptron {model} (committed in models/, or a directory named by Models__Directory).");
        }
        // A folder of its own with models/ in it, so the feedback database lands in its data/ by default.
        _root = TempDirectory.New("page");
        _modelsDirectory = Path.Combine(_root, "models");
        Directory.CreateDirectory(_modelsDirectory);
        File.WriteAllBytes(Path.Combine(_modelsDirectory, DefaultModel + ".onnx"), InsightModels.WithMisread(File.ReadAllBytes(model)));
        File.WriteAllBytes(Path.Combine(_modelsDirectory, SecondModel + ".onnx"), InsightModels.Train(hidden: 64, seed: 3, images: 12_000));

        _factory = new ServiceFactory(_modelsDirectory, Repo.WebRoot);
        _factory.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        _factory.StartServer();
        var address = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.Single();
        BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        await WaitUntilReadyAsync();
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var models = await Http.GetAsync("models");
            if (models.IsSuccessStatusCode)
            {
                var list = await models.Content.ReadFromJsonAsync<JsonElement>();
                if (list.GetProperty("models").GetArrayLength() == 2)
                {
                    return;
                }
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The service did not load both test models within 30 s.");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>GET a JSON document from the service, as the tests' independent view of the truth.</summary>
    public async Task<JsonElement> GetJsonAsync(string path) =>
        await Http.GetFromJsonAsync<JsonElement>(path);

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        Http?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        if (_root is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TempDirectory.TryDelete(_root);
        }
    }

    private sealed class ServiceFactory(string modelsDirectory, string webRoot) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Models:Directory"] = modelsDirectory,
                ["Models:Default"] = DefaultModel,
                ["StaticFiles:WebRoot"] = webRoot,
                ["Training:Data"] = MnistTestSet.Directory, // jobs started from the page train in-process
            }));
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PageCollection : ICollectionFixture<PageServer>
{
    public const string Name = "page";
}

/// <summary>tests/MnistService.Browser.Tests/artifacts (git-ignored): screenshots for people to look at.</summary>
public static class Artifacts
{
    public static string Directory
    {
        get
        {
            var directory = Repo.PathOf("tests/MnistService.Browser.Tests/artifacts");
            System.IO.Directory.CreateDirectory(directory);
            return directory;
        }
    }
}
