using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MnistService.Core.Onnx;
using MnistService.Core.Training;

namespace MnistService.Core.Training.Jobs;

/// <summary>
/// Trains one job: writes the model to <paramref name="modelPath"/> (atomically: the file appears whole
/// or not at all), reports every finished epoch and, if it can, batches inside an epoch, and returns the
/// model's report. Throws <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/>
/// stops it, before writing the model.
/// </summary>
public delegate Task<ModelReport> JobTrainer(TrainingJob job, string modelPath, IJobProgress progress,
    CancellationToken cancellationToken);

/// <summary>A job's progress: <see cref="IProgress{T}.Report"/> for each finished epoch, <see cref="ReportBatch"/> inside one.</summary>
public interface IJobProgress : IProgress<EpochRecord>
{
    /// <param name="epoch">1-based.</param>
    /// <param name="batch">Batches finished in this epoch.</param>
    void ReportBatch(int epoch, int batch, int batches);
}

public sealed record WorkerOptions
{
    /// <summary>The models directory the service reads; jobs wait in its <c>jobs/</c> folder.</summary>
    public required string ModelsDirectory { get; init; }
    /// <summary>How often the job folder is looked at besides file-system notifications (which network volumes lack).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>How often a running job's status is refreshed: the heartbeat other workers judge it by.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>A running job whose status is older than this belongs to a dead worker and is queued again.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromMinutes(2);
    /// <summary>A file touched at least every poll or heartbeat interval, for container liveness checks (null: none).</summary>
    public string? AliveFile { get; init; }
    /// <summary>Stop once no job is waiting (a Kubernetes Job, a cron run) instead of waiting for more.</summary>
    public bool UntilIdle { get; init; }
    /// <summary>Create <c>jobs/</c> at start; the service's in-process worker leaves that to the first job posted.</summary>
    public bool CreateJobsDirectory { get; init; } = true;
    /// <summary>How often a running job's <c>NAME.cancel</c> file is looked for.</summary>
    public TimeSpan CancelCheckInterval { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>
    /// The least time between two writes of the status for progress inside an epoch: watchers see a few
    /// updates a second, and the status file is not rewritten for each of hundreds of batches.
    /// </summary>
    public TimeSpan BatchReportInterval { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>Training threads a job may use, whatever it asks (0 = no cap).</summary>
    public int MaxThreads { get; init; }
}

/// <summary>
/// <c>mnist-train worker</c>: takes jobs from <c>MODELS/jobs/</c> one at a time, trains them, writes the
/// models into MODELS (where the service picks them up) and keeps each job's status file current.
/// On SIGTERM or Ctrl+C the running job is stopped and queued again, so a restart picks it up.
/// </summary>
public sealed class TrainingWorker(WorkerOptions options, JobTrainer trainer, TimeProvider time,
    IHostApplicationLifetime lifetime, ILogger<TrainingWorker> logger) : BackgroundService
{
    private readonly JobQueue _queue = new(options.ModelsDirectory, options.StaleAfter, time, logger);
    private readonly HashSet<string> _ownJobs = [];
    private readonly SemaphoreSlim _wake = new(0);
    private FileSystemWatcher? _watcher;

    public JobQueue Queue => _queue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.CreateJobsDirectory)
        {
            _queue.EnsureDirectories();
        }
        if (options.AliveFile is { } alive)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(alive))!);
        }

        _watcher = WatchJobs();
        logger.LogInformation("Worker {Worker} watching {Jobs} for *.json jobs; models go to {Models}",
            _queue.Worker, _queue.JobsDirectory, _queue.ModelsDirectory);

        while (!stoppingToken.IsCancellationRequested)
        {
            string? next;
            try
            {
                _watcher ??= WatchJobs(); // once the jobs directory exists
                TouchAliveFile();
                _queue.RequeueOrphans(_ownJobs);
                _queue.MarkQueued();
                next = _queue.Queued().FirstOrDefault(_queue.TryClaim);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // No descriptor left (EMFILE), a volume gone for a moment: the worker (and a service it runs in) goes
                // on, and looks again at the next poll.
                logger.LogWarning("Worker {Worker} cannot look at {Jobs}: {Message}; trying again in {Poll}",
                    _queue.Worker, _queue.JobsDirectory, e.Message, options.PollInterval);
                next = null;
            }
            if (next is not null)
            {
                await RunAsync(next, stoppingToken);
                continue;
            }
            if (options.UntilIdle)
            {
                logger.LogInformation("No job waiting; stopping (--until-idle)");
                lifetime.StopApplication();
                break;
            }
            try
            {
                await _wake.WaitAsync(options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        logger.LogInformation("Worker {Worker} stopped", _queue.Worker);
    }

    /// <summary>Looks at the queue now rather than at the next poll (a job was just dropped in).</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    private async Task RunAsync(string job, CancellationToken stoppingToken)
    {
        _ownJobs.Add(job);
        try
        {
            await RunClaimedAsync(job, stoppingToken);
        }
        finally
        {
            _ownJobs.Remove(job);
        }
    }

    private async Task RunClaimedAsync(string job, CancellationToken stoppingToken)
    {
        var statusPath = _queue.StatusPath(job);
        var previous = JobStatus.TryRead(statusPath);
        var now = time.GetUtcNow();
        var status = new JobStatus
        {
            Job = job,
            State = JobState.Running,
            Attempt = previous is { State: JobState.Queued } ? previous.Attempt + 1 : 1,
            Worker = _queue.Worker.ToString(),
            QueuedAt = previous is { State: JobState.Queued } ? previous.QueuedAt : now,
            // Why it runs again (its worker died), if it does: the owner keeps seeing it while it runs.
            Error = previous is { State: JobState.Queued } ? previous.Error : null,
            StartedAt = now,
            UpdatedAt = now,
        };
        var gate = new Lock();
        void Update(Func<JobStatus, JobStatus> change)
        {
            lock (gate)
            {
                status = change(status) with { UpdatedAt = time.GetUtcNow() };
                status.Write(statusPath);
            }
        }

        TrainingJob settings;
        try
        {
            settings = TrainingJob.Parse(await File.ReadAllTextAsync(_queue.RunningPath(job), stoppingToken), job);
            var modelPath = Path.Combine(_queue.ModelsDirectory, settings.ModelFileName);
            // A model written after this job's previous attempt started is this job's own (its worker died
            // before recording success): running again replaces it. Any other model is kept unless replace is set.
            var ownEarlierOutput = previous?.StartedAt is { } earlier && File.GetLastWriteTimeUtc(modelPath) >= earlier.UtcDateTime;
            if (File.Exists(modelPath) && !settings.Replace && !ownEarlierOutput)
            {
                throw new InvalidJobException(
                    $"The model {settings.ModelFileName} exists already; choose another \"model\" name or set \"replace\": true.");
            }

            Update(s => s with { Model = settings.ModelFileName, Progress = new JobProgress(0, settings.Settings.Epochs) });
        }
        catch (Exception e) when (e is InvalidJobException or IOException or UnauthorizedAccessException)
        {
            Fail(e.Message);
            return;
        }

        settings = CapThreads(settings);
        logger.LogInformation("Job {Job}: training {Model} (attempt {Attempt})", job, settings.ModelFileName, status.Attempt);
        using var heartbeat = new CancellationTokenSource();
        var beating = HeartbeatAsync(heartbeat.Token);
        using var cancelled = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var watchingCancel = WatchCancelAsync(job, cancelled, heartbeat.Token);
        try
        {
            var epochs = settings.Settings.Epochs;
            var lastBatchReport = long.MinValue;
            var progress = new JobProgressSink(epoch =>
            {
                Update(s => s with
                {
                    Progress = new JobProgress(epoch.Epoch, epochs),
                    Metrics = new EpochMetrics(epoch.Loss, epoch.Accuracy, epoch.ValLoss, epoch.ValAccuracy, epoch.Seconds),
                    History = [.. s.History ?? [], epoch],
                    Batch = null,
                });
                logger.LogInformation("Job {Job}: epoch {Epoch}/{Epochs} val_accuracy {ValAccuracy:F4}",
                    job, epoch.Epoch, epochs, epoch.ValAccuracy);
            }, (epoch, batch, batches) =>
            {
                var now = time.GetTimestamp();
                if (batch < batches && time.GetElapsedTime(lastBatchReport, now) < options.BatchReportInterval)
                {
                    return;
                }
                lastBatchReport = now;
                Update(s => s with { Batch = new BatchProgress(epoch, batch, batches) });
            });
            var modelPath = Path.Combine(_queue.ModelsDirectory, settings.ModelFileName);
            var report = await Task.Run(() => trainer(settings, modelPath, progress, cancelled.Token), cancelled.Token);

            await StopHeartbeatAsync();
            Update(s => s with { State = JobState.Succeeded, TestAccuracy = report.Test.Accuracy, Batch = null, FinishedAt = time.GetUtcNow() });
            _queue.Finish(job);
            logger.LogInformation("Job {Job} succeeded: {Model}, test accuracy {Accuracy:P2}",
                job, settings.ModelFileName, report.Test.Accuracy);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await StopHeartbeatAsync();
            lock (gate)
            {
                _queue.Requeue(job, status with { Batch = null }, "Queued again: the worker was stopped during the job; it runs again when a worker starts.");
            }

            logger.LogWarning("Job {Job} interrupted by shutdown; queued again", job);
        }
        catch (OperationCanceledException) when (cancelled.IsCancellationRequested)
        {
            await StopHeartbeatAsync();
            var reason = _queue.CancelRequest(job) is { Length: > 0 } asked ? asked : "Cancelled.";
            Update(s => s with { State = JobState.Cancelled, Error = reason, Batch = null, FinishedAt = time.GetUtcNow() });
            _queue.Finish(job);
            logger.LogInformation("Job {Job} cancelled: {Reason}", job, reason);
        }
        catch (Exception e)
        {
            await StopHeartbeatAsync();
            logger.LogError(e, "Job {Job} failed", job);
            Fail(e switch
            {
                TrainingSettingsException invalid => string.Join(" ", invalid.Errors.Select(TrainingJob.Describe)),
                ArgumentException or InvalidJobException or FormatException or InvalidDataException or FileNotFoundException
                    or TrainingDivergedException => e.Message,
                // The log above has the exception's type and stack; the status speaks to the job's owner.
                _ => $"The training failed unexpectedly: {e.Message}",
            });
        }

        async Task StopHeartbeatAsync()
        {
            await heartbeat.CancelAsync();
            await beating;
            await watchingCancel;
        }

        void Fail(string reason)
        {
            Update(s => s with { State = JobState.Failed, Error = reason, Batch = null, FinishedAt = time.GetUtcNow() });
            _queue.Finish(job);
            logger.LogWarning("Job {Job} failed: {Reason}", job, reason);
        }

        // Keeps this job's status fresh (other workers judge liveness by it) and notices newly dropped jobs.
        async Task HeartbeatAsync(CancellationToken token)
        {
            try
            {
                while (true)
                {
                    await Task.Delay(options.HeartbeatInterval, time, token);
                    Update(s => s);
                    _queue.MarkQueued();
                    TouchAliveFile();
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogError(e, "Job {Job}: cannot refresh the status file", job);
            }
        }
    }

    /// <summary>Cancels <paramref name="training"/> once its <c>NAME.cancel</c> file appears (the trainer stops at the next batch).</summary>
    private async Task WatchCancelAsync(string job, CancellationTokenSource training, CancellationToken stop)
    {
        try
        {
            while (!File.Exists(_queue.CancelPath(job)))
            {
                await Task.Delay(options.CancelCheckInterval, time, stop);
            }
            await training.CancelAsync();
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The job's threads within <see cref="WorkerOptions.MaxThreads"/> (0, "every core", becomes the cap).</summary>
    private TrainingJob CapThreads(TrainingJob job) =>
        options.MaxThreads > 0 && job.Settings.Threads is var threads && (threads == 0 || threads > options.MaxThreads)
            ? job with { Settings = job.Settings with { Threads = options.MaxThreads } }
            : job;

    private void TouchAliveFile()
    {
        if (options.AliveFile is { } path)
        {
            File.WriteAllText(path, time.GetUtcNow().ToString("O"));
        }
    }

    private FileSystemWatcher? WatchJobs()
    {
        if (!Directory.Exists(_queue.JobsDirectory))
        {
            return null;
        }
        try
        {
            var watcher = new FileSystemWatcher(_queue.JobsDirectory, "*" + JobQueue.QueuedSuffix);
            watcher.Created += (_, _) => Wake();
            watcher.Renamed += (_, _) => Wake();
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException or ArgumentException)
        {
            logger.LogInformation("No file-system notifications for {Jobs} ({Reason}); polling only", _queue.JobsDirectory, e.Message);
            return null;
        }
    }

    public override void Dispose()
    {
        _watcher?.Dispose();
        _wake.Dispose();
        base.Dispose();
    }

    /// <summary>Runs the callbacks on the reporting thread, in order (<see cref="Progress{T}"/> would post them elsewhere).</summary>
    private sealed class JobProgressSink(Action<EpochRecord> epoch, Action<int, int, int> batch) : IJobProgress
    {
        public void Report(EpochRecord value) => epoch(value);
        public void ReportBatch(int epochNumber, int batchesDone, int batches) => batch(epochNumber, batchesDone, batches);
    }
}
