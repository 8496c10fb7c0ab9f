using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using MnistService.Api.ModelStore;
using MnistService.Core.IO;
using MnistService.Core.Training;
using MnistService.Core.Training.Jobs;

namespace MnistService.Api.Jobs;

/// <summary>
/// The jobs of the model directory, through the worker's own files (<see cref="JobQueue"/>): a job posted
/// here is a job file a worker, in this process or another, claims; its state is the status file the
/// worker keeps. Nothing about a job lives only in this process, so a restart or a second replica sees the same jobs.
/// </summary>
public sealed class JobStore
{
    private readonly JobQueue _queue;
    private readonly IOptionsMonitor<TrainingOptions> _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _submitting = new(1, 1);

    public JobStore(ModelRepository models, IOptionsMonitor<TrainingOptions> options, TimeProvider time, ILogger<JobStore> logger)
    {
        _queue = new JobQueue(models.Directory, TimeSpan.FromMinutes(2), time, logger);
        _options = options;
        _time = time;
    }

    public JobQueue Queue => _queue;

    /// <summary>Raised after a job file was written, so an in-process worker looks at once.</summary>
    public event Action? Submitted;

    /// <summary>
    /// Queues <paramref name="job"/> (its model name already chosen) under a new id. <paramref name="prepare"/>, when
    /// given, runs only once the queue has accepted the job and before its file is written, so what it makes (people's
    /// answers exported beside the job) is made for a job that is queued, never for one refused.
    /// </summary>
    /// <exception cref="QueueFullException">Training:MaxQueued jobs are waiting already.</exception>
    /// <exception cref="ModelExistsException">A model or a job of that name exists.</exception>
    public async Task<JobInfo> SubmitAsync(TrainingJob job, Func<TrainingJob, CancellationToken, Task<TrainingJob>>? prepare = null,
        CancellationToken cancellationToken = default)
    {
        // A semaphore, not a lock: the preparation awaits a database, and two submissions must not both pass the checks.
        await _submitting.WaitAsync(cancellationToken);
        try
        {
            var waiting = _queue.Queued().Count;
            if (waiting >= _options.CurrentValue.MaxQueued)
            {
                throw new QueueFullException(waiting);
            }
            // A job is named after its model: one job at a time may be making a model.
            var id = job.ModelName;
            if (File.Exists(_queue.QueuedPath(id)) || File.Exists(_queue.RunningPath(id)))
            {
                throw new ModelExistsException($"A job making the model '{id}' is waiting or running already; choose another \"model\" name.");
            }
            if (File.Exists(Path.Combine(_queue.ModelsDirectory, job.ModelFileName)) && !job.Replace)
            {
                throw new ModelExistsException($"The model '{id}' exists already; choose another \"model\" name, or set \"replace\": true to replace it.");
            }
            var prepared = prepare is null ? job : await prepare(job, cancellationToken);
            var now = _time.GetUtcNow();
            var status = new JobStatus { Job = id, State = JobState.Queued, Model = job.ModelFileName, QueuedAt = now, UpdatedAt = now };
            try
            {
                _queue.EnsureDirectories();
                status.Write(_queue.StatusPath(id));
                // The job file appears whole (a worker may claim it the moment it is there).
                AtomicFile.WriteAllText(_queue.QueuedPath(id), prepared.ToJobFile());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Nothing of a job that was not queued stays behind: its status, or the data its preparation wrote.
                TryDelete(() => File.Delete(_queue.StatusPath(id)));
                if (prepared.Settings.ExtraData is { } made && made != job.Settings.ExtraData)
                {
                    TryDelete(() => Directory.Delete(made, recursive: true));
                }
                throw;
            }
            Submitted?.Invoke();
            return Describe(id, status, prepared);
        }
        finally
        {
            _submitting.Release();
        }
    }

    private static void TryDelete(Action delete)
    {
        try
        {
            delete();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The volume that refused the job may refuse this too; the next job of that name writes over it.
        }
    }

    /// <summary>A model name no job or model has yet, for a job that names none: <c>mnist-20261127-0912-3fa2</c>.</summary>
    public string NewModelName() =>
        $"mnist-{_time.GetUtcNow():yyyyMMdd-HHmm}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2))}";

    public IReadOnlyList<JobInfo> List() =>
        _queue.All().Select(Find).OfType<JobInfo>()
            .OrderByDescending(job => job.QueuedAt ?? job.UpdatedAt).ThenBy(job => job.Id, StringComparer.Ordinal).ToList();

    /// <summary>The job, or null when the directory has none of that name.</summary>
    public JobInfo? Find(string id)
    {
        if (!TrainingJob.IsValidName(id))
        {
            return null;
        }
        var status = JobStatus.TryRead(_queue.StatusPath(id));
        var file = new[] { _queue.QueuedPath(id), _queue.RunningPath(id), _queue.DonePath(id) }.FirstOrDefault(File.Exists);
        if (status is null && file is null)
        {
            return null;
        }
        TrainingJob? job = null;
        try
        {
            job = file is null ? null : TrainingJob.Parse(File.ReadAllText(file), id);
        }
        catch (Exception e) when (e is InvalidJobException or IOException)
        {
            // A job file that does not parse: the worker fails it with the reason, which the status shows.
        }
        var now = _time.GetUtcNow();
        return Describe(id, status ?? new JobStatus { Job = id, State = JobState.Queued, UpdatedAt = now }, job);
    }

    /// <summary>
    /// The size, time and inode of each of the job's files: a stream of its events reads the job again only when this
    /// changes (a read parses its status and job files, 44-162 µs against 6 µs for the stamps: ServingOverheadBenchmarks).
    /// A status is written whole to a new file renamed over the old, so a new inode tells a rewrite of the same size
    /// within one tick of the file system's clock.
    /// </summary>
    public JobFilesStamp Stamp(string id) => !TrainingJob.IsValidName(id) ? default
        : new(StampOf(_queue.StatusPath(id)), StampOf(_queue.QueuedPath(id)), StampOf(_queue.RunningPath(id)), StampOf(_queue.DonePath(id)));

    private static ModelFileStamp StampOf(string path)
    {
        try
        {
            return ModelFileSystem.Inspect(path).Stamp;
        }
        catch (ModelFileAccessException)
        {
            return default; // no such file (yet, or any more), or one that cannot be looked at: read the job to see
        }
    }

    /// <summary>Cancels the job (see <see cref="JobQueue.Cancel"/>); <paramref name="by"/> says who, for its status.</summary>
    public CancelOutcome Cancel(string id, string by) =>
        TrainingJob.IsValidName(id) ? _queue.Cancel(id, $"Cancelled by {by} at {_time.GetUtcNow():u}; no model was written.") : CancelOutcome.NotFound;

    private static JobInfo Describe(string id, JobStatus status, TrainingJob? job)
    {
        var history = status.History ?? [];
        var model = job?.ModelName ?? (status.Model is { } file ? Path.GetFileNameWithoutExtension(file) : null);
        return new JobInfo(id, StateName(status.State), model, job?.Settings, job?.TrainLimit,
            status.Progress ?? (job is null ? null : new JobProgress(0, job.Settings.Epochs)), status.Batch, history,
            history.Count == 0 ? null : history.Max(epoch => epoch.ValAccuracy), status.TestAccuracy, status.Error, status.Attempt,
            status.QueuedAt, status.StartedAt, status.FinishedAt, status.UpdatedAt);
    }

    public static string StateName(JobState state) => state switch
    {
        JobState.Queued => "queued",
        JobState.Running => "running",
        JobState.Succeeded => "succeeded",
        JobState.Failed => "failed",
        _ => "cancelled",
    };
}

/// <summary>A job's status, queued, running and done files, each as size and time (default when absent).</summary>
public readonly record struct JobFilesStamp(ModelFileStamp Status, ModelFileStamp Queued, ModelFileStamp Running, ModelFileStamp Done);

/// <summary>429: the queue is full.</summary>
public sealed class QueueFullException(int waiting)
    : Exception($"{waiting} jobs are waiting already, the most this server queues (Training:MaxQueued); try again when one has started.");

/// <summary>409: the model, or a job making it, exists.</summary>
public sealed class ModelExistsException(string message) : Exception(message);
