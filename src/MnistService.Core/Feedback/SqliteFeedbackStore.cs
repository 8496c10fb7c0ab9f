using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;

namespace MnistService.Core.Feedback;

/// <summary>
/// The embedded store: one SQLite file in WAL mode, so that readers (field accuracy, export) never wait for
/// the writer. SQLite has one writer at a time; writes here queue on a lock in the process instead of
/// spinning on SQLITE_BUSY, which under a burst of posts kept the CPU busy retrying.
/// </summary>
internal sealed class SqliteFeedbackStore : FeedbackStore
{
    private static readonly FeedbackDialect SqliteDialect =
        new("BLOB", "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = @name");

    private readonly string _connectionString;
    private readonly string _path;
    private readonly SemaphoreSlim _writer = new(1, 1);

    public SqliteFeedbackStore(SqliteConnectionStringBuilder builder)
    {
        _path = builder.DataSource;
        // Each write is its own transaction; the pool keeps connections (and their pragmas) open between them.
        builder.Pooling = true;
        _connectionString = builder.ConnectionString;
    }

    public override string Kind => "SQLite";
    public override string Describe() => _path;
    internal override FeedbackDialect Dialect => SqliteDialect;

    protected override DbConnection CreateConnection()
    {
        if (_path is not (":memory:" or "") && Path.GetDirectoryName(Path.GetFullPath(_path)) is { } directory)
        {
            Directory.CreateDirectory(directory);
        }
        return new SqliteConnection(_connectionString);
    }

    // WAL is a property of the file, kept once set, so it is set with the schema rather than on every connection
    // (three pragmas per connection cost more CPU than the insert). Every commit still reaches the disk before the
    // answer: synchronous stays FULL, SQLite's default; a busy file is retried for the command timeout (30 s).
    protected override Task PrepareDatabaseAsync(DbConnection connection) => connection.ExecuteAsync("PRAGMA journal_mode = WAL");

    protected override Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction) =>
        Task.CompletedTask; // BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default transaction) already holds the write lock

    protected override async Task<T> WriteAsync<T>(Func<Task<T>> write, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            return await write();
        }
        finally
        {
            _writer.Release();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        // Pooled connections hold the file open (and its WAL): close them, so the file can be moved or deleted.
        SqliteConnection.ClearAllPools();
        await base.DisposeAsync();
    }
}
