using Microsoft.Extensions.Logging;
using MnistService.Core.IO;

namespace MnistService.Core.Training.Jobs;

/// <summary>
/// The job directory <c>MODELS/jobs/</c>, where a job's file name says its stage:
/// <c>NAME.json</c> waits, <c>NAME.json.running</c> is claimed by a worker, <c>NAME.json.done</c> ended
/// (how: <c>NAME.status.json</c>). Claiming is a rename, which the file system does atomically,
/// so of several workers exactly one gets a job. <c>NAME.cancel</c> asks the worker running the job to
/// stop it at its next batch (its text is the reason the status records).
/// </summary>
public sealed class JobQueue
{
    public const string QueuedSuffix = ".json";
    public const string RunningSuffix = ".json.running";
    public const string DoneSuffix = ".json.done";
    public const string StatusSuffix = ".status.json";
    public const string CancelSuffix = ".cancel";

    /// <summary>A worker killed this many times during the same job gives up on it.</summary>
    public const int MaxAttempts = 3;

    private readonly TimeSpan _staleAfter;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public JobQueue(string modelsDirectory, TimeSpan staleAfter, TimeProvider time, ILogger logger)
    {
        ModelsDirectory = Path.GetFullPath(modelsDirectory);
        JobsDirectory = Path.Combine(ModelsDirectory, "jobs");
        _staleAfter = staleAfter;
        _time = time;
        _logger = logger;
    }

    public string ModelsDirectory { get; }
    public string JobsDirectory { get; }
    public WorkerIdentity Worker { get; } = WorkerIdentity.Current;

    public string QueuedPath(string job) => Path.Combine(JobsDirectory, job + QueuedSuffix);
    public string RunningPath(string job) => Path.Combine(JobsDirectory, job + RunningSuffix);
    public string DonePath(string job) => Path.Combine(JobsDirectory, job + DoneSuffix);
    public string StatusPath(string job) => Path.Combine(JobsDirectory, job + StatusSuffix);
    public string CancelPath(string job) => Path.Combine(JobsDirectory, job + CancelSuffix);

    public void EnsureDirectories() => Directory.CreateDirectory(JobsDirectory);

    /// <summary>Waiting jobs, oldest first (none while the job directory does not exist).</summary>
    public IReadOnlyList<string> Queued() => !Directory.Exists(JobsDirectory) ? [] :
        Directory.EnumerateFiles(JobsDirectory, "*" + QueuedSuffix)
            .Select(path => (Path: path, Name: Path.GetFileName(path)))
            .Where(file => !file.Name.StartsWith('.') && !file.Name.EndsWith(StatusSuffix, StringComparison.Ordinal))
            .OrderBy(file => File.GetLastWriteTimeUtc(file.Path)).ThenBy(file => file.Name, StringComparer.Ordinal)
            .Select(file => file.Name[..^QueuedSuffix.Length])
            .ToList();

    /// <summary>
    /// Every job the directory knows (waiting, running or ended), by name: each has a job file or a status file.
    /// </summary>
    public IReadOnlyList<string> All()
    {
        if (!Directory.Exists(JobsDirectory))
        {
            return [];
        }

        string[] suffixes = [StatusSuffix, DoneSuffix, RunningSuffix, QueuedSuffix];
        return Directory.EnumerateFiles(JobsDirectory)
            .Select(Path.GetFileName).OfType<string>()
            .Where(name => !name.StartsWith('.'))
            .Select(name => suffixes.FirstOrDefault(suffix => name.EndsWith(suffix, StringComparison.Ordinal)) is { } suffix
                ? name[..^suffix.Length] : null)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Cancels a job: a waiting one ends here (its file moves to <c>.done</c>, its status says
    /// <paramref name="reason"/>); a running one gets a <c>NAME.cancel</c> file, which its worker notices
    /// within a second and stops at the next batch, writing no model.
    /// </summary>
    public CancelOutcome Cancel(string job, string reason)
    {
        try
        {
            // The rename is the same atomic step a worker's claim is: of the two, exactly one wins.
            File.Move(QueuedPath(job), DonePath(job), overwrite: true);
            var status = JobStatus.TryRead(StatusPath(job));
            var now = _time.GetUtcNow();
            var cancelled = (status ?? new JobStatus { Job = job, State = JobState.Queued, QueuedAt = now, UpdatedAt = now }) with
            {
                State = JobState.Cancelled, Error = reason, Batch = null, FinishedAt = now, UpdatedAt = now,
            };
            cancelled.Write(StatusPath(job));
            return CancelOutcome.Cancelled;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
        }

        if (!File.Exists(RunningPath(job)))
        {
            return File.Exists(DonePath(job)) || File.Exists(StatusPath(job)) ? CancelOutcome.AlreadyEnded : CancelOutcome.NotFound;
        }
        AtomicFile.WriteAllText(CancelPath(job), reason);
        return CancelOutcome.Requested;
    }

    /// <summary>The reason a cancellation of <paramref name="job"/> was asked for, or null when none was.</summary>
    public string? CancelRequest(string job)
    {
        try
        {
            return File.ReadAllText(CancelPath(job));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Gives every newly dropped job a <c>queued</c> status, so its owner sees it was noticed.</summary>
    public void MarkQueued()
    {
        foreach (var job in Queued())
        {
            var status = JobStatus.TryRead(StatusPath(job));
            if (status is { State: JobState.Queued } || File.Exists(RunningPath(job)))
            {
                continue;
            }

            var now = _time.GetUtcNow();
            new JobStatus { Job = job, State = JobState.Queued, QueuedAt = now, UpdatedAt = now }.Write(StatusPath(job));
        }
    }

    /// <summary>Claims a waiting job for this worker; false when another worker was first or the job is gone.</summary>
    public bool TryClaim(string job)
    {
        // A job of the same name still running elsewhere keeps its claim; this one waits for it.
        if (File.Exists(RunningPath(job)))
        {
            return false;
        }

        try
        {
            File.Move(QueuedPath(job), RunningPath(job), overwrite: false);
        }
        catch (Exception e) when (e is FileNotFoundException or IOException)
        {
            return false;
        }
        // The claim's time, for the moment before the first status is written (see IsOrphan).
        File.SetLastWriteTimeUtc(RunningPath(job), _time.GetUtcNow().UtcDateTime);
        return true;
    }

    /// <summary>Ends a claimed job: the job file moves to <c>.done</c>, replacing an earlier run's.</summary>
    public void Finish(string job)
    {
        File.Move(RunningPath(job), DonePath(job), overwrite: true);
        File.Delete(CancelPath(job)); // a request that came too late to matter
    }

    /// <summary>Puts a claimed job back in the queue (this worker is stopping, or its worker died).</summary>
    public void Requeue(string job, JobStatus status, string reason)
    {
        var now = _time.GetUtcNow();
        if (File.Exists(QueuedPath(job)))
        {
            // The owner dropped a new version meanwhile: that one runs, the old claim ends here.
            File.Move(RunningPath(job), DonePath(job), overwrite: true);
        }
        else
        {
            File.Move(RunningPath(job), QueuedPath(job), overwrite: false);
            // The claim stamped the file with its own time; back in the queue the job keeps the place it had,
            // ahead of the jobs dropped after it (the queue's order is the files' times).
            File.SetLastWriteTimeUtc(QueuedPath(job), (status.QueuedAt ?? now).UtcDateTime);
        }
        (status with { State = JobState.Queued, Error = reason, Worker = null, UpdatedAt = now }).Write(StatusPath(job));
    }

    /// <summary>
    /// Re-queues jobs claimed by workers that are gone: a process of this host that no longer runs, or any
    /// worker whose status has not been refreshed for the stale time. A job that killed its worker
    /// <see cref="MaxAttempts"/> times fails instead.
    /// </summary>
    public void RequeueOrphans(ICollection<string> ownJobs)
    {
        if (!Directory.Exists(JobsDirectory))
        {
            return;
        }

        foreach (var path in Directory.EnumerateFiles(JobsDirectory, "*" + RunningSuffix))
        {
            var job = Path.GetFileName(path)[..^RunningSuffix.Length];
            if (job.StartsWith('.') || ownJobs.Contains(job))
            {
                continue;
            }

            var status = JobStatus.TryRead(StatusPath(job));
            if (!IsOrphan(path, status, out var owner))
            {
                continue;
            }

            var attempt = status?.Attempt ?? 0;
            var previous = status ?? new JobStatus { Job = job, State = JobState.Running, UpdatedAt = _time.GetUtcNow() };
            DeletePartialModel(previous.Model);
            if (attempt >= MaxAttempts)
            {
                var reason = $"The worker stopped during this job {attempt} times (killed, or out of memory?); it is not retried.";
                _logger.LogWarning("Job {Job} failed: {Reason}", job, reason);
                (previous with { State = JobState.Failed, Error = reason, FinishedAt = _time.GetUtcNow(), UpdatedAt = _time.GetUtcNow() })
                    .Write(StatusPath(job));
                Finish(job);
            }
            else
            {
                var reason = $"Queued again: worker {owner} stopped during attempt {attempt}.";
                _logger.LogWarning("Job {Job}: {Reason}", job, reason);
                Requeue(job, previous, reason);
            }
        }
    }

    private bool IsOrphan(string runningPath, JobStatus? status, out string owner)
    {
        var identity = WorkerIdentity.TryParse(status?.Worker);
        owner = identity?.ToString() ?? "(unknown)";
        if (identity is not null && identity.IsDeadProcessOnThisHost())
        {
            return true;
        }

        var lastSign = status is { State: JobState.Running } ? status.UpdatedAt : File.GetLastWriteTimeUtc(runningPath);
        return _time.GetUtcNow() - lastSign > _staleAfter;
    }

    /// <summary>
    /// The exporter writes a model atomically, through a hidden temporary file beside it; a worker killed
    /// mid-write leaves only that temporary file, which is removed here.
    /// </summary>
    private void DeletePartialModel(string? modelFile)
    {
        if (modelFile is null)
        {
            return;
        }

        foreach (var partial in Directory.EnumerateFiles(ModelsDirectory, $".{Path.GetFileName(modelFile)}.*.tmp"))
        {
            File.Delete(partial);
        }
    }
}

/// <summary>What <see cref="JobQueue.Cancel"/> did.</summary>
public enum CancelOutcome
{
    /// <summary>The job was waiting and has ended, cancelled.</summary>
    Cancelled,
    /// <summary>The job is running; its worker stops it at the next batch.</summary>
    Requested,
    /// <summary>The job had ended already; nothing changed.</summary>
    AlreadyEnded,
    /// <summary>No such job.</summary>
    NotFound,
}
