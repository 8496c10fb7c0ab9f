using System.Net;
using System.Text.Json;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Jobs;

/// <summary>The service over a model directory holding the committed model, with training jobs as the tests set them up.</summary>
public sealed class JobsHarness : IDisposable
{
    /// <summary>A job that finishes in about a second: 2 epochs on 2,000 images of a small network.</summary>
    public const string QuickJob = """{ "hidden": [16], "epochs": 2, "trainLimit": 2000 }""";

    /// <summary>A job that runs for many seconds: it is cancelled long before it ends.</summary>
    public const string LongJob = """{ "hidden": [64], "epochs": 100, "patience": 100 }""";

    private readonly TempDirectory _models = new("jobs");

    public JobsHarness(IReadOnlyDictionary<string, string?>? settings = null)
    {
        File.WriteAllBytes(_models.File("mnist-cnn.onnx"), ModelFiles.Default);
        var all = new Dictionary<string, string?> { ["Training:Data"] = MnistTestSet.Directory };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        Factory = new ApiFactory(_models.Path, all);
        Client = Factory.CreateClient();
    }

    public ApiFactory Factory { get; }
    public HttpClient Client { get; }
    public string Models => _models.Path;

    public async Task<JsonElement> StartAsync(string json)
    {
        var response = await Client.PostAsync("/jobs", HttpAssert.JsonBody(json));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await HttpAssert.Json(response);
        Assert.Equal($"/jobs/{job.GetProperty("id").GetString()}", response.Headers.Location?.ToString());
        return job;
    }

    public async Task<JsonElement> GetAsync(string id) => await HttpAssert.Json(await Client.GetAsync($"/jobs/{id}"));

    /// <summary>
    /// Polls the job until <paramref name="condition"/> holds (120 s at most: the training thread runs at the lowest
    /// priority, so on a busy machine the tests beside it can hold it back for a long while).
    /// </summary>
    public async Task<JsonElement> WaitForAsync(string id, Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        JsonElement job;
        do
        {
            job = await GetAsync(id);
            if (condition(job))
            {
                return job;
            }
            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"Job {id} did not get there; last: {job}");
    }

    public static bool HasEnded(JsonElement job) => job.GetProperty("state").GetString() is "succeeded" or "failed" or "cancelled";

    public async Task<IReadOnlyList<string>> ModelNamesAsync()
    {
        var list = await HttpAssert.Json(await Client.GetAsync("/models"));
        return list.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()!).ToList();
    }

    public void Dispose()
    {
        Client.Dispose();
        Factory.Dispose();
        _models.Dispose();
    }
}
