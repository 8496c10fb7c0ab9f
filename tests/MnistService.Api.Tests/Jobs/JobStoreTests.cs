using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MnistService.Api.Jobs;
using MnistService.Api.Tests.ModelStore;
using MnistService.Core.Training.Jobs;

namespace MnistService.Api.Tests.Jobs;

/// <summary>The job store over a real models directory, driven by hand.</summary>
public sealed class JobStoreTests
{
    [Fact]
    public async Task A_status_rewritten_with_the_same_size_and_time_is_still_seen_to_change()
    {
        using var harness = new RepositoryHarness();
        var store = new JobStore(harness.Repository, new FixedOptions(new TrainingOptions()), TimeProvider.System, NullLogger<JobStore>.Instance);
        var id = (await store.SubmitAsync(TrainingJob.Parse("""{ "hidden": [16], "epochs": 2 }""", "same-size"))).Id;
        var path = store.Queue.StatusPath(id);
        var tick = DateTime.UtcNow.AddSeconds(-5);
        void WriteStatus(int attempt)
        {
            new JobStatus { Job = id, State = JobState.Running, Attempt = attempt, Worker = "worker-1", UpdatedAt = tick }.Write(path);
            File.SetLastWriteTimeUtc(path, tick); // both writes within one tick of a coarse file-system clock
        }

        WriteStatus(attempt: 1);
        var first = store.Stamp(id);
        WriteStatus(attempt: 2);

        Assert.Equal(first.Status.Length, new FileInfo(path).Length);
        Assert.Equal(first.Status.LastWriteUtc, File.GetLastWriteTimeUtc(path));
        Assert.NotEqual(first, store.Stamp(id));
        Assert.Equal(2, store.Find(id)!.Attempt);
    }

    private sealed class FixedOptions(TrainingOptions value) : IOptionsMonitor<TrainingOptions>
    {
        public TrainingOptions CurrentValue => value;
        public TrainingOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<TrainingOptions, string?> listener) => null;
    }
}
