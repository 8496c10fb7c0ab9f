using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MnistService.Core.Onnx;
using MnistService.Core.Training;

namespace MnistService.Trainer.Worker;

/// <summary>
/// Trains one job: writes the model to <paramref name="modelPath"/> (atomically: the file appears whole
/// or not at all), reports every finished epoch, and returns the model's report.
/// Throws <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> stops it.
/// </summary>
public delegate Task<ModelReport> JobTrainer(TrainingJob job, string modelPath, IProgress<EpochRecord> progress,
    CancellationToken cancellationToken);

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

    public JobQueue Queue => _queue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _queue.EnsureDirectories();
        if (options.AliveFile is { } alive)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(alive))!);
        }

        using var watcher = WatchJobs();
        logger.LogInformation("Worker {Worker} watching {Jobs} for *.json jobs; models go to {Models}",
            _queue.Worker, _queue.JobsDirectory, _queue.ModelsDirectory);

        while (!stoppingToken.IsCancellationRequested)
        {
            TouchAliveFile();
            _queue.RequeueOrphans(_ownJobs);
            _queue.MarkQueued();
            var next = _queue.Queued().FirstOrDefault(_queue.TryClaim);
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

        logger.LogInformation("Job {Job}: training {Model} (attempt {Attempt})", job, settings.ModelFileName, status.Attempt);
        using var heartbeat = new CancellationTokenSource();
        var beating = HeartbeatAsync(heartbeat.Token);
        try
        {
            var progress = new SynchronousProgress<EpochRecord>(epoch =>
            {
                Update(s => s with
                {
                    Progress = new JobProgress(epoch.Epoch, settings.Settings.Epochs),
                    Metrics = new EpochMetrics(epoch.Loss, epoch.Accuracy, epoch.ValLoss, epoch.ValAccuracy, epoch.Seconds),
                });
                logger.LogInformation("Job {Job}: epoch {Epoch}/{Epochs} val_accuracy {ValAccuracy:F4}",
                    job, epoch.Epoch, settings.Settings.Epochs, epoch.ValAccuracy);
            });
            var modelPath = Path.Combine(_queue.ModelsDirectory, settings.ModelFileName);
            var report = await Task.Run(() => trainer(settings, modelPath, progress, stoppingToken), stoppingToken);

            await StopHeartbeatAsync();
            Update(s => s with { State = JobState.Succeeded, TestAccuracy = report.Test.Accuracy, FinishedAt = time.GetUtcNow() });
            _queue.Finish(job);
            logger.LogInformation("Job {Job} succeeded: {Model}, test accuracy {Accuracy:P2}",
                job, settings.ModelFileName, report.Test.Accuracy);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await StopHeartbeatAsync();
            lock (gate)
            {
                _queue.Requeue(job, status, "Queued again: the worker was stopped during the job; it runs again when a worker starts.");
            }

            logger.LogWarning("Job {Job} interrupted by shutdown; queued again", job);
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
        }

        void Fail(string reason)
        {
            Update(s => s with { State = JobState.Failed, Error = reason, FinishedAt = time.GetUtcNow() });
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

    private void TouchAliveFile()
    {
        if (options.AliveFile is { } path)
        {
            File.WriteAllText(path, time.GetUtcNow().ToString("O"));
        }
    }

    private FileSystemWatcher? WatchJobs()
    {
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

        void Wake()
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    /// <summary>Runs the callback on the reporting thread, in order (<see cref="Progress{T}"/> would post it elsewhere).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
