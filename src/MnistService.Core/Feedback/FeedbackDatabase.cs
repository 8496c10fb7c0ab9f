using Microsoft.Data.Sqlite;
using Npgsql;

namespace MnistService.Core.Feedback;

/// <summary>
/// The one setting that names the feedback database (<c>Feedback:ConnectionString</c> in the service, the same
/// in the trainer): a PostgreSQL connection string (<c>Host=...</c>) or an SQLite one (<c>Data Source=FILE</c>).
/// Empty: SQLite in <c>data/feedback.db</c> beside the model directory.
/// </summary>
public static class FeedbackDatabase
{
    /// <summary>The setting's key; <c>Feedback__ConnectionString</c> in the environment.</summary>
    public const string Setting = "Feedback:ConnectionString";
    public const string EnvironmentVariable = "Feedback__ConnectionString";
    public const string DefaultFileName = "feedback.db";

    /// <summary><c>data/feedback.db</c> in the directory that holds the model directory.</summary>
    public static string DefaultConnectionString(string modelDirectory)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(modelDirectory).TrimEnd(Path.DirectorySeparatorChar)) ?? modelDirectory;
        return new SqliteConnectionStringBuilder { DataSource = Path.Combine(parent, "data", DefaultFileName) }.ConnectionString;
    }

    /// <summary>True for a PostgreSQL connection string: it names a <c>Host</c>.</summary>
    public static bool IsPostgres(string connectionString) =>
        Mentions(connectionString, "Host", "Server");

    /// <summary>Connections one process opens to PostgreSQL at most, unless the connection string says otherwise.</summary>
    public const int DefaultMaxPoolSize = 16;

    private static bool Mentions(string connectionString, params string[] keys) =>
        connectionString.Split(';').Select(part => part.Split('=', 2)[0].Trim()).Any(key => keys.Contains(key, StringComparer.OrdinalIgnoreCase));

    /// <summary>The store the string names; nothing is opened until it is used.</summary>
    /// <exception cref="ArgumentException">The string is not a valid connection string of its kind (the message says which key).</exception>
    public static FeedbackStore Open(string connectionString)
    {
        if (IsPostgres(connectionString))
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (!Mentions(connectionString, "Max Pool Size", "Maximum Pool Size", "MaxPoolSize"))
            {
                // Npgsql's default of 100 connections per process meets PostgreSQL's default of 100 in all: a burst of posts
                // on one replica took them all ("too many clients"). Requests beyond the pool wait for a connection instead.
                builder.MaxPoolSize = DefaultMaxPoolSize;
            }
            return new PostgresFeedbackStore(builder);
        }
        var sqlite = new SqliteConnectionStringBuilder(connectionString);
        if (string.IsNullOrWhiteSpace(sqlite.DataSource))
        {
            throw new ArgumentException($"The SQLite connection string '{connectionString}' names no file (Data Source=PATH).");
        }
        return new SqliteFeedbackStore(sqlite);
    }
}
