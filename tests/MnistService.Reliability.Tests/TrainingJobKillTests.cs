using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace MnistService.Reliability.Tests;

/// <summary>
/// The service, training a job in-process, killed with SIGKILL mid-job and started again: the job runs
/// again saying why, no partial model is ever served or left in the directory, and the job waiting behind it is still queued.
/// </summary>
public sealed class TrainingJobKillTests : IDisposable
{
    private readonly TempDirectory _models = new("jobkill");

    public void Dispose() => _models.Dispose();

    [Fact]
    public async Task A_service_killed_mid_job_runs_the_job_again_with_the_reason_and_serves_no_partial_model()
    {
        File.WriteAllBytes(_models.File("mnist-cnn.onnx"), ModelFiles.Default);
        var settings = new Dictionary<string, string> { ["Training__Data"] = MnistTestSet.Directory };

        string waiting;
        using (var service = await ServiceProcess.StartAsync(_models.Path, settings))
        {
            using var http = Client(service);
            await PostAsync(http, """{ "model": "killed", "hidden": [64], "epochs": 100, "patience": 100, "trainLimit": 12000 }""");
            waiting = await PostAsync(http, """{ "hidden": [16], "epochs": 1, "trainLimit": 2000 }""");
            await WaitForAsync(http, "killed", job => job.GetProperty("history").GetArrayLength() >= 1);

            service.Process.Signal(Signals.SigKill);
            Assert.True(await service.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)), "the service did not die");
        }
        Assert.False(File.Exists(_models.File("killed.onnx")), "a model appeared for a job that never finished");
        Assert.True(File.Exists(_models.File(Path.Combine("jobs", waiting + ".json"))), "the waiting job left the queue");

        using (var service = await ServiceProcess.StartAsync(_models.Path, settings))
        {
            using var http = Client(service);
            var rerun = await WaitForAsync(http, "killed", job => job.GetProperty("attempt").GetInt32() == 2);
            Assert.Contains("stopped during attempt 1", rerun.GetProperty("error").GetString());
            Assert.Contains(rerun.GetProperty("state").GetString(), new[] { "queued", "running" });
            var models = await http.GetFromJsonAsync<JsonElement>("models");
            Assert.DoesNotContain("killed", models.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
            Assert.Empty(models.GetProperty("failures").EnumerateArray());

            // The rerun is cancelled (it would train for a minute); the job behind it then trains to its model.
            Assert.True((await http.DeleteAsync("jobs/killed")).IsSuccessStatusCode);
            var next = await WaitForAsync(http, waiting, job => job.GetProperty("state").GetString() is "succeeded" or "failed");
            Assert.Equal("succeeded", next.GetProperty("state").GetString());
            // The cancel of a running job is a request (202) that takes effect at its next batch: wait for the rerun to
            // end (it must, and as cancelled) rather than read its state at the moment the waiting job is done.
            var cancelled = await WaitForAsync(http, "killed", job => job.GetProperty("state").GetString() is "cancelled" or "succeeded" or "failed");
            Assert.Equal("cancelled", cancelled.GetProperty("state").GetString());
        }
        Assert.False(File.Exists(_models.File("killed.onnx")));
        Assert.Empty(Directory.EnumerateFiles(_models.Path, ".killed*"));
    }

    private static HttpClient Client(ServiceProcess service) => new() { BaseAddress = service.Address, Timeout = TimeSpan.FromSeconds(10) };

    private static async Task<string> PostAsync(HttpClient http, string json)
    {
        using var response = await http.PostAsync("jobs", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> WaitForAsync(HttpClient http, string id, Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        JsonElement job;
        do
        {
            job = await http.GetFromJsonAsync<JsonElement>($"jobs/{id}");
            if (condition(job))
            {
                return job;
            }
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"job {id} did not get there: {job}");
    }
}
