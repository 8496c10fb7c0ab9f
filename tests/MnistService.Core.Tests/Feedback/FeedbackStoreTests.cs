using MnistService.Core.Feedback;
using MnistService.Testing;
using Npgsql;

namespace MnistService.Core.Tests.Feedback;

/// <summary>The store's promises, held by both databases: SQLite in-process, PostgreSQL as a real server.</summary>
public abstract class FeedbackStoreTests
{
    /// <summary>A new store on the same database each time: what a restart (or another replica) opens.</summary>
    protected abstract FeedbackStore OpenStore();

    /// <summary>A store whose database cannot be reached.</summary>
    protected abstract FeedbackStore OpenUnreachableStore();

    internal static FeedbackRecord Answer(string id, string label, string predicted, DateTimeOffset? at = null, string model = "mnist-mlp", byte[]? original = null)
    {
        var pixels = new byte[FeedbackRecord.PieceSize * predicted.Length];
        Random.Shared.NextBytes(pixels);
        var probabilities = Enumerable.Range(0, FeedbackRecord.Classes * predicted.Length).Select(i => i / 100f).ToArray();
        return new FeedbackRecord(id, at ?? DateTimeOffset.UtcNow, model, new string('a', 64), label, predicted, pixels, probabilities,
            original, original is null ? null : "image/png");
    }

    [Fact]
    public async Task An_answer_reads_back_as_it_was_stored()
    {
        await using var store = OpenStore();
        var answer = Answer("round-trip", "7", "1", DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123), original: [1, 2, 3]);
        await store.AddAsync(answer);

        var stored = await store.GetAsync("round-trip");

        Assert.NotNull(stored);
        Assert.Equal(answer.Pixels, stored.Pixels);
        Assert.Equal(answer.Probabilities, stored.Probabilities);
        Assert.Equal(answer.CreatedAt, stored.CreatedAt);
        Assert.Equal(("7", "1", "mnist-mlp", false), (stored.Label, stored.Predicted, stored.Model, stored.Correct));
        Assert.Equal([1, 2, 3], stored.Original);
        Assert.Equal("image/png", stored.OriginalType);
        Assert.Null(await store.GetAsync("never-stored"));
    }

    [Fact]
    public async Task A_hundred_parallel_answers_are_all_stored_and_a_restart_keeps_them()
    {
        var ids = Enumerable.Range(0, 100).Select(i => $"parallel-{i}").ToList();
        await using (var store = OpenStore())
        {
            await Task.WhenAll(ids.Select(id => Task.Run(() => store.AddAsync(Answer(id, "3", id.EndsWith('0') ? "8" : "3")))));
        }

        await using var restarted = OpenStore();
        foreach (var id in ids)
        {
            Assert.NotNull(await restarted.GetAsync(id));
        }
        var counts = await restarted.CountLabelsAsync("mnist-mlp");
        Assert.Equal(90, counts.Where(c => c is { Label: "3", Predicted: "3" }).Sum(c => c.Count));
        Assert.Equal(10, counts.Where(c => c is { Label: "3", Predicted: "8" }).Sum(c => c.Count));
    }

    [Fact]
    public async Task Migrations_run_twice_and_concurrently_apply_once()
    {
        await using var first = OpenStore();
        await using var second = OpenStore();
        var versions = await Task.WhenAll(first.MigrateAsync(), second.MigrateAsync(), first.MigrateAsync());
        Assert.All(versions, v => Assert.Equal(FeedbackSchema.Version, v));
        Assert.Equal(FeedbackSchema.Version, await second.MigrateAsync());
        Assert.Equal(FeedbackSchema.Version, await OpenStore().SchemaVersionAsync());

        await first.AddAsync(Answer("after-migrations", "5", "5"));
        Assert.NotNull(await second.GetAsync("after-migrations"));
    }

    [Fact]
    public async Task Retention_deletes_the_answers_older_than_the_cutoff_only()
    {
        await using var store = OpenStore();
        var now = DateTimeOffset.UtcNow;
        await store.AddAsync(Answer("old-1", "2", "2", now.AddDays(-40)));
        await store.AddAsync(Answer("old-2", "2", "7", now.AddDays(-31)));
        await store.AddAsync(Answer("recent", "2", "2", now.AddDays(-29)));

        Assert.Equal(2, await store.DeleteOlderThanAsync(now.AddDays(-30)));

        Assert.Null(await store.GetAsync("old-1"));
        Assert.Null(await store.GetAsync("old-2"));
        Assert.NotNull(await store.GetAsync("recent"));
    }

    [Fact]
    public async Task A_second_answer_for_an_id_replaces_the_first_and_delete_removes_it()
    {
        await using var store = OpenStore();
        await store.AddAsync(Answer("changed-mind", "4", "9"));
        await store.AddAsync(Answer("changed-mind", "9", "9"));
        Assert.Equal("9", (await store.GetAsync("changed-mind"))!.Label);

        Assert.True(await store.DeleteAsync("changed-mind"));
        Assert.False(await store.DeleteAsync("changed-mind"));
        Assert.Null(await store.GetAsync("changed-mind"));
    }

    [Fact]
    public async Task The_held_out_fifth_is_fixed_by_the_id_and_never_in_the_training_part()
    {
        await using var store = OpenStore();
        var ids = Enumerable.Range(0, 200).Select(i => $"fold-{i}").ToList();
        foreach (var id in ids)
        {
            await store.AddAsync(Answer(id, "6", "6", model: "folds"));
        }

        var heldOut = (await store.ReadAsync(heldOut: true)).Where(r => r.Model == "folds").Select(r => r.Id).ToHashSet();
        var training = (await store.ReadAsync(heldOut: false)).Where(r => r.Model == "folds").Select(r => r.Id).ToHashSet();

        Assert.Empty(heldOut.Intersect(training));
        Assert.Equal(ids.Count, heldOut.Count + training.Count);
        Assert.InRange(heldOut.Count, 20, 60); // a fifth of 200, give or take the hash
        Assert.All(heldOut, id => Assert.Equal(FeedbackRecord.HeldOutFold, FeedbackRecord.FoldOf(id)));
    }

    [Fact]
    public async Task Totals_count_confirmations_per_model()
    {
        await using var store = OpenStore();
        await store.AddAsync(Answer("t1", "1", "1", model: "totals-a"));
        await store.AddAsync(Answer("t2", "1", "7", model: "totals-a"));
        await store.AddAsync(Answer("t3", "12", "12", model: "totals-b"));

        var totals = (await store.TotalsAsync()).Where(t => t.Model.StartsWith("totals-", StringComparison.Ordinal)).ToList();

        Assert.Equal([new ModelFeedbackTotals("totals-a", 1, 2), new ModelFeedbackTotals("totals-b", 1, 1)], totals);
    }

    [Fact]
    public async Task A_database_that_cannot_be_reached_is_reported_as_unavailable()
    {
        await using var store = OpenUnreachableStore();
        var error = await Assert.ThrowsAsync<FeedbackStoreUnavailableException>(() => store.AddAsync(Answer("lost", "1", "1")));
        Assert.Contains("cannot be used", error.Message);
        await Assert.ThrowsAsync<FeedbackStoreUnavailableException>(() => store.CountLabelsAsync("mnist-mlp"));
    }
}

public sealed class SqliteFeedbackStoreTests : FeedbackStoreTests, IDisposable
{
    private readonly TempDirectory _directory = new("feedback");

    protected override FeedbackStore OpenStore() => FeedbackDatabase.Open($"Data Source={_directory.File("data/feedback.db")}");

    // A file where the database's directory should be: nothing can be created under it.
    protected override FeedbackStore OpenUnreachableStore()
    {
        File.WriteAllText(_directory.File("not-a-directory"), "");
        return FeedbackDatabase.Open($"Data Source={_directory.File("not-a-directory/feedback.db")}");
    }

    [Fact]
    public async Task The_file_is_in_wal_mode()
    {
        await using var store = OpenStore();
        await store.MigrateAsync();
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_directory.File("data/feedback.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public void The_default_database_is_a_file_under_data_beside_the_model_directory()
    {
        var connectionString = FeedbackDatabase.DefaultConnectionString("/srv/mnist/models/");
        Assert.Equal("Data Source=/srv/mnist/data/feedback.db", connectionString);
        Assert.False(FeedbackDatabase.IsPostgres(connectionString));
        Assert.True(FeedbackDatabase.IsPostgres("Host=db;Username=mnist;Database=feedback"));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }
}

public sealed class PostgresFeedbackStoreTests(PostgresDatabase database) : FeedbackStoreTests, IClassFixture<PostgresDatabase>
{
    protected override FeedbackStore OpenStore() => FeedbackDatabase.Open(database.ConnectionString);

    protected override FeedbackStore OpenUnreachableStore() =>
        FeedbackDatabase.Open($"Host=127.0.0.1;Port={ChildProcess.FreeLoopbackPort()};Username=postgres;Database=none;Timeout=3");

    [Fact]
    public async Task The_tables_are_in_the_database()
    {
        await using var store = OpenStore();
        await store.MigrateAsync();
        await using var connection = database.OpenConnection();
        await using var command = new NpgsqlCommand("SELECT COUNT(*) FROM schema_version", connection);
        Assert.Equal((long)FeedbackSchema.Version, (long)(await command.ExecuteScalarAsync())!);
    }
}
