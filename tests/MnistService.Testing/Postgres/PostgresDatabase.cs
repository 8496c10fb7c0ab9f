using Npgsql;
using Xunit;

namespace MnistService.Testing;

/// <summary>
/// An empty PostgreSQL database for the tests of one class or collection, dropped afterwards. The server is
/// the one MNIST_TEST_POSTGRES names (a connection string whose user may create databases), else a
/// <see cref="ThrowawayPostgresServer"/> started for the fixture and removed with it. Without either,
/// the tests that use it fail with what to install.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    public const string EnvironmentVariable = "MNIST_TEST_POSTGRES";

    public const string HowToProvide =
        "Set " + EnvironmentVariable + " to the connection string of a PostgreSQL server the tests may create databases on, " +
        "or install PostgreSQL (./test.sh does; or apt-get install -y postgresql) so that the tests start a throwaway server.";

    private string? _serverConnectionString;

    /// <summary>The database's own connection string.</summary>
    public string ConnectionString { get; private set; } = "";

    public string DatabaseName { get; } = "mnist_test_" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The server started for this fixture; null when MNIST_TEST_POSTGRES names one.</summary>
    public ThrowawayPostgresServer? Server { get; private set; }

    public NpgsqlConnection OpenConnection()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured)
        {
            _serverConnectionString = configured;
        }
        else
        {
            Server = await ThrowawayPostgresServer.StartAsync();
            _serverConnectionString = Server.ConnectionString;
        }
        try
        {
            await ExecuteOnServerAsync($"CREATE DATABASE \"{DatabaseName}\"");
        }
        catch (Exception e) when (e is NpgsqlException or ArgumentException)
        {
            await DisposeAsync();
            throw new InvalidOperationException($"Could not create a test database on {Describe(_serverConnectionString)}: {e.Message} {HowToProvide}", e);
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(_serverConnectionString) { Database = DatabaseName }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        if (Server is null && _serverConnectionString is not null && ConnectionString.Length > 0)
        {
            // A server of someone else's: leave it as it was.
            NpgsqlConnection.ClearAllPools();
            await ExecuteOnServerAsync($"DROP DATABASE IF EXISTS \"{DatabaseName}\" WITH (FORCE)");
        }
        if (Server is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await Server.DisposeAsync();
        }
    }

    private async Task ExecuteOnServerAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_serverConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Host, port and user of a connection string, without its password.</summary>
    private static string Describe(string? connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return $"{builder.Username}@{builder.Host}:{builder.Port}";
        }
        catch (ArgumentException)
        {
            return $"the server of {EnvironmentVariable} (not a valid connection string)";
        }
    }
}
