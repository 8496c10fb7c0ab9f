using System.Data.Common;
using Dapper;

namespace MnistService.Core.Feedback;

/// <summary>
/// The feedback tables and their migrations. <c>schema_version</c> holds one row per migration applied; a
/// migration runs once, in the same transaction as its row, so running them again (another start, another
/// replica) finds nothing to do. Times are Unix milliseconds and probabilities float32 bytes: the same
/// values in SQLite and PostgreSQL.
/// </summary>
public static class FeedbackSchema
{
    /// <summary>Migrations in order; <c>{binary}</c> is the database's binary type. Never edit one that has shipped: add the next.</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE feedback (
            id VARCHAR(64) PRIMARY KEY,
            created_at BIGINT NOT NULL,
            model VARCHAR(256) NOT NULL,
            model_sha256 VARCHAR(64) NOT NULL,
            label VARCHAR(64) NOT NULL,
            predicted VARCHAR(64) NOT NULL,
            fold INTEGER NOT NULL,
            pixels {binary} NOT NULL,
            probabilities {binary} NOT NULL,
            original {binary},
            original_type VARCHAR(128)
        );
        CREATE INDEX feedback_created_at ON feedback (created_at);
        CREATE INDEX feedback_model ON feedback (model, label, predicted);
        """,
    ];

    /// <summary>The version a fully migrated database has.</summary>
    public static int Version => Migrations.Length;

    internal static async Task<int> MigrateAsync(DbConnection connection, DbTransaction transaction, FeedbackDialect dialect)
    {
        await connection.ExecuteAsync(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)", transaction: transaction);
        var current = await CurrentVersionAsync(connection, dialect, transaction);
        for (var version = current + 1; version <= Migrations.Length; version++)
        {
            await connection.ExecuteAsync(Migrations[version - 1].Replace("{binary}", dialect.BinaryType, StringComparison.Ordinal), transaction: transaction);
            await connection.ExecuteAsync("INSERT INTO schema_version (version, applied_at) VALUES (@version, @at)",
                new { version, at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, transaction);
        }
        return Math.Max(current, Migrations.Length);
    }

    /// <summary>The highest migration applied; 0 in an empty database.</summary>
    internal static async Task<int> CurrentVersionAsync(DbConnection connection, FeedbackDialect dialect, DbTransaction? transaction = null)
    {
        var exists = await connection.ExecuteScalarAsync<long>(dialect.TableExistsSql, new { name = "schema_version" }, transaction);
        return exists == 0 ? 0 : await connection.ExecuteScalarAsync<int?>("SELECT MAX(version) FROM schema_version", transaction: transaction) ?? 0;
    }
}

/// <summary>What SQLite and PostgreSQL say differently; everything else is the same SQL.</summary>
/// <param name="BinaryType">BLOB or BYTEA.</param>
/// <param name="TableExistsSql">A count of the tables named <c>@name</c>.</param>
internal sealed record FeedbackDialect(string BinaryType, string TableExistsSql);
