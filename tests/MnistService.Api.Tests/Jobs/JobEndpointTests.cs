using System.Net;
using System.Text.Json;
using MnistService.Api.Tests.Infrastructure;
using MnistService.Core.Training;

namespace MnistService.Api.Tests.Jobs;

/// <summary>POST/GET/DELETE /jobs and the job's events, with the in-process worker training for real (tiny jobs).</summary>
public sealed class JobEndpointTests
{
    [Fact]
    public async Task Bad_settings_are_400_with_an_error_for_each_field_by_its_camelCase_name()
    {
        using var jobs = new JobsHarness(new Dictionary<string, string?> { ["Training:Worker"] = "External", ["Training:MaxEpochs"] = "20" });

        var response = await jobs.Client.PostAsync("/jobs", HttpAssert.JsonBody(
            """{ "epochs": 30, "learningRate": -1, "activation": "swish", "hidden": [64, 0], "lerningRate": 0.1, "trainLimit": 1 }"""));

        var problem = await HttpAssert.Problem(response, HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.Equal(["activation", "epochs", "hidden", "learningRate", "lerningRate", "trainLimit"],
            errors.EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.Contains("at most 20 on this server (Training:MaxEpochs)", Message(errors, "epochs"));
        Assert.Contains("must be a positive number, got -1", Message(errors, "learningRate"));
        Assert.Contains("one of relu, sigmoid, tanh", Message(errors, "activation"));
        Assert.Contains("'lerningRate' is not a setting", Message(errors, "lerningRate"));
        Assert.False(Directory.Exists(Path.Combine(jobs.Models, "jobs")), "a refused job left files");

        var broken = await HttpAssert.Problem(await jobs.Client.PostAsync("/jobs", HttpAssert.JsonBody("""{ "epochs": """)), HttpStatusCode.BadRequest);
        Assert.Contains("not well-formed JSON", broken.GetProperty("detail").GetString());
        var notObject = await HttpAssert.Problem(await jobs.Client.PostAsync("/jobs", HttpAssert.JsonBody("[2]")), HttpStatusCode.BadRequest);
        Assert.Contains("Expected an object of training settings", notObject.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Past_the_queue_limit_a_job_gets_429_and_a_waiting_job_can_be_cancelled()
    {
        // An external worker that is not running: jobs wait.
        using var jobs = new JobsHarness(new Dictionary<string, string?> { ["Training:Worker"] = "External", ["Training:MaxQueued"] = "2" });
        var first = await jobs.StartAsync(JobsHarness.QuickJob);
        await jobs.StartAsync(JobsHarness.QuickJob);

        var full = await jobs.Client.PostAsync("/jobs", HttpAssert.JsonBody(JobsHarness.QuickJob));
        var problem = await HttpAssert.Problem(full, HttpStatusCode.TooManyRequests);
        Assert.Contains("Training:MaxQueued", problem.GetProperty("detail").GetString());
        Assert.NotNull(full.Headers.RetryAfter);

        var id = first.GetProperty("id").GetString()!;
        var cancelled = await HttpAssert.Json(await jobs.Client.DeleteAsync($"/jobs/{id}"));
        Assert.Equal("cancelled", cancelled.GetProperty("state").GetString());
        Assert.Contains("no model was written", cancelled.GetProperty("error").GetString());
        Assert.True(File.Exists(Path.Combine(jobs.Models, "jobs", id + ".json.done")));
        Assert.False(File.Exists(Path.Combine(jobs.Models, id + ".onnx")));
        await jobs.StartAsync(JobsHarness.QuickJob); // room again

        var again = await HttpAssert.Problem(await jobs.Client.DeleteAsync($"/jobs/{id}"), HttpStatusCode.Conflict);
        Assert.Contains("has ended already (cancelled)", again.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_job_that_names_no_settings_trains_the_default_recipe_within_the_servers_default_limits()
    {
        using var jobs = new JobsHarness(new Dictionary<string, string?> { ["Training:Worker"] = "External" });

        var job = await jobs.StartAsync("{}");

        var settings = job.GetProperty("settings");
        Assert.Equal("distorted", settings.GetProperty("recipe").GetString());
        Assert.Equal(TrainingRecipes.Distorted.Epochs, settings.GetProperty("epochs").GetInt32());
    }

    [Fact]
    public async Task An_unknown_job_is_404_on_every_path()
    {
        using var jobs = new JobsHarness(new Dictionary<string, string?> { ["Training:Worker"] = "External" });
        foreach (var response in new[]
                 {
                     await jobs.Client.GetAsync("/jobs/no-such-job"), await jobs.Client.DeleteAsync("/jobs/no-such-job"),
                     await jobs.Client.GetAsync("/jobs/no-such-job/events"), await jobs.Client.GetAsync("/jobs/..%2Fmnist-cnn"),
                 })
        {
            var problem = await HttpAssert.Problem(response, HttpStatusCode.NotFound);
            Assert.Contains("GET /jobs lists the jobs", problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task A_job_trains_its_model_which_is_served_at_once_and_a_late_client_gets_every_epoch_then_done()
    {
        using var jobs = new JobsHarness();
        var job = await jobs.StartAsync("""{ "hidden": [16], "epochs": 2, "trainLimit": 2000, "model": "my-first" }""");
        Assert.Equal("my-first", job.GetProperty("id").GetString());
        Assert.Equal(2000, job.GetProperty("trainLimit").GetInt32());
        Assert.Equal([16], job.GetProperty("settings").GetProperty("hidden").EnumerateArray().Select(w => w.GetInt32()));

        var done = await jobs.WaitForAsync("my-first", JobsHarness.HasEnded);
        Assert.Equal("succeeded", done.GetProperty("state").GetString());
        Assert.Equal(2, done.GetProperty("history").GetArrayLength());
        Assert.InRange(done.GetProperty("testAccuracy").GetDouble(), 0.2, 1);
        Assert.Equal(done.GetProperty("history").EnumerateArray().Max(e => e.GetProperty("valAccuracy").GetDouble()),
            done.GetProperty("bestValAccuracy").GetDouble());
        await WaitUntilAsync(async () => (await jobs.ModelNamesAsync()).Contains("my-first"));
        var answer = await HttpAssert.Json(await jobs.Client.PostAsync("/predict?model=my-first",
            HttpAssert.JsonBody(JsonSerializer.Serialize(new { pixels = MnistTestSet.PixelsOf(0).Select(p => (int)p) }))));
        Assert.Equal("my-first", answer.GetProperty("model").GetString());

        // Connecting after the end: the epochs so far, then done.
        var events = ServerSentEvents.Parse(await jobs.Client.GetStringAsync("/jobs/my-first/events"));
        Assert.Equal(["state", "epoch", "epoch", "done"], events.Select(e => e.Name));
        Assert.Equal([1, 2], events.Where(e => e.Name == "epoch").Select(e => e.Data.GetProperty("epoch").GetInt32()));
        Assert.Equal("my-first", events[^1].Data.GetProperty("model").GetString());

        var list = await HttpAssert.Json(await jobs.Client.GetAsync("/jobs"));
        Assert.Equal("my-first", list.GetProperty("jobs")[0].GetProperty("id").GetString());
        Assert.True(list.GetProperty("access").GetProperty("allowed").GetBoolean());

        var taken = await HttpAssert.Problem(await jobs.Client.PostAsync("/jobs", HttpAssert.JsonBody("""{ "model": "my-first" }""")), HttpStatusCode.Conflict);
        Assert.Contains("\"replace\": true", taken.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_running_job_cancelled_stops_at_the_next_batch_and_writes_no_model()
    {
        using var jobs = new JobsHarness();
        var id = (await jobs.StartAsync(JobsHarness.LongJob)).GetProperty("id").GetString()!;
        await jobs.WaitForAsync(id, j => j.GetProperty("state").GetString() == "running" && j.GetProperty("batch").ValueKind == JsonValueKind.Object);

        var response = await jobs.Client.DeleteAsync($"/jobs/{id}");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var ended = await jobs.WaitForAsync(id, JobsHarness.HasEnded);

        Assert.Equal("cancelled", ended.GetProperty("state").GetString());
        // Well before its 100 epochs (how far it got depends on the machine's load: a loaded run saw epoch 41).
        Assert.InRange(ended.GetProperty("progress").GetProperty("epoch").GetInt32(), 0, 90);
        Assert.Empty(Directory.EnumerateFiles(jobs.Models, id + "*"));
        Assert.Empty(Directory.EnumerateFiles(jobs.Models, $".{id}*"));
        Assert.DoesNotContain(id, await jobs.ModelNamesAsync());
        var events = ServerSentEvents.Parse(await jobs.Client.GetStringAsync($"/jobs/{id}/events"));
        Assert.Equal("failed", events[^1].Name);
        Assert.Equal("cancelled", events[^1].Data.GetProperty("state").GetString());
    }

    private static string Message(JsonElement errors, string key) => string.Join(" ", errors.GetProperty(key).EnumerateArray().Select(m => m.GetString()));

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); !await condition(); await Task.Delay(50))
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not come true within 30 s");
        }
    }
}
