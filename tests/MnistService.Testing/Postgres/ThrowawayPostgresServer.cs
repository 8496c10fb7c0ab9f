using System.Globalization;
using System.Text.RegularExpressions;

namespace MnistService.Testing;

/// <summary>
/// A PostgreSQL server of its own for a test run, made from the installed binaries (Debian keeps them in
/// /usr/lib/postgresql/VERSION/bin): initdb into a fresh directory under /tmp, then pg_ctl start on a free
/// port of 127.0.0.1, as the <c>postgres</c> user when the tests run as root (PostgreSQL refuses to run as
/// root). Disposing stops it and deletes the directory.
/// </summary>
public sealed partial class ThrowawayPostgresServer : IAsyncDisposable
{
    private const string DebianBinaries = "/usr/lib/postgresql";
    private const string ServiceUser = "postgres";

    private readonly string _binaries;

    private ThrowawayPostgresServer(string binaries, string dataDirectory, int port, int processId)
    {
        _binaries = binaries;
        DataDirectory = dataDirectory;
        Port = port;
        ProcessId = processId;
    }

    public string DataDirectory { get; }
    public int Port { get; }

    /// <summary>The postmaster's process id.</summary>
    public int ProcessId { get; }

    /// <summary>The superuser <c>postgres</c> over TCP, trusted without a password, on the <c>postgres</c> database.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username={ServiceUser};Database=postgres";

    public static async Task<ThrowawayPostgresServer> StartAsync()
    {
        var binaries = FindBinaries() ?? throw new InvalidOperationException(
            $"No PostgreSQL binaries (initdb, pg_ctl) in {DebianBinaries}/VERSION/bin or on PATH. {PostgresDatabase.HowToProvide}");
        var dataDirectory = TempDirectory.New("pg");
        try
        {
            if (RunsAsRoot)
            {
                var chown = await Command.RunAsync("chown", [$"{ServiceUser}:", dataDirectory]);
                if (!chown.Succeeded)
                {
                    throw new InvalidOperationException(
                        $"PostgreSQL will not run as root, and the directory could not be given to the '{ServiceUser}' user: {chown.Output.Trim()} {PostgresDatabase.HowToProvide}");
                }
            }
            // --no-sync and the settings below trade durability for speed: the data is thrown away anyway.
            await RunToolAsync(binaries, "initdb", ["-D", dataDirectory, "-U", ServiceUser, "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"]);
            for (var attempt = 1; ; attempt++)
            {
                var port = ChildProcess.FreeLoopbackPort();
                var options = string.Join(' ',
                    $"-p {port}", "-c listen_addresses=127.0.0.1", $"-c unix_socket_directories={dataDirectory}",
                    "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off");
                var log = Path.Combine(dataDirectory, "server.log");
                var start = await RunToolAsync(binaries, "pg_ctl", ["-D", dataDirectory, "-l", log, "-o", options, "-w", "-t", "60", "start"], check: false);
                if (start.Succeeded)
                {
                    var processId = int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
                    return new ThrowawayPostgresServer(binaries, dataDirectory, port, processId);
                }
                var serverLog = File.Exists(log) ? File.ReadAllText(log) : "";
                // Another process may take the free port between the check and the start: try another one.
                if (attempt < 3 && PortTaken().IsMatch(serverLog))
                {
                    continue;
                }
                throw new InvalidOperationException($"pg_ctl start failed (exit {start.ExitCode}):\n{start.Output}\n{serverLog}");
            }
        }
        catch
        {
            TempDirectory.TryDelete(dataDirectory);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Immediate: the data is not kept, so there is nothing to write out first.
        await RunToolAsync(_binaries, "pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "60", "stop"], check: false);
        TempDirectory.TryDelete(DataDirectory);
    }

    /// <summary>The newest version's bin directory under /usr/lib/postgresql, else the directory of pg_ctl on PATH.</summary>
    public static string? FindBinaries()
    {
        static bool HasTools(string directory) =>
            File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl"));

        if (Directory.Exists(DebianBinaries))
        {
            var newest = Directory.EnumerateDirectories(DebianBinaries)
                .Select(version => (Version: double.TryParse(Path.GetFileName(version), CultureInfo.InvariantCulture, out var v) ? v : 0, Bin: Path.Combine(version, "bin")))
                .Where(candidate => HasTools(candidate.Bin))
                .OrderByDescending(candidate => candidate.Version)
                .Select(candidate => candidate.Bin)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(HasTools);
    }

    private static bool RunsAsRoot => Environment.UserName == "root";

    private static async Task<CommandResult> RunToolAsync(string binaries, string tool, IReadOnlyList<string> arguments, bool check = true)
    {
        var executable = Path.Combine(binaries, tool);
        // The tools run from /tmp: the postgres user may not be allowed into the test's working directory.
        var result = RunsAsRoot
            ? await Command.RunAsync("runuser", ["-u", ServiceUser, "--", executable, .. arguments], Path.GetTempPath(), timeout: TimeSpan.FromMinutes(2))
            : await Command.RunAsync(executable, arguments, Path.GetTempPath(), timeout: TimeSpan.FromMinutes(2));
        if (check && !result.Succeeded)
        {
            throw new InvalidOperationException($"{tool} failed (exit {result.ExitCode}): {result.Output.Trim()}");
        }
        return result;
    }

    [GeneratedRegex("could not bind|Address already in use")]
    private static partial Regex PortTaken();
}
