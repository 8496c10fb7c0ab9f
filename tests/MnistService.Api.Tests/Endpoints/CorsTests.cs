using System.Net;
using MnistService.Api.Startup;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Endpoints;

/// <summary>Cross-origin calls from other sites' pages: none allowed unless <c>Cors:AllowedOrigins</c> lists them.</summary>
public sealed class CorsTests
{
    private const string Site = "https://digits.example";

    [Fact]
    public async Task A_listed_origin_gets_its_preflight_answered_and_its_answers_readable_errors_included()
    {
        using var factory = new ApiFactory(Repo.ModelsDirectory, new Dictionary<string, string?>
        {
            ["Cors:AllowedOrigins:0"] = Site,
            ["Cors:AllowedOrigins:1"] = "http://localhost:3000",
        });
        using var client = factory.CreateClient();

        using var preflight = await client.SendAsync(Preflight("/predict", Site));
        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal(Site, preflight.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", string.Join(",", preflight.Headers.GetValues("Access-Control-Allow-Methods")));
        Assert.Contains("content-type", string.Join(",", preflight.Headers.GetValues("Access-Control-Allow-Headers")), StringComparison.OrdinalIgnoreCase);

        var request = new HttpRequestMessage(HttpMethod.Post, "/predict?model=no-such-model") { Content = HttpAssert.JsonBody("{}") };
        request.Headers.Add("Origin", Site);
        using var error = await client.SendAsync(request);
        await HttpAssert.Problem(error, HttpStatusCode.NotFound);
        Assert.Equal(Site, error.Headers.GetValues("Access-Control-Allow-Origin").Single());

        // An origin not on the list gets no permission.
        using var other = await client.SendAsync(Preflight("/predict", "https://elsewhere.example"));
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_star_allows_every_origin()
    {
        using var factory = new ApiFactory(Repo.ModelsDirectory, new Dictionary<string, string?> { ["Cors:AllowedOrigins"] = "*" });
        using var client = factory.CreateClient();

        using var preflight = await client.SendAsync(Preflight("/models", "https://anyone.example", "GET"));

        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal("*", preflight.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task By_default_no_origin_is_allowed()
    {
        using var factory = new ApiFactory(Repo.ModelsDirectory);
        using var client = factory.CreateClient();

        using var preflight = await client.SendAsync(Preflight("/predict", Site));
        var request = new HttpRequestMessage(HttpMethod.Get, "/models");
        request.Headers.Add("Origin", Site);
        using var answer = await client.SendAsync(request);

        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.False(answer.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public void An_entry_that_is_not_an_origin_stops_the_start_naming_it()
    {
        var settings = new Dictionary<string, string?> { ["Cors:AllowedOrigins:0"] = "https://digits.example/page", ["RateLimiting:BurstLimit"] = "0" };
        using var factory = new ApiFactory(Repo.ModelsDirectory, settings);

        var failure = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        var (reason, expected) = StartupFailure.Describe(failure, null);

        Assert.True(expected, reason);
        Assert.Contains("Cors:AllowedOrigins:0 = 'https://digits.example/page' is not an origin", reason);
        Assert.Contains("RateLimiting:BurstLimit must be between 1 and 1000000", reason);
    }

    private static HttpRequestMessage Preflight(string path, string origin, string method = "POST")
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", "content-type");
        return request;
    }
}
