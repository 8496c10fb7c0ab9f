using System.Net;
using MnistService.Core.Training.Jobs;
using MnistService.Deploy.Tests.Infrastructure;

namespace MnistService.Deploy.Tests.Images;

/// <summary>
/// The worker image and the service image as deploy/compose.yaml runs them: one models volume shared by
/// both (seeded with the default model), MNIST in the worker's /data volume, real training.
/// </summary>
[Collection(ImagesCollection.Name)]
public sealed class WorkerImageTests(ImagesFixture images) : IDisposable
{
    private readonly string _models = SeededModelsVolume(images);

    public void Dispose() => Directory.Delete(_models, recursive: true);

    [Fact]
    public async Task A_small_job_becomes_a_model_the_running_service_serves_and_a_bad_job_fails_with_its_reason()
    {
        var (service, http) = await StartComposeServiceAsync();
        await using (service)
        using (http)
        {
            await using var worker = StartWorker();
            WorkerJobs.Drop(_models, "quick", """{ "model": "mnist-quick", "hidden": [64], "dropout": 0, "epochs": 1, "train_limit": 6000 }""");
            WorkerJobs.Drop(_models, "typo", """{ "model": "mnist-typo", "epochs": 1, "optimiser": "adam" }""");

            var done = await WorkerJobs.WaitForAsync(_models, "quick", s => s.State is JobState.Succeeded or JobState.Failed, TimeSpan.FromSeconds(120), () => worker.Output);
            Assert.True(done.State == JobState.Succeeded, $"{done}\n{worker.Output}");
            Assert.Equal(new JobProgress(1, 1), done.Progress);
            Assert.InRange(done.TestAccuracy!.Value, 0.80, 1.0);

            var typo = await WorkerJobs.WaitForAsync(_models, "typo", s => s.State is JobState.Succeeded or JobState.Failed);
            Assert.Equal(JobState.Failed, typo.State);
            Assert.Contains("optimiser", typo.Error);
            Assert.False(File.Exists(Path.Combine(_models, "mnist-typo.onnx")));

            // The service notices the new file by itself and serves it.
            var served = await WaitForModelAsync(http, "mnist-quick");
            Assert.Equal(done.TestAccuracy, served.TestAccuracy);
            var (png, label) = (TestImages.MnistPng(MnistTestSet.Images[0]), (int)MnistTestSet.Labels[0]);
            var (status, answer, body) = await ImagesFixture.PredictPngAsync(http, png, "mnist-quick");
            Assert.True(status == HttpStatusCode.OK, body);
            Assert.Equal("mnist-quick", answer!.Model);
            Assert.Equal(label, answer.Digit);

            // The worker image's HEALTHCHECK: its alive file is fresh.
            var (healthy, output) = await worker.RunHealthcheckAsync();
            Assert.True(healthy, output);
            Assert.Equal(0, await worker.StopAsync(TimeSpan.FromSeconds(30)));
        }
    }

    [Fact]
    public async Task A_killed_worker_leaves_no_model_a_stopped_one_requeues_and_the_job_finishes_on_restart()
    {
        const string job = "again";
        WorkerJobs.Drop(_models, job, """{ "model": "mnist-again", "hidden": [32], "epochs": 4, "patience": 4, "train_limit": 12000 }""");
        var model = Path.Combine(_models, "mnist-again.onnx");

        // docker kill mid-job: nothing is written, the claim stays behind.
        await using (var first = StartWorker())
        {
            await WorkerJobs.WaitForAsync(_models, job, s => s is { State: JobState.Running, Progress.Epoch: >= 1 }, TimeSpan.FromSeconds(120), () => first.Output);
            await first.KillAsync();
        }
        Assert.False(File.Exists(model));
        Assert.Empty(Directory.EnumerateFiles(_models, "*.tmp"));
        Assert.True(File.Exists(Path.Combine(_models, "jobs", job + JobQueue.RunningSuffix)));

        // The restarted worker takes the job up again; docker stop (SIGTERM) then hands it back to the queue.
        await using (var second = StartWorker())
        {
            await WorkerJobs.WaitForAsync(_models, job, s => s is { State: JobState.Running, Attempt: 2, Progress.Epoch: >= 1 }, TimeSpan.FromSeconds(120), () => second.Output);
            Assert.Equal(0, await second.StopAsync(TimeSpan.FromSeconds(30)));
        }
        var requeued = JobStatus.TryRead(Path.Combine(_models, "jobs", job + JobQueue.StatusSuffix))!;
        Assert.Equal(JobState.Queued, requeued.State);
        Assert.Contains("stopped", requeued.Error);
        Assert.False(File.Exists(model));

        // And the next start finishes it.
        await using (var third = StartWorker())
        {
            var done = await WorkerJobs.WaitForAsync(_models, job, s => s.State is JobState.Succeeded or JobState.Failed, TimeSpan.FromSeconds(120), () => third.Output);
            Assert.True(done.State == JobState.Succeeded, $"{done}\n{third.Output}");
            Assert.Equal(3, done.Attempt);
        }
        Assert.True(File.Exists(model));
    }

    /// <summary>The worker as compose runs it: the models volume at /models, the MNIST volume at /data.</summary>
    private Container StartWorker() => Container.Start(images.Worker, mounts: new Dictionary<string, string>
    {
        ["/models"] = _models,
        ["/data"] = MnistTestSet.Directory,
    });

    /// <summary>The service as compose runs it: its environment from compose.yaml, the models volume at /models.</summary>
    private async Task<(Container, HttpClient)> StartComposeServiceAsync()
    {
        var compose = Yaml.Load(Path.Combine(Repo.DeployDirectory, "compose.yaml")).Obj("services").Obj("service");
        var environment = compose.Obj("environment").ToDictionary(e => e.Key, e => e.Value.Str());
        var volume = compose.Arr("volumes").Select(v => v.Str()).Single(v => v.StartsWith("models:", StringComparison.Ordinal));
        return await ImagesFixture.StartServiceAsync(images.Service, environment,
            new Dictionary<string, string> { [volume.Split(':')[1]] = _models });
    }

    private static async Task<ImagesFixture.ModelEntry> WaitForModelAsync(HttpClient http, string name)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var models = await ImagesFixture.ModelsAsync(http);
            if (models.Models.FirstOrDefault(m => m.Name == name) is { } model)
            {
                return model;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The service did not load {name}; it has {string.Join(", ", models.Models.Select(m => m.Name))}.");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>What compose's models-init does: the image's default model copied into the fresh volume, and jobs/.</summary>
    private static string SeededModelsVolume(ImagesFixture images)
    {
        var models = TempDirectory.New("models-volume");
        Directory.CreateDirectory(Path.Combine(models, "jobs"));
        foreach (var file in Directory.EnumerateFiles(images.Service.Map("/app/models"), "*.onnx"))
        {
            File.Copy(file, Path.Combine(models, Path.GetFileName(file)));
        }

        return models;
    }
}
