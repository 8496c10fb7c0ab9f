using System.Net;
using Microsoft.Extensions.DependencyInjection;
using MnistService.Api.Feedback;
using MnistService.Api.Tests.Infrastructure;
using MnistService.Core.Feedback;

namespace MnistService.Api.Tests.Feedback;

/// <summary>The service and its database: which one, how it behaves when down, the settings that change what is kept.</summary>
public sealed class FeedbackStorageTests(PostgresDatabase postgres) : IClassFixture<PostgresDatabase>
{
    private static ApiFactory Service(params (string Key, string Value)[] settings) =>
        new(Repo.ModelsDirectory, settings.Append(("RateLimiting:Enabled", "false")).ToDictionary(s => s.Item1, s => (string?)s.Item2));

    [Fact]
    public async Task With_a_PostgreSQL_connection_string_answers_go_to_that_server_all_hundred_in_parallel()
    {
        using var factory = Service(("Feedback:ConnectionString", postgres.ConnectionString));
        using var client = factory.CreateClient();
        var ids = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            ids.Add((await FeedbackEndpointTests.PredictAsync(client)).GetProperty("id").GetString()!);
        }

        var answers = await Task.WhenAll(ids.Select(id => FeedbackEndpointTests.AnswerAsync(client, id, 7)));

        Assert.All(answers, a => Assert.True(a.StatusCode == HttpStatusCode.Created, a.Content.ReadAsStringAsync().GetAwaiter().GetResult()));
        await using var store = FeedbackDatabase.Open(postgres.ConnectionString);
        Assert.All(ids, id => Assert.NotNull(store.GetAsync(id).GetAwaiter().GetResult()));
    }

    [Fact]
    public async Task A_database_that_is_down_makes_feedback_answer_503_and_predict_go_on()
    {
        var deadServer = $"Host=127.0.0.1;Port={ChildProcess.FreeLoopbackPort()};Username=postgres;Database=feedback;Timeout=2";
        using var factory = Service(("Feedback:ConnectionString", deadServer));
        using var client = factory.CreateClient();

        var prediction = await FeedbackEndpointTests.PredictAsync(client);
        var problem = await HttpAssert.Problem(await FeedbackEndpointTests.AnswerAsync(client, prediction.GetProperty("id").GetString()!, 7),
            HttpStatusCode.ServiceUnavailable);
        Assert.Contains("PostgreSQL feedback database (127.0.0.1:", problem.GetProperty("detail").GetString());
        Assert.Contains("predictions are not affected", problem.GetProperty("detail").GetString());
        await HttpAssert.Problem(await client.GetAsync("/metrics/feedback"), HttpStatusCode.ServiceUnavailable);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        await FeedbackEndpointTests.PredictAsync(client);
    }

    [Fact]
    public async Task A_restart_keeps_the_answers_and_retention_deletes_the_old_ones()
    {
        using var data = new TempDirectory("feedback-restart");
        var database = ("Feedback:ConnectionString", $"Data Source={data.File("feedback.db")}");
        string id;
        using (var factory = Service(database))
        using (var client = factory.CreateClient())
        {
            id = (await FeedbackEndpointTests.PredictAsync(client)).GetProperty("id").GetString()!;
            Assert.Equal(HttpStatusCode.Created, (await FeedbackEndpointTests.AnswerAsync(client, id, 7)).StatusCode);
        }
        await using (var store = FeedbackDatabase.Open($"Data Source={data.File("feedback.db")}"))
        {
            await store.AddAsync(new FeedbackRecord("from-last-year", DateTimeOffset.UtcNow.AddDays(-400), "mnist-mlp", new string('0', 64),
                "4", "9", new byte[784], new float[10]));
        }

        using var restarted = Service(database, ("Feedback:RetentionDays", "365"));
        using var again = restarted.CreateClient();
        Assert.Equal("7", (await HttpAssert.Json(await again.GetAsync($"/feedback/{id}"))).GetProperty("label").GetString());
        // The upkeep deletes what is past the retention at start.
        for (var wait = 0; wait < 100 && (await again.GetAsync("/feedback/from-last-year")).StatusCode == HttpStatusCode.OK; wait++)
        {
            await Task.Delay(100);
        }
        await HttpAssert.Problem(await again.GetAsync("/feedback/from-last-year"), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await again.GetAsync($"/feedback/{id}")).StatusCode);
    }

    [Fact]
    public async Task An_id_is_forgotten_after_its_lifetime()
    {
        using var factory = Service(("Feedback:PredictionLifetime", "00:00:01"));
        using var client = factory.CreateClient();
        var id = (await FeedbackEndpointTests.PredictAsync(client)).GetProperty("id").GetString()!;
        await Task.Delay(1200);
        var problem = await HttpAssert.Problem(await FeedbackEndpointTests.AnswerAsync(client, id, 7), HttpStatusCode.NotFound);
        Assert.Contains("ids can be answered for 1 s (Feedback:PredictionLifetime)", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_upload_is_kept_only_when_configured(bool keep)
    {
        using var factory = Service(("Feedback:KeepOriginals", keep ? "true" : "false"));
        using var client = factory.CreateClient();
        var png = FeedbackEndpointTests.Png(MnistTestSet.Images[0].Select(b => (int)b).ToArray());
        var prediction = await HttpAssert.Json(await client.PostAsync("/predict", HttpAssert.Bytes(png, "image/png")));
        var id = prediction.GetProperty("id").GetString()!;

        var record = await HttpAssert.Json(await FeedbackEndpointTests.AnswerAsync(client, id, 7));

        Assert.Equal(keep, record.GetProperty("originalKept").GetBoolean());
        var stored = await factory.Services.GetRequiredService<FeedbackStore>().GetAsync(id);
        Assert.Equal(keep ? png : null, stored!.Original);
        Assert.Equal(keep ? "image/png" : null, stored.OriginalType);
    }
}
