namespace MnistService.Testing;

/// <summary>The service's build output started as a real process on 127.0.0.1, over a models directory of the test's.</summary>
public sealed class ServiceProcess : IDisposable
{
    private readonly string _data;

    private ServiceProcess(ChildProcess process, Uri address, string data)
    {
        Process = process;
        Address = address;
        _data = data;
    }

    public ChildProcess Process { get; }
    public Uri Address { get; }

    /// <param name="probe">What "started" means: readyz (the default model is loaded) or healthz (alive, for an empty directory).</param>
    /// <param name="descriptorLimit">A file-descriptor limit for the process (<c>ulimit -n</c>, soft and hard), or the test's own.</param>
    public static async Task<ServiceProcess> StartAsync(string modelsDirectory, IReadOnlyDictionary<string, string>? settings = null, string probe = "readyz",
        int? descriptorLimit = null)
    {
        var port = ChildProcess.FreeLoopbackPort();
        // The feedback database of this process alone (by default it would be data/ beside the models directory).
        var data = TempDirectory.New("service-data");
        var environment = new Dictionary<string, string>
        {
            ["Feedback__ConnectionString"] = $"Data Source={Path.Combine(data, "feedback.db")}",
            ["Models__Directory"] = modelsDirectory,
            ["Models__Debounce"] = "00:00:00.050",
            ["Models__SettleTime"] = "00:00:00.300",
            ["Models__RescanInterval"] = "00:00:02",
            ["RateLimiting__Enabled"] = "false", // the load comes from one address
            ["Serilog__MinimumLevel__Default"] = "Warning",
            ["DOTNET_gcServer"] = "0",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }
        var address = new Uri($"http://127.0.0.1:{port}/");
        string[] arguments = ["--urls", address.ToString().TrimEnd('/')];
        var process = descriptorLimit is { } limit
            // bash sets the limit and then becomes the service (exec), so the process and its id are the service's.
            ? new ChildProcess(Path.GetFileNameWithoutExtension(Repo.ServiceDll), "bash",
                ["-c", $"ulimit -n {limit} && exec dotnet \"$@\"", "service", Repo.ServiceDll, .. arguments], environment, Path.GetDirectoryName(Repo.ServiceDll)!)
            : ChildProcess.Dotnet(Repo.ServiceDll, arguments, environment, Path.GetDirectoryName(Repo.ServiceDll)!);
        var service = new ServiceProcess(process, address, data);
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            await process.WaitUntilAnswersAsync(http, probe, TimeSpan.FromSeconds(60));
            return service;
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Process.Dispose();
        TempDirectory.TryDelete(_data);
    }
}
