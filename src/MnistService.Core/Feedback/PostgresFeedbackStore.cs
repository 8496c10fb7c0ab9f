using System.Data.Common;
using Dapper;
using Npgsql;

namespace MnistService.Core.Feedback;

/// <summary>The server store, for several replicas: PostgreSQL through Npgsql's pooled data source.</summary>
internal sealed class PostgresFeedbackStore(NpgsqlConnectionStringBuilder builder) : FeedbackStore
{
    private static readonly FeedbackDialect PostgresDialect = new("BYTEA",
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = @name");

    // Any fixed number: the advisory lock replicas take so that one of them migrates and the others then find it done.
    private const long MigrationLock = 0x4d4e4953_54464230;

    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(builder);

    public override string Kind => "PostgreSQL";
    public override string Describe() => $"{builder.Host}:{builder.Port}/{builder.Database}";
    internal override FeedbackDialect Dialect => PostgresDialect;

    protected override DbConnection CreateConnection() => _source.CreateConnection();

    protected override Task LockForMigrationAsync(DbConnection connection, DbTransaction transaction) =>
        connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@key)", new { key = MigrationLock }, transaction);

    public override async ValueTask DisposeAsync()
    {
        await _source.DisposeAsync();
        await base.DisposeAsync();
    }
}
