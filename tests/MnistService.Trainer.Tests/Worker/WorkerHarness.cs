using Microsoft.Extensions.Hosting;
using MnistService.Core.Onnx;
using MnistService.Core.Training;
using MnistService.Core.Training.Jobs;
using MnistService.Testing;
using MnistService.Trainer.Worker;

namespace MnistService.Trainer.Tests.Worker;

/// <summary>A models directory with a worker host running over it, and ways to wait for a job's status.</summary>
public sealed class WorkerHarness : IAsyncDisposable
{
    private readonly IHost _host;

    private WorkerHarness(string models, IHost host)
    {
        Models = models;
        _host = host;
    }

    public string Models { get; }
    public string Jobs => Path.Combine(Models, "jobs");

    public static async Task<WorkerHarness> StartAsync(string models, JobTrainer trainer)
    {
        var options = new WorkerOptions
        {
            ModelsDirectory = models,
            PollInterval = TimeSpan.FromMilliseconds(100),
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        };
        var host = WorkerCommand.BuildHost(options, trainer);
        await host.StartAsync();
        return new WorkerHarness(models, host);
    }

    public void Drop(string name, string json) => WorkerJobs.Drop(Models, name, json);

    public JobStatus? Status(string job) => WorkerJobs.Status(Models, job);

    public Task<JobStatus> WaitForAsync(string job, Func<JobStatus, bool> condition) => WorkerJobs.WaitForAsync(Models, job, condition);

    /// <summary>
    /// Waits until the job has ended: its status says succeeded or failed, and then (the worker writes the status
    /// first) its file has moved to <c>.done</c>, or 10 s have passed.
    /// </summary>
    public async Task<JobStatus> WaitForEndAsync(string job)
    {
        var status = await WaitForAsync(job, s => s.State is JobState.Succeeded or JobState.Failed);
        var done = Path.Combine(Jobs, job + ".json.done");
        for (var waited = TimeSpan.Zero; !File.Exists(done) && waited < TimeSpan.FromSeconds(10); waited += TimeSpan.FromMilliseconds(20))
        {
            await Task.Delay(20);
        }
        return status;
    }

    public async Task StopAsync() => await _host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

/// <summary>Stand-ins for the training pipeline, for the worker's own behaviour (claims, status, failures).</summary>
public static class FakeTrainers
{
    /// <summary>Reports each epoch and writes a small file atomically as the "model".</summary>
    public static JobTrainer Quick(byte[]? content = null) => (job, modelPath, progress, cancellationToken) =>
    {
        var epochs = Math.Min(job.Settings.Epochs, 3);
        var history = new List<EpochRecord>();
        for (var epoch = 1; epoch <= epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var record = new EpochRecord(epoch, 1.0 / epoch, 0.9, 1.1 / epoch, 0.89, 0.01);
            history.Add(record);
            progress.Report(record);
        }
        var temporary = modelPath + ".partial";
        File.WriteAllBytes(temporary, content ?? [1, 2, 3]);
        File.Move(temporary, modelPath, overwrite: true);
        return Task.FromResult(Report(job, history));
    };

    /// <summary>Reports one epoch, then trains "forever" until cancelled.</summary>
    public static JobTrainer UntilCancelled(TaskCompletionSource started) => async (job, _, progress, cancellationToken) =>
    {
        progress.Report(new EpochRecord(1, 1, 0.5, 1, 0.5, 0.01));
        started.TrySetResult();
        await Task.Delay(Timeout.Infinite, cancellationToken);
        throw new InvalidOperationException("unreachable");
    };

    public static ModelReport Report(TrainingJob job, IReadOnlyList<EpochRecord> history) => new()
    {
        Created = DateTimeOffset.UtcNow,
        Hyperparameters = job.Settings,
        Architecture = new ArchitectureInfo { Inputs = 784, Layers = [], Parameters = 0 },
        History = history,
        Test = new TestResult(0.875, 0.4, []),
        Dataset = new DatasetInfo("mnist", new Dictionary<string, string>(), 100, 0, 100),
    };
}
