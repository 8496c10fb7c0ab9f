using System.Net;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Jobs;

/// <summary>Starting and cancelling jobs and changing models: free from loopback, else only with X-Api-Key equal to Training:ApiKey.</summary>
public sealed class TrainingAccessTests
{
    private const string Remote = "203.0.113.7";
    private const string Key = "a-test-key-of-24-chars!!";

    [Fact]
    public async Task Without_a_configured_key_other_machines_get_403_saying_how_to_enable_it()
    {
        using var jobs = new JobsHarness(new Dictionary<string, string?> { ["Training:Worker"] = "External" });
        using var factory = jobs.Factory.WithConnectionAddresses();
        using var client = factory.CreateClient();

        foreach (var request in Changes())
        {
            request.Headers.Add(TestConnections.ConnectionHeader, Remote);
            var problem = await HttpAssert.Problem(await client.SendAsync(request), HttpStatusCode.Forbidden);
            Assert.Contains("set Training:ApiKey (environment variable Training__ApiKey)", problem.GetProperty("detail").GetString());
        }
        Assert.False(Directory.Exists(Path.Combine(jobs.Models, "jobs")));
        Assert.True(File.Exists(Path.Combine(jobs.Models, "mnist-cnn.onnx")));

        // Reading is open to all, and says why this client may not start jobs.
        var list = await HttpAssert.Json(await client.Get("/jobs", Remote));
        Assert.False(list.GetProperty("access").GetProperty("allowed").GetBoolean());
        Assert.Contains("Training:ApiKey", list.GetProperty("access").GetProperty("reason").GetString());

        // From loopback no key is needed.
        var local = new HttpRequestMessage(HttpMethod.Post, "/jobs") { Content = HttpAssert.JsonBody(JobsHarness.QuickJob) };
        local.Headers.Add(TestConnections.ConnectionHeader, "127.0.0.1");
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(local)).StatusCode);
    }

    [Fact]
    public async Task With_a_configured_key_another_machine_needs_the_matching_X_Api_Key()
    {
        using var jobs = new JobsHarness(new Dictionary<string, string?> { ["Training:Worker"] = "External", ["Training:ApiKey"] = Key });
        using var factory = jobs.Factory.WithConnectionAddresses();
        using var client = factory.CreateClient();

        var missing = await HttpAssert.Problem(await client.SendAsync(Post(key: null)), HttpStatusCode.Forbidden);
        Assert.Contains("need the X-Api-Key header", missing.GetProperty("detail").GetString());
        var wrong = await HttpAssert.Problem(await client.SendAsync(Post(key: Key + "x")), HttpStatusCode.Forbidden);
        Assert.Contains("does not match", wrong.GetProperty("detail").GetString());

        var accepted = await client.SendAsync(Post(key: Key));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var id = (await HttpAssert.Json(accepted)).GetProperty("id").GetString();
        var cancel = new HttpRequestMessage(HttpMethod.Delete, $"/jobs/{id}");
        cancel.Headers.Add(TestConnections.ConnectionHeader, Remote);
        cancel.Headers.Add("X-Api-Key", Key);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(cancel)).StatusCode);

        static HttpRequestMessage Post(string? key)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/jobs") { Content = HttpAssert.JsonBody(JobsHarness.QuickJob) };
            request.Headers.Add(TestConnections.ConnectionHeader, Remote);
            if (key is not null)
            {
                request.Headers.Add("X-Api-Key", key);
            }
            return request;
        }
    }

    [Fact]
    public void A_key_shorter_than_16_characters_stops_the_start()
    {
        using var models = new TempDirectory("jobs");
        using var factory = new ApiFactory(models.Path, new Dictionary<string, string?> { ["Training:ApiKey"] = "short" });
        var failure = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains("Training:ApiKey", failure.Message);
        Assert.Contains("at least 16 characters", failure.Message);
    }

    private static IEnumerable<HttpRequestMessage> Changes() =>
    [
        new(HttpMethod.Post, "/jobs") { Content = HttpAssert.JsonBody(JobsHarness.QuickJob) },
        new(HttpMethod.Delete, "/jobs/some-job"),
        new(HttpMethod.Delete, "/models/mnist-cnn"),
        new(HttpMethod.Post, "/models/mnist-cnn/default"),
    ];
}
