using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MnistService.Api.ModelStore;

namespace MnistService.Api.Tests.ModelStore;

/// <summary>A <see cref="ModelRepository"/> over a temporary directory, driven by hand, with its log kept.</summary>
public sealed class RepositoryHarness : IDisposable
{
    public RepositoryHarness(Action<ModelsOptions>? configure = null)
    {
        var options = new ModelsOptions { Directory = Models.Path, SettleTime = TimeSpan.FromMilliseconds(10) };
        configure?.Invoke(options);
        Repository = new ModelRepository(Options.Create(options), new Environment(Models.Path), Log, TimeProvider.System);
    }

    public TempDirectory Models { get; } = new("models");
    public ModelRepository Repository { get; }
    public CapturingLogger Log { get; } = new();

    /// <summary>Writes a file that has not changed for a second, so the next reconcile reads it.</summary>
    public void Write(string name, byte[] bytes)
    {
        File.WriteAllBytes(Models.File(name), bytes);
        File.SetLastWriteTimeUtc(Models.File(name), DateTime.UtcNow.AddSeconds(-1));
    }

    public void MakeFifo(string name) => SpecialFiles.MakeFifo(Models.File(name));

    public void MakeSparse(string name, long bytes) => SpecialFiles.MakeSparse(Models.File(name), bytes);

    /// <summary>Reconciles on another thread and fails when that takes longer than 20 s (a blocked open would never return).</summary>
    public async Task<bool> ReconcileAsync()
    {
        var pass = Task.Run(Repository.Reconcile);
        var finished = await Task.WhenAny(pass, Task.Delay(TimeSpan.FromSeconds(20)));
        _blocked = finished != pass;
        Assert.False(_blocked, "Reconcile did not return within 20 s: it is blocked on a directory entry");
        return await pass;
    }

    private bool _blocked;

    public ModelFailure Failure(string name)
    {
        Assert.True(Repository.Snapshot.Failures.TryGetValue(name, out var failure),
            $"No failure reported for {name}; failures: {string.Join(", ", Repository.Snapshot.Failures.Keys)}");
        return failure;
    }

    public void Dispose()
    {
        if (!_blocked) // else the blocked pass holds the repository's lock for good
        {
            Repository.Dispose();
        }
        Models.Dispose();
    }

    private sealed class Environment(string root) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Test";
        public string ApplicationName { get; set; } = "MnistService.Api";
        public string ContentRootPath { get; set; } = root;
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = null!;
    }
}

/// <summary>A logger that keeps what it was told, for tests that assert a warning was (or was not) logged.</summary>
public sealed class CapturingLogger : ILogger<ModelRepository>
{
    private readonly List<(LogLevel Level, string Message)> _entries = [];

    public IReadOnlyList<(LogLevel Level, string Message)> Entries
    {
        get { lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IEnumerable<string> Warnings => Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries)
        {
            _entries.Add((logLevel, formatter(state, exception)));
        }
    }
}
