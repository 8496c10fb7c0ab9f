using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace MnistService.Api.ModelStore;

/// <summary>
/// Keeps <see cref="ModelRepository"/> in line with its directory: loads it at start, then reconciles
/// after file-system events (debounced, so a burst of writes is one reload), again after the settle
/// time while a file is still being written, and on a periodic rescan in case an event was missed.
/// </summary>
public sealed class ModelDirectoryWatcher(ModelRepository repository, IOptions<ModelsOptions> options, ILogger<ModelDirectoryWatcher> logger)
    : BackgroundService
{
    private readonly ModelsOptions _options = options.Value;
    private readonly Channel<bool> _signals = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private FileSystemWatcher? _watcher;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Serving models from {Directory} (default {Default})", repository.Directory, _options.Default);
        // Load before the server starts listening, so /readyz is true from the first request.
        if (repository.Reconcile())
        {
            _signals.Writer.TryWrite(true);
        }
        TryStartWatching();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listingFailures = repository.ListingFailures;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await WaitForChangeAsync(stoppingToken);
                TryStartWatching(); // the directory may have appeared since
                var pending = repository.Reconcile();
                if (repository.ListingFailures != listingFailures)
                {
                    // Deleted or replaced, the directory this watcher watches is not the one that may come back:
                    // watch afresh once it can be listed again, or its changes would only be seen by the rescan.
                    listingFailures = repository.ListingFailures;
                    StopWatching();
                }
                if (pending)
                {
                    await Task.Delay(_options.SettleTime, stoppingToken);
                    _signals.Writer.TryWrite(true);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // Never let the watcher die: log, wait a little, go on.
                logger.LogError(e, "Reloading models from {Directory} failed", repository.Directory);
                await Task.Delay(_options.Debounce, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Returns after a signal followed by a quiet debounce period, or after the rescan interval.</summary>
    private async Task WaitForChangeAsync(CancellationToken stoppingToken)
    {
        using var rescan = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        rescan.CancelAfter(_options.RescanInterval);
        try
        {
            await _signals.Reader.ReadAsync(rescan.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return; // periodic rescan
        }
        var started = Environment.TickCount64;
        // Wait for quiet, but not forever: a file written continuously still gets looked at.
        while (Environment.TickCount64 - started < _options.RescanInterval.TotalMilliseconds)
        {
            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            quiet.CancelAfter(_options.Debounce);
            try
            {
                await _signals.Reader.ReadAsync(quiet.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private void TryStartWatching()
    {
        if (_watcher is not null || !Directory.Exists(repository.Directory))
        {
            return;
        }
        try
        {
            // All files, not "*.onnx": a rename from "x.onnx.tmp" to "x.onnx" must be seen whatever the filter does with renames.
            var watcher = new FileSystemWatcher(repository.Directory)
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
                IncludeSubdirectories = false,
            };
            watcher.Changed += OnChanged;
            watcher.Created += OnChanged;
            watcher.Deleted += OnChanged;
            watcher.Renamed += (_, e) =>
            {
                repository.MarkTouched(e.OldName ?? "");
                OnChanged(null, e);
            };
            watcher.Error += (_, e) =>
            {
                logger.LogWarning(e.GetException(), "File watcher error on {Directory}; the periodic rescan continues", repository.Directory);
                _signals.Writer.TryWrite(true);
            };
            watcher.EnableRaisingEvents = true;
            _watcher = watcher;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            logger.LogWarning(e, "Cannot watch {Directory}; relying on the periodic rescan", repository.Directory);
        }
    }

    private void StopWatching()
    {
        _watcher?.Dispose();
        _watcher = null;
    }

    private void OnChanged(object? sender, FileSystemEventArgs e)
    {
        if (e.Name is not null)
        {
            repository.MarkTouched(e.Name);
        }
        _signals.Writer.TryWrite(true);
    }

    public override void Dispose()
    {
        StopWatching();
        base.Dispose();
    }
}
