using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using MnistService.Api.ModelStore;
using MnistService.Reliability.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MnistService.Reliability.Tests;

/// <summary>
/// The training worker killed with a real SIGKILL at random moments of a short job, and right when it
/// starts writing the model: the model in the directory is always complete and loads, the service over
/// the same directory never reports or serves a partial one, and the job runs again to success.
/// Default 6 kills; the long run (run-long.sh) sets RELIABILITY_WORKER_KILLS.
/// </summary>
public sealed class WorkerKillTests(ITestOutputHelper output) : IDisposable
{
    private const string Model = "mnist-worker";
    private readonly string _models = TempDirectory.New("kill");

    public void Dispose() => TempDirectory.TryDelete(_models);

    [Fact]
    public async Task A_worker_killed_mid_job_or_mid_write_never_leaves_a_model_the_service_cannot_load()
    {
        Assert.True(Directory.Exists(MnistTestSet.Directory), $"MNIST is needed at {MnistTestSet.Directory} (or MNIST_DATA_DIR)");
        var kills = ReliabilitySettings.Int("RELIABILITY_WORKER_KILLS", 6);
        var random = new Random(ReliabilitySettings.Int("RELIABILITY_WORKER_SEED", 7));
        // The separate worker trains the jobs, as in compose: the service only serves.
        using var service = await ServiceProcess.StartAsync(_models, new Dictionary<string, string> { ["Training__Worker"] = "External" }, probe: "healthz");
        using var http = new HttpClient { BaseAddress = service.Address, Timeout = TimeSpan.FromSeconds(10) };

        // A first job to completion: the model every later (killed) job replaces, and how long a job takes.
        var clock = Stopwatch.StartNew();
        DropJob("first", seed: 1);
        using (var worker = StartWorker(untilIdle: true))
        {
            Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(120)), "the first job did not finish\n" + worker.Output);
            Assert.Equal(0, worker.ExitCode);
        }
        var jobTime = clock.Elapsed;
        Assert.True(File.Exists(ModelPath), "the first job wrote no model");
        await AssertServedAsync(http);

        var killedWriting = 0;
        var killedAt = new List<double>();
        for (var kill = 0; kill < kills; kill++)
        {
            Directory.Delete(Path.Combine(_models, "jobs"), recursive: true);
            DropJob($"kill-{kill}", seed: 100 + kill);
            var atWrite = kill % 2 == 1; // every other kill waits for the model write to begin
            var delay = TimeSpan.FromMilliseconds(random.Next(200, (int)(jobTime.TotalMilliseconds * 1.1)));
            var started = Stopwatch.StartNew();
            var earlier = Temporaries().ToHashSet();
            using (var worker = StartWorker(untilIdle: true))
            {
                if (atWrite)
                {
                    await WaitForWriteAsync(worker, earlier, TimeSpan.FromSeconds(60));
                }
                else
                {
                    await Task.Delay(delay);
                }
                if (!worker.HasExited)
                {
                    worker.Signal(Signals.SigKill);
                    await worker.WaitForExitAsync(TimeSpan.FromSeconds(10));
                }
            }
            // A new temporary file still there after the kill: the worker died with the model half written.
            if (Temporaries().Except(earlier).Any())
            {
                killedWriting++;
            }

            killedAt.Add(started.Elapsed.TotalMilliseconds);
            AssertEveryModelFileLoads();
            await AssertServedAsync(http);
        }

        // The killed job is taken up again by the next worker and finishes.
        using (var worker = StartWorker(untilIdle: true))
        {
            Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(120)), "the retried job did not finish\n" + worker.Output);
        }
        var status = File.ReadAllText(Path.Combine(_models, "jobs", $"kill-{kills - 1}.status.json"));
        Assert.Contains("\"succeeded\"", status);
        AssertEveryModelFileLoads();
        await AssertServedAsync(http);
        var leftovers = Directory.EnumerateFiles(_models).Select(Path.GetFileName).Where(n => n!.StartsWith('.')).ToList();

        output.WriteLine($"A job takes {jobTime.TotalSeconds:0.0} s with the worker's start; {kills} SIGKILLs at {string.Join(", ", killedAt.Select(t => $"{t:0}"))} ms, " +
            $"{killedWriting} of them with the model file half written; {leftovers.Count} hidden temporary files left behind, none served");
        ReliabilitySettings.Record("worker-kills", new { kills, killedWriting, jobSeconds = jobTime.TotalSeconds, killedAtMs = killedAt, leftoverTemporaryFiles = leftovers.Count });
        
    }

    private string ModelPath => Path.Combine(_models, Model + ".onnx");

    private void DropJob(string name, int seed)
    {
        var jobs = Path.Combine(_models, "jobs");
        Directory.CreateDirectory(jobs);
        var json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = Model, ["hidden"] = new[] { 256, 128 }, ["epochs"] = 1, ["train_limit"] = 3000, ["threads"] = 1, ["seed"] = seed, ["replace"] = true,
        });
        File.WriteAllText(Path.Combine(jobs, $".{name}.tmp"), json);
        File.Move(Path.Combine(jobs, $".{name}.tmp"), Path.Combine(jobs, name + ".json"));
    }

    private ChildProcess StartWorker(bool untilIdle)
    {
        List<string> arguments = ["worker", "--models", _models, "--data", MnistTestSet.Directory, "--poll-seconds", "0.2"];
        if (untilIdle)
        {
            arguments.Add("--until-idle");
        }

        return ChildProcess.Dotnet(Repo.WorkerDll, arguments, new Dictionary<string, string> { ["DOTNET_gcServer"] = "0" }, _models);
    }

    private IEnumerable<string> Temporaries() => Directory.EnumerateFiles(_models, $".{Model}.onnx*");

    /// <summary>Returns once a new temporary model file appears beside the model (the write has begun).</summary>
    private async Task WaitForWriteAsync(ChildProcess worker, HashSet<string> earlier, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < within && !worker.HasExited && !Temporaries().Any(t => !earlier.Contains(t)))
        {
            await Task.Delay(1);
        }
    }

    /// <summary>Every *.onnx a reader would pick up loads as a complete model.</summary>
    private void AssertEveryModelFileLoads()
    {
        foreach (var file in new DirectoryInfo(_models).EnumerateFiles("*.onnx").Where(f => !f.Name.StartsWith('.')))
        {
            var bytes = File.ReadAllBytes(file.FullName);
            var model = LoadedModel.Load(Path.GetFileNameWithoutExtension(file.Name), file.FullName, ModelFileStamp.Of(file), bytes, new ModelsOptions());
            try
            {
                Assert.NotNull(model.Report); // every model the trainer writes carries its evaluation report
            }
            finally
            {
                model.Release();
            }
        }
    }

    /// <summary>The service serves the model now on disk and reports no broken file.</summary>
    private async Task AssertServedAsync(HttpClient http)
    {
        var expected = ModelVersions.Hash(File.ReadAllBytes(ModelPath));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            last = await http.GetStringAsync("models");
            using var json = JsonDocument.Parse(last);
            Assert.Empty(json.RootElement.GetProperty("failures").EnumerateArray());
            if (json.RootElement.GetProperty("models").EnumerateArray().Any(m => m.GetProperty("name").GetString() == Model && m.GetProperty("sha256").GetString() == expected))
            {
                using var predict = await http.PostAsync($"predict?model={Model}", Bodies.Create(1));
                Assert.Equal(HttpStatusCode.OK, predict.StatusCode);
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The service does not serve {Model} {expected}: {last}");
    }
}
