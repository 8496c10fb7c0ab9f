using System.Net;
using Microsoft.AspNetCore.Hosting;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Reliability;

/// <summary>What one request, and one client, may cost: pixels, time and request rate.</summary>
[Collection(AllocationMeasuredCollection.Name)]
public sealed class LimitsTests
{
    [Theory]
    [InlineData("png")]
    [InlineData("gif")]
    [InlineData("jpeg")]
    [InlineData("bmp")]
    [InlineData("webp")]
    public async Task A_tiny_file_claiming_a_huge_image_is_413_without_being_decoded(string format)
    {
        using var factory = new ApiFactory(Repo.ModelsDirectory);
        using var client = factory.CreateClient();
        await HttpAssert.Json(await client.GetAsync("/models")); // warm up, so the allocation count below is the request's
        var body = HostileBodies.Claiming(format, 20_000, 20_000);
        Assert.True(body.Bytes.Length < 200);

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var problem = await HttpAssert.Problem(await client.PostAsync("/predict", body.ToContent()), HttpStatusCode.RequestEntityTooLarge);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Matches(@"(20000|16384)x(20000|16384)", problem.GetProperty("detail").GetString());
        // Decoded, 400 million pixels would need gigabytes; refused from the header, the request costs little.
        Assert.True(allocated < 200_000_000, $"{allocated:N0} bytes allocated: was the image decoded?");
    }

    [Fact]
    public async Task A_client_over_its_rate_gets_429_with_Retry_After_and_others_are_not_affected()
    {
        using var factory = new ApiFactory(Repo.ModelsDirectory, new Dictionary<string, string?>
        {
            ["RateLimiting:Enabled"] = "true",
            ["RateLimiting:BurstLimit"] = "3",
            ["RateLimiting:RequestsPerSecond"] = "1",
            // One refill a minute: nothing comes back into the bucket while the test runs.
            ["RateLimiting:ReplenishmentPeriod"] = "00:01:00",
        });
        using var limited = factory.WithConnectionAddresses();
        using var client = limited.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            await HttpAssert.Json(await client.Get("/models", "10.0.0.1"));
        }
        var refused = await client.Get("/models", "10.0.0.1");
        var problem = await HttpAssert.Problem(refused, HttpStatusCode.TooManyRequests);
        Assert.Contains("retry after", problem.GetProperty("detail").GetString());
        Assert.Equal("https://tools.ietf.org/html/rfc6585#section-4", problem.GetProperty("type").GetString());
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        var post = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = HttpAssert.JsonBody("{}") };
        post.Headers.Add(TestConnections.ConnectionHeader, "10.0.0.1");
        await HttpAssert.Problem(await client.SendAsync(post), HttpStatusCode.TooManyRequests); // every endpoint counts
        // Another client has its own bucket; probes are never limited. /metrics on the main port is, like
        // everything a client can reach (with Metrics:Port set it moves to a port of its own: MetricsPortTests).
        await HttpAssert.Json(await client.Get("/models", "10.0.0.2"));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.Get("/healthz", "10.0.0.1")).StatusCode);
        }
        await HttpAssert.Problem(await client.Get("/metrics", "10.0.0.1"), HttpStatusCode.TooManyRequests);
        Assert.Equal(HttpStatusCode.OK, (await client.Get("/metrics", "10.0.0.2")).StatusCode);
    }

    [Fact]
    public async Task Rate_limiting_is_on_in_production_and_off_in_development()
    {
        using var development = new ApiFactory(Repo.ModelsDirectory);
        using var production = new ApiFactory(Repo.ModelsDirectory).WithWebHostBuilder(b => b.UseEnvironment("Production"));

        Assert.Equal(0, await CountRefusals(development.CreateClient(), 150));
        Assert.InRange(await CountRefusals(production.CreateClient(), 150), 1, 149); // default burst: 100
    }

    private static async Task<int> CountRefusals(HttpClient client, int requests)
    {
        var refused = 0;
        for (var i = 0; i < requests; i++)
        {
            using var response = await client.GetAsync("/models");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused++;
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }
        client.Dispose();
        return refused;
    }
}
