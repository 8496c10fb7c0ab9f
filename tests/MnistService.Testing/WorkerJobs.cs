using MnistService.Core.Training.Jobs;

namespace MnistService.Testing;

/// <summary>The training worker's job files as a user handles them: drop a job in, wait for its status.</summary>
public static class WorkerJobs
{
    /// <summary>Writes <c>MODELS/jobs/NAME.json</c> beside, then renames it into place, so a worker never reads half a file.</summary>
    public static void Drop(string models, string name, string json)
    {
        var jobs = Path.Combine(models, "jobs");
        Directory.CreateDirectory(jobs);
        var temporary = Path.Combine(jobs, $".{name}.tmp");
        File.WriteAllText(temporary, json);
        File.Move(temporary, Path.Combine(jobs, name + ".json"));
    }

    public static JobStatus? Status(string models, string job) =>
        JobStatus.TryRead(Path.Combine(models, "jobs", job + JobQueue.StatusSuffix));

    /// <summary>Polls the job's status file until <paramref name="condition"/> holds (default timeout 30 s).</summary>
    /// <param name="diagnostics">What to add to the failure message (e.g. the worker's output).</param>
    public static async Task<JobStatus> WaitForAsync(string models, string job, Func<JobStatus, bool> condition, TimeSpan? timeout = null,
        Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        JobStatus? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = Status(models, job);
            if (last is not null && condition(last))
            {
                return last;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"Job {job} did not reach the expected status; last: {last}\n{diagnostics?.Invoke()}");
    }
}
