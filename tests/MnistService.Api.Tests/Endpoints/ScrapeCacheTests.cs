using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using MnistService.Api.Metrics;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Endpoints;

/// <summary>/metrics costs one rendering a second however often it is asked for.</summary>
public sealed class ScrapeCacheTests
{
    [Fact]
    public async Task Two_scrapes_within_the_second_get_the_same_text_from_one_rendering()
    {
        var clock = new ManualClock();
        using var factory = new ApiFactory(Repo.ModelsDirectory).WithWebHostBuilder(builder =>
            builder.ConfigureTestServices(services => services.AddSingleton(new ScrapeCache(clock))));
        using var client = factory.CreateClient();
        var cache = factory.Services.GetRequiredService<ScrapeCache>();

        var first = await Scrape(client);
        clock.Advance(TimeSpan.FromMilliseconds(900));
        var second = await Scrape(client);

        // The first scrape is itself counted (http_requests_received_total): rendered again, the text would differ.
        Assert.Equal(first, second);
        Assert.Equal(1, cache.Renderings);

        clock.Advance(TimeSpan.FromMilliseconds(200));
        var third = await Scrape(client);
        Assert.NotEqual(first, third);
        Assert.Equal(2, cache.Renderings);
    }

    [Fact]
    public async Task Scrapes_that_come_while_one_is_rendered_wait_for_it_and_share_it()
    {
        var release = new TaskCompletionSource();
        var renderings = 0;
        var cache = new ScrapeCache(async () =>
        {
            Interlocked.Increment(ref renderings);
            await release.Task;
            return Encoding.UTF8.GetBytes("# TYPE up gauge\nup 1\n");
        }, new ManualClock());

        var scrapes = Enumerable.Range(0, 16).Select(_ => cache.GetAsync(CancellationToken.None)).ToList();
        await Task.Delay(100);
        Assert.All(scrapes, scrape => Assert.False(scrape.IsCompleted));
        release.SetResult();
        var texts = await Task.WhenAll(scrapes);

        Assert.Equal(1, renderings);
        Assert.Equal(1, cache.Renderings);
        Assert.All(texts, text => Assert.Same(texts[0], text));
    }

    [Fact]
    public async Task A_scraper_that_leaves_does_not_cancel_the_rendering_for_the_others()
    {
        var release = new TaskCompletionSource();
        var cache = new ScrapeCache(async () =>
        {
            await release.Task;
            return [1, 2, 3];
        }, new ManualClock());
        using var leaving = new CancellationTokenSource();

        var left = cache.GetAsync(leaving.Token);
        var staying = cache.GetAsync(CancellationToken.None);
        leaving.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => left);
        release.SetResult();

        Assert.Equal([1, 2, 3], await staying);
        Assert.Equal(1, cache.Renderings);
    }

    [Fact]
    public async Task A_rendering_that_failed_is_not_kept()
    {
        var attempts = 0;
        var cache = new ScrapeCache(() => ++attempts == 1 ? throw new InvalidOperationException("collector failed") : Task.FromResult<byte[]>([7]), new ManualClock());

        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetAsync(CancellationToken.None));
        Assert.Equal([7], await cache.GetAsync(CancellationToken.None));
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task With_Metrics_Port_set_the_main_port_answers_404_for_metrics_and_keeps_the_API_under_metrics()
    {
        // The in-memory server has no ports: every request is on the main one. The management port itself: MetricsPortTests.
        using var factory = new ApiFactory(Repo.ModelsDirectory, new Dictionary<string, string?> { ["Metrics:Port"] = "9464" });
        using var client = factory.CreateClient();

        var problem = await HttpAssert.Problem(await client.GetAsync("/metrics"), HttpStatusCode.NotFound);
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        await HttpAssert.Json(await client.GetAsync("/metrics/confusion"));
        await HttpAssert.Json(await client.GetAsync("/healthz"));
    }

    private static async Task<string> Scrape(HttpClient client)
    {
        using var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>A clock that moves only when told to.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Interlocked.Read(ref _ticks);
        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
