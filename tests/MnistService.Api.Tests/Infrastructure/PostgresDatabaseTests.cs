using System.Diagnostics;
using Npgsql;

namespace MnistService.Api.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL fixture the storage tests build on: an empty database that works, and nothing left
/// behind afterwards. Both tests change MNIST_TEST_POSTGRES or depend on it, so they run one after another
/// (one class), and restore it.
/// </summary>
public sealed class PostgresDatabaseTests
{
    [Fact]
    public async Task The_fixture_gives_an_empty_working_database_and_leaves_nothing_behind()
    {
        var database = new PostgresDatabase();
        await database.InitializeAsync();
        var server = database.Server;
        try
        {
            await using var connection = database.OpenConnection();
            Assert.Equal(0L, await ScalarAsync<long>(connection, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"));

            await ScalarAsync<object?>(connection, "CREATE TABLE feedback (id serial PRIMARY KEY, digit int NOT NULL, note text NOT NULL)");
            await using (var insert = new NpgsqlCommand("INSERT INTO feedback (digit, note) VALUES (@digit, @note) RETURNING id", connection))
            {
                insert.Parameters.AddWithValue("digit", 7);
                insert.Parameters.AddWithValue("note", "read as 1, ünïcödé kept");
                Assert.Equal(1, (int)(await insert.ExecuteScalarAsync())!);
            }
            await using var select = new NpgsqlCommand("SELECT digit, note FROM feedback WHERE id = 1", connection);
            await using var row = await select.ExecuteReaderAsync();
            Assert.True(await row.ReadAsync());
            Assert.Equal(7, row.GetInt32(0));
            Assert.Equal("read as 1, ünïcödé kept", row.GetString(1));
        }
        finally
        {
            await database.DisposeAsync();
        }

        if (server is not null)
        {
            Assert.False(Directory.Exists(server.DataDirectory), $"{server.DataDirectory} is still there");
            Assert.False(IsRunning(server.ProcessId), $"the server (pid {server.ProcessId}) still runs");
            await using var gone = new NpgsqlConnection(server.ConnectionString + ";Timeout=3");
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => gone.OpenAsync());
        }
        else
        {
            await using var admin = new NpgsqlConnection(Environment.GetEnvironmentVariable(PostgresDatabase.EnvironmentVariable));
            await admin.OpenAsync();
            await using var exists = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = @name", admin);
            exists.Parameters.AddWithValue("name", database.DatabaseName);
            Assert.Equal(0L, (long)(await exists.ExecuteScalarAsync())!);
        }
    }

    [Fact]
    public async Task A_server_that_does_not_answer_fails_with_how_to_provide_one()
    {
        var before = Environment.GetEnvironmentVariable(PostgresDatabase.EnvironmentVariable);
        Environment.SetEnvironmentVariable(PostgresDatabase.EnvironmentVariable,
            $"Host=127.0.0.1;Port={ChildProcess.FreeLoopbackPort()};Username=postgres;Timeout=3");
        try
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new PostgresDatabase().InitializeAsync());

            Assert.Contains("Could not create a test database on postgres@127.0.0.1:", error.Message);
            Assert.Contains("Set MNIST_TEST_POSTGRES to the connection string", error.Message);
            Assert.Contains("apt-get install -y postgresql", error.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(PostgresDatabase.EnvironmentVariable, before);
        }
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Whether the process still runs. An exited server whose parent does not reap it (pg_ctl leaves it to
    /// PID 1, which in a container may not reap) stays a zombie: state Z in /proc, which counts as gone.
    /// </summary>
    private static bool IsRunning(int processId)
    {
        var stat = $"/proc/{processId}/stat";
        if (File.Exists(stat))
        {
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
        }
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
