using Microsoft.Extensions.Options;
using MnistService.Api.Errors;
using MnistService.Core.Onnx;

namespace MnistService.Api.ModelStore;

/// <summary>A model file that failed to load, with the reason, as shown by <c>GET /models</c>.</summary>
/// <param name="Stamp">The version of the file that failed: the same failure of the same version is reported once.</param>
public sealed record ModelFailure(string Name, string Path, string Error, DateTimeOffset Since, ModelFileStamp Stamp = default);

/// <summary>Everything the service serves at one moment. Never changed; a reload builds a new one.</summary>
/// <param name="Default">The model for requests that name none, and why: the configured one, or a stand-in (see <see cref="ModelRepository"/>).</param>
public sealed record ModelSnapshot(
    DefaultModel Default,
    IReadOnlyDictionary<string, LoadedModel> Models,
    IReadOnlyDictionary<string, ModelFailure> Failures)
{
    public string DefaultName => Default.Name;

    /// <summary>Why <see cref="DefaultName"/> is the default, as <c>GET /models</c> shows it.</summary>
    public string DefaultReason => Default.Reason;
}

/// <summary>
/// The models of the configured directory. Requests take a <see cref="ModelLease"/> on the current
/// snapshot; <see cref="Reconcile"/> (driven by <see cref="ModelDirectoryWatcher"/>) brings the snapshot
/// in line with the files and swaps it atomically. A model that is replaced or removed is disposed
/// when its last lease ends, so no request ever sees a disposed session. A file that does not load
/// is reported and never replaces the working version of that model.
/// The default is the model a run-time choice names (<c>default-model.json</c>, see <see cref="DefaultModelSelection"/>)
/// when it is loaded. When the configured default has no file, the default is the only model, or else the one with the best
/// test accuracy (the newest on ties), so that a folder of other models is served rather than never ready.
/// A default whose file is there but does not load stays the default: that is an error to fix, not to hide.
/// Only regular files are read (see <see cref="ModelFileSystem"/>), each at most <see cref="ModelsOptions.MaxFileBytes"/>,
/// and a file is read again only when it changed; anything else is reported with the reason. A directory
/// that cannot be listed changes nothing.
/// </summary>
public sealed class ModelRepository : IDisposable
{
    private readonly ModelsOptions _options;
    private readonly ILogger<ModelRepository> _logger;
    private readonly TimeProvider _time;
    private readonly Lock _reconcileLock = new();
    // The stamp of each file as last processed (loaded, or failed), so unchanged files are skipped.
    private readonly Dictionary<string, ModelFileStamp> _processed = new(StringComparer.Ordinal);
    // Files the watcher reported as touched: re-read even if size and time look the same.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _touched = new(StringComparer.Ordinal);
    private ModelSnapshot _snapshot;
    private long _fileReads;
    private long _listingFailures;
    private readonly DefaultModelSelection _defaults;
    private bool _reconciled;

    public ModelRepository(IOptions<ModelsOptions> options, IHostEnvironment environment, ILogger<ModelRepository> logger, TimeProvider time)
    {
        _options = options.Value;
        _logger = logger;
        _time = time;
        Directory = Settings.AppFolders.Resolve(_options.Directory, environment.ContentRootPath, "models")
            ?? Path.Combine(environment.ContentRootPath, "models");
        _defaults = new DefaultModelSelection(_options, Directory, logger);
        _snapshot = new ModelSnapshot(DefaultModelSelection.Initial(_options), new Dictionary<string, LoadedModel>(), new Dictionary<string, ModelFailure>());
    }

    /// <summary>The absolute directory the models are read from.</summary>
    public string Directory { get; }

    public ModelSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>Model files opened for reading so far (also <c>mnist_model_file_reads_total</c>).</summary>
    public long FileReads => Interlocked.Read(ref _fileReads);

    /// <summary>Listings of the directory that failed so far (also <c>mnist_model_directory_list_failures_total</c>).</summary>
    public long ListingFailures => Interlocked.Read(ref _listingFailures);

    /// <summary>
    /// A lease on the named model (the default when <paramref name="name"/> is empty), valid until disposed.
    /// </summary>
    /// <exception cref="ModelNotFoundException">No such model is loaded.</exception>
    /// <exception cref="ModelLoadFailedException">The named model's file failed to load.</exception>
    /// <exception cref="NoModelLoadedException">No name was given and the default model is not loaded.</exception>
    public ModelLease Acquire(string? name)
    {
        var requested = string.IsNullOrEmpty(name) ? null : name;
        while (true)
        {
            var snapshot = Snapshot;
            var key = requested ?? snapshot.DefaultName;
            if (!snapshot.Models.TryGetValue(key, out var model))
            {
                if (requested is not null)
                {
                    throw snapshot.Failures.TryGetValue(requested, out var failed)
                        ? new ModelLoadFailedException(requested, Path.GetFileName(failed.Path), failed.Error)
                        : new ModelNotFoundException(requested);
                }
                throw new NoModelLoadedException(snapshot.Failures.TryGetValue(key, out var failure)
                    ? $"The default model '{key}' failed to load: {failure.Error}"
                    : $"The default model '{key}' is not loaded (no {key}.onnx in {Directory}).");
            }
            if (model.TryAcquire())
            {
                return new ModelLease(model);
            }
            // Released between reading the snapshot and taking the reference: a newer snapshot is already published.
        }
    }

    /// <summary>Marks a file as touched, so the next <see cref="Reconcile"/> reads it again.</summary>
    public void MarkTouched(string fileName) => _touched[Path.GetFileNameWithoutExtension(fileName)] = 0;

    /// <summary>
    /// Reads the directory and loads new or changed files, drops removed ones, and publishes the result.
    /// Returns true when some file was still being written and should be looked at again shortly.
    /// </summary>
    public bool Reconcile()
    {
        lock (_reconcileLock)
        {
            if (ListModelFiles() is not { } names)
            {
                return false; // nothing is known about the files, so nothing changes
            }
            var current = Snapshot;
            var models = new Dictionary<string, LoadedModel>(current.Models, StringComparer.Ordinal);
            var failures = new Dictionary<string, ModelFailure>(current.Failures, StringComparer.Ordinal);
            var retired = new List<LoadedModel>();
            var pending = false;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var name in _touched.Keys)
            {
                _touched.TryRemove(name, out _);
                _processed.Remove(name);
            }

            foreach (var fileName in names)
            {
                var name = Path.GetFileNameWithoutExtension(fileName);
                var path = Path.Combine(Directory, fileName);
                ModelFileStatus status;
                try
                {
                    status = ModelFileSystem.Inspect(path);
                }
                catch (ModelFileAccessException e) when (e.Changed)
                {
                    continue; // gone since the listing: unloaded below like any removed file
                }
                catch (ModelFileAccessException e)
                {
                    seen.Add(name); // there, but not to be looked at now: keep what is loaded
                    _logger.LogWarning("Cannot look at {Path}; what is loaded stays: {Error}", path, e.Message);
                    continue;
                }
                seen.Add(name);
                var stamp = status.Stamp;
                if (_processed.TryGetValue(name, out var done) && done == stamp)
                {
                    continue;
                }
                switch (TryLoad(name, path, status, models.GetValueOrDefault(name), out var loaded, out var error))
                {
                    case LoadOutcome.NotSettled:
                        pending = true;
                        break;
                    case LoadOutcome.Deferred:
                        break;
                    case LoadOutcome.Unchanged:
                        _processed[name] = stamp;
                        failures.Remove(name);
                        break;
                    case LoadOutcome.Loaded:
                        _processed[name] = stamp;
                        if (models.TryGetValue(name, out var previous))
                        {
                            retired.Add(previous);
                        }
                        models[name] = loaded!;
                        failures.Remove(name);
                        ModelStoreMetrics.ModelReloads.WithLabels(name).Inc();
                        _logger.LogInformation("Loaded model {Model} from {Path} (sha256 {Sha256}, test accuracy {Accuracy})",
                            name, path, loaded!.Sha256, loaded.Report?.Test.Accuracy);
                        break;
                    case LoadOutcome.Failed:
                        _processed[name] = stamp;
                        if (failures.GetValueOrDefault(name) is { } known && known.Error == error && known.Stamp == stamp)
                        {
                            break; // this version's failure is already reported
                        }
                        failures[name] = new ModelFailure(name, path, error!, _time.GetUtcNow(), stamp);
                        ModelStoreMetrics.ModelLoadFailures.WithLabels(name).Inc();
                        _logger.LogWarning("Model file {Path} cannot be loaded; {Action}: {Error}", path,
                            models.ContainsKey(name) ? "the previous version keeps serving" : "the model is not available", error);
                        break;
                }
            }

            foreach (var name in models.Keys.Concat(failures.Keys).Concat(_processed.Keys).Where(n => !seen.Contains(n)).ToList())
            {
                if (models.Remove(name, out var removed))
                {
                    retired.Add(removed);
                    _logger.LogInformation("Model {Model} removed (its file is gone)", name);
                }
                failures.Remove(name);
                _processed.Remove(name);
            }

            var chosen = _defaults.Choose(models, failures);
            if (retired.Count > 0 || !SameEntries(models, current.Models) || !SameEntries(failures, current.Failures) || chosen != current.Default)
            {
                // A change of kind alone (the configured default loaded, or its file broken) is said from the second pass
                // on: on the first, the model's own log line says it already.
                if (chosen.Name != current.DefaultName || (chosen.Kind != current.Default.Kind && _reconciled))
                {
                    LogNewDefault(chosen);
                }
                Volatile.Write(ref _snapshot, new ModelSnapshot(chosen, models, failures));
                ModelStoreMetrics.ModelsLoaded.Set(models.Count);
                ModelStoreMetrics.ModelsBroken.Set(failures.Count);
            }
            foreach (var model in retired)
            {
                model.Release(); // the snapshot's reference; requests still holding leases keep it alive
            }
            _reconciled = true;
            return pending;
        }
    }

    private void LogNewDefault(DefaultModel chosen)
    {
        switch (chosen.Kind)
        {
            case DefaultModelKind.Configured:
                _logger.LogInformation("The configured default model {Model} is loaded and is the default again", chosen.Name);
                break;
            case DefaultModelKind.ConfiguredFailed:
                _logger.LogWarning("The configured default model {Model} is the default again, but its file does not load: no model answers requests that name none",
                    chosen.Name);
                break;
            case DefaultModelKind.ConfiguredNoneLoaded:
                _logger.LogWarning("No model is loaded from {Directory}; the default is the configured {Model}, which has no file", Directory, chosen.Name);
                break;
            case DefaultModelKind.Chosen:
                _logger.LogInformation("{Model} is the default model: {Reason}", chosen.Name, chosen.Reason);
                break;
            default:
                _logger.LogWarning("{Setting} '{Configured}' has no file in {Directory}; {Model} is the default model instead: {Reason}",
                    "Models:Default", _options.Default, Directory, chosen.Name, chosen.Reason);
                break;
        }
    }

    /// <summary>
    /// NotSettled: look again after the settle time. Deferred: could not be read for a reason that says nothing
    /// about the file (EMFILE, EIO); the next pass tries again and meanwhile nothing changes.
    /// </summary>
    private enum LoadOutcome { NotSettled, Deferred, Unchanged, Loaded, Failed }

    private LoadOutcome TryLoad(string name, string path, ModelFileStatus status, LoadedModel? current,
        out LoadedModel? loaded, out string? error)
    {
        loaded = null;
        error = null;
        var stamp = status.Stamp;
        if (status.Kind != ModelFileKind.Regular)
        {
            error = $"{Path.GetFileName(path)} is {Describe(status.Kind)}: only regular files are loaded, and it is not opened";
            if (status.Kind == ModelFileKind.SymbolicLink)
            {
                _logger.LogDebug("{Path} is a symbolic link to {Target}", path, new FileInfo(path).LinkTarget);
            }
            return LoadOutcome.Failed;
        }
        if (stamp.Length > _options.MaxFileBytes)
        {
            error = $"the file is {stamp.Length:N0} bytes, over the limit of {_options.MaxFileBytes:N0} (Models:MaxFileBytes); it is not read";
            return LoadOutcome.Failed;
        }
        // A file written in place is read only after it has stopped changing for the settle time.
        if (_time.GetUtcNow().UtcDateTime - stamp.LastWriteUtc < _options.SettleTime)
        {
            return LoadOutcome.NotSettled;
        }
        byte[]? bytes;
        try
        {
            Interlocked.Increment(ref _fileReads);
            ModelStoreMetrics.ModelFileReads.Inc();
            _logger.LogDebug("Reading model file {Path} ({Length} bytes)", path, stamp.Length);
            bytes = ModelFileSystem.ReadIfUnchanged(path, stamp);
            var after = ModelFileSystem.Inspect(path);
            if (after != status)
            {
                return LoadOutcome.NotSettled; // changed while we read it
            }
            if (bytes is null)
            {
                // Unchanged, yet not the bytes its size says (a procfs-like file): reading it again would go the same way.
                error = $"the file does not hold the {stamp.Length:N0} bytes its size says; it is not read again until it changes";
                return LoadOutcome.Failed;
            }
        }
        catch (ModelFileAccessException e) when (e.Changed)
        {
            return LoadOutcome.NotSettled; // gone or replaced: the next pass sees what happened
        }
        catch (ModelFileAccessException e) when (e.Transient)
        {
            _logger.LogWarning("Cannot read {Path} now; what is loaded stays, and the next pass tries again: {Error}", path, e.Message);
            return LoadOutcome.Deferred;
        }
        catch (ModelFileAccessException e)
        {
            error = e.Message;
            return LoadOutcome.Failed;
        }
        var sha256 = OnnxModelFormat.Sha256(bytes);
        if (current is not null && current.Sha256 == sha256)
        {
            return LoadOutcome.Unchanged; // touched, same content
        }
        try
        {
            loaded = LoadedModel.Load(name, path, stamp, bytes, _options, sha256);
            return LoadOutcome.Loaded;
        }
        catch (InvalidDataException e)
        {
            error = e.Message;
            return LoadOutcome.Failed;
        }
    }

    private static string Describe(ModelFileKind kind) => kind switch
    {
        ModelFileKind.SymbolicLink => "a symbolic link (links are never followed)",
        ModelFileKind.Directory => "a directory",
        ModelFileKind.Fifo => "a FIFO (named pipe)",
        ModelFileKind.Socket => "a socket",
        ModelFileKind.CharacterDevice => "a character device",
        ModelFileKind.BlockDevice => "a block device",
        _ => "not a regular file",
    };

    /// <summary>The directory's <c>*.onnx</c> entries of any type; null when it cannot be listed (logged and counted).</summary>
    private List<string>? ListModelFiles()
    {
        try
        {
            // Hidden files are a writer's temporary files (".name.onnx.tmp" and the like).
            return System.IO.Directory.EnumerateFileSystemEntries(Directory, "*.onnx")
                .Select(Path.GetFileName).OfType<string>().Where(name => !name.StartsWith('.')).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // EMFILE, a permission, a directory deleted or replaced: none of it says the model files are gone.
            Interlocked.Increment(ref _listingFailures);
            ModelStoreMetrics.DirectoryListFailures.Inc();
            _logger.LogWarning("Cannot list {Directory}; the {Count} models loaded stay as they are: {Error}",
                Directory, Snapshot.Models.Count, e.Message);
            return null;
        }
    }

    private static bool SameEntries<T>(IReadOnlyDictionary<string, T> a, IReadOnlyDictionary<string, T> b) where T : class =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var other) && ReferenceEquals(kv.Value, other));

    public void Dispose()
    {
        lock (_reconcileLock)
        {
            var snapshot = Snapshot;
            Volatile.Write(ref _snapshot, snapshot with { Models = new Dictionary<string, LoadedModel>() });
            foreach (var model in snapshot.Models.Values)
            {
                model.Release();
            }
        }
    }
}

/// <summary>A reference on a model for the duration of one request.</summary>
public readonly struct ModelLease(LoadedModel model) : IDisposable
{
    public LoadedModel Model { get; } = model;
    public void Dispose() => Model.Release();
}
