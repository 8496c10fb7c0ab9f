using System.Data.Common;
using Dapper;

namespace MnistService.Core.Feedback;

/// <summary>
/// Where answers are kept: SQLite (<see cref="SqliteFeedbackStore"/>) or PostgreSQL (<see cref="PostgresFeedbackStore"/>),
/// opened by <see cref="FeedbackDatabase.Open"/>. The SQL is shared; a database names only its types and its
/// locking. The schema is brought up to date before the first use (and again after a failure), so a database
/// that is down at start does not stop the caller, and one that comes back is used. Every database failure
/// surfaces as a <see cref="FeedbackStoreUnavailableException"/>.
/// </summary>
public abstract class FeedbackStore : IAsyncDisposable
{
    private const string Columns =
        "id AS Id, created_at AS CreatedAt, model AS Model, model_sha256 AS ModelSha256, label AS Label, predicted AS Predicted, " +
        "pixels AS Pixels, probabilities AS Probabilities, original AS Original, original_type AS OriginalType";

    private readonly SemaphoreSlim _schemaLock = new(1, 1);
    private volatile bool _schemaReady;

    /// <summary>SQLite or PostgreSQL, for messages.</summary>
    public abstract string Kind { get; }

    /// <summary>The database in words, without credentials (a file path, or host:port/database).</summary>
    public abstract string Describe();

    internal abstract FeedbackDialect Dialect { get; }

    protected abstract DbConnection CreateConnection();

    /// <summary>Takes the database's migration lock within <paramref name="transaction"/>, so that replicas starting together migrate once.</summary>
    protected abstract Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction);

    /// <summary>Runs a write, one at a time where the database wants it so (SQLite has one writer).</summary>
    protected virtual Task<T> WriteAsync<T>(Func<Task<T>> write, CancellationToken cancellationToken) => write();

    /// <summary>Brings the schema to <see cref="FeedbackSchema.Version"/>; safe to run any number of times, also concurrently.</summary>
    /// <returns>The schema version now in the database.</returns>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await _schemaLock.WaitAsync(cancellationToken);
        try
        {
            var version = await RunAsync(async connection =>
            {
                await PrepareDatabaseAsync(connection);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await LockForMigrationAsync(connection, transaction);
                var applied = await FeedbackSchema.MigrateAsync(connection, transaction, Dialect);
                await transaction.CommitAsync(cancellationToken);
                return applied;
            }, cancellationToken, migrated: false);
            _schemaReady = true;
            return version;
        }
        finally
        {
            _schemaLock.Release();
        }
    }

    /// <summary>Stores an answer; a second answer for the same id replaces the first (the person changed their mind).</summary>
    public Task AddAsync(FeedbackRecord record, CancellationToken cancellationToken = default) =>
        WriteAsync(() => RunAsync(connection => connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO feedback (id, created_at, model, model_sha256, label, predicted, fold, pixels, probabilities, original, original_type)
            VALUES (@Id, @CreatedAt, @Model, @ModelSha256, @Label, @Predicted, @Fold, @Pixels, @Probabilities, @Original, @OriginalType)
            ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, label = excluded.label, original = excluded.original,
                original_type = excluded.original_type
            """, new
        {
            record.Id,
            CreatedAt = record.CreatedAt.ToUnixTimeMilliseconds(),
            record.Model,
            record.ModelSha256,
            record.Label,
            record.Predicted,
            record.Fold,
            record.Pixels,
            Probabilities = FeedbackRecord.Encode(record.Probabilities),
            record.Original,
            record.OriginalType,
        }, cancellationToken: cancellationToken)), cancellationToken), cancellationToken);

    public Task<FeedbackRecord?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        RunAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
                $"SELECT {Columns} FROM feedback WHERE id = @id", new { id }, cancellationToken: cancellationToken));
            return row?.ToRecord();
        }, cancellationToken);

    /// <returns>False when no answer has that id.</returns>
    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        WriteAsync(() => RunAsync(async connection => await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM feedback WHERE id = @id", new { id }, cancellationToken: cancellationToken)) > 0, cancellationToken), cancellationToken);

    /// <summary>Deletes the answers stored before <paramref name="cutoff"/> (Feedback:RetentionDays).</summary>
    /// <returns>How many were deleted.</returns>
    public Task<int> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        WriteAsync(() => RunAsync(connection => connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM feedback WHERE created_at < @cutoff", new { cutoff = cutoff.ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken)), cancellationToken), cancellationToken);

    public Task<long> CountAsync(CancellationToken cancellationToken = default) =>
        RunAsync(connection => connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM feedback", cancellationToken: cancellationToken)), cancellationToken);

    /// <summary>How often <paramref name="model"/> read each label as each reading.</summary>
    public Task<IReadOnlyList<LabelCount>> CountLabelsAsync(string model, CancellationToken cancellationToken = default) =>
        RunAsync(async connection => (IReadOnlyList<LabelCount>)(await connection.QueryAsync<CountRow>(new CommandDefinition("""
            SELECT label AS Label, predicted AS Predicted, COUNT(*) AS Count FROM feedback WHERE model = @model
            GROUP BY label, predicted ORDER BY label, predicted
            """, new { model }, cancellationToken: cancellationToken))).Select(r => new LabelCount(r.Label, r.Predicted, r.Count)).ToList(), cancellationToken);

    /// <summary>Confirmations and answers of every model that has any.</summary>
    public Task<IReadOnlyList<ModelFeedbackTotals>> TotalsAsync(CancellationToken cancellationToken = default) =>
        RunAsync(async connection => (IReadOnlyList<ModelFeedbackTotals>)(await connection.QueryAsync<TotalsRow>(new CommandDefinition("""
            SELECT model AS Model, SUM(CASE WHEN label = predicted THEN 1 ELSE 0 END) AS Confirmed, COUNT(*) AS Total
            FROM feedback GROUP BY model ORDER BY model
            """, cancellationToken: cancellationToken))).Select(r => new ModelFeedbackTotals(r.Model, r.Confirmed, r.Total)).ToList(), cancellationToken);

    /// <summary>
    /// The answers to train on (<paramref name="heldOut"/> false: four fifths) or to judge a model with (true: the
    /// held-out fifth, <see cref="FeedbackRecord.HeldOutFold"/>), oldest first.
    /// </summary>
    public Task<IReadOnlyList<FeedbackRecord>> ReadAsync(bool heldOut, CancellationToken cancellationToken = default) =>
        RunAsync(async connection => (IReadOnlyList<FeedbackRecord>)(await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM feedback WHERE {(heldOut ? "fold = @fold" : "fold <> @fold")} ORDER BY created_at, id",
            new { fold = FeedbackRecord.HeldOutFold }, cancellationToken: cancellationToken))).Select(r => r.ToRecord()).ToList(), cancellationToken);

    /// <summary>The schema version in the database (0 before the first migration).</summary>
    public Task<int> SchemaVersionAsync(CancellationToken cancellationToken = default) =>
        RunAsync(connection => FeedbackSchema.CurrentVersionAsync(connection, Dialect), cancellationToken, migrated: false);

    private async Task<T> RunAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken, bool migrated = true)
    {
        if (migrated && !_schemaReady)
        {
            await MigrateAsync(cancellationToken);
        }
        try
        {
            await using var connection = CreateConnection();
            await connection.OpenAsync(cancellationToken);
            return await work(connection);
        }
        catch (Exception e) when (e is DbException or IOException or UnauthorizedAccessException or TimeoutException
                                      || (e is InvalidOperationException && !cancellationToken.IsCancellationRequested))
        {
            throw new FeedbackStoreUnavailableException($"The {Kind} feedback database ({Describe()}) cannot be used: {e.Message}", e);
        }
    }

    /// <summary>Settings of the database itself, made before the migrations' transaction (SQLite's journal mode).</summary>
    protected virtual Task PrepareDatabaseAsync(DbConnection connection) => Task.CompletedTask;

    // The semaphores are not disposed: they hold no handle, and a service that fails to start disposes the store
    // while its background upkeep may still be inside an operation, which would then fail releasing them.
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    // Rows with settable properties, which Dapper converts into: SQLite types an aggregate of no rows as a blob, PostgreSQL as numeric.
    private sealed class CountRow
    {
        public string Label { get; set; } = "";
        public string Predicted { get; set; } = "";
        public long Count { get; set; }
    }

    private sealed class TotalsRow
    {
        public string Model { get; set; } = "";
        public long Confirmed { get; set; }
        public long Total { get; set; }
    }

    /// <summary>A stored row as Dapper reads it; probabilities and times in their stored forms.</summary>
    private sealed class Row
    {
        public string Id { get; set; } = "";
        public long CreatedAt { get; set; }
        public string Model { get; set; } = "";
        public string ModelSha256 { get; set; } = "";
        public string Label { get; set; } = "";
        public string Predicted { get; set; } = "";
        public byte[] Pixels { get; set; } = [];
        public byte[] Probabilities { get; set; } = [];
        public byte[]? Original { get; set; }
        public string? OriginalType { get; set; }

        public FeedbackRecord ToRecord() => new(Id, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), Model, ModelSha256, Label, Predicted,
            Pixels, FeedbackRecord.Decode(Probabilities), Original, OriginalType);
    }
}

/// <summary>The feedback database cannot be reached or used (down, unreachable, read-only, full).</summary>
public sealed class FeedbackStoreUnavailableException(string message, Exception inner) : Exception(message, inner);
