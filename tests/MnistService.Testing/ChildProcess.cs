using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace MnistService.Testing;

/// <summary>
/// A real process started by a test (the service, the worker, a replayed image's ENTRYPOINT): its output
/// kept for failure messages, its peak memory sampled, readiness awaited over HTTP, stopped with SIGTERM
/// or SIGKILL. Disposing kills it if it still runs, by its own id and nothing else.
/// </summary>
public sealed class ChildProcess : IDisposable, IAsyncDisposable
{
    private const int MaxOutputChars = 200_000;
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Timer _sampler;
    private long _peakWorkingSet;

    /// <param name="name">What the process is, for messages ("the service").</param>
    /// <param name="inheritEnvironment">False: <paramref name="environment"/> is all it gets (as <c>docker run</c>).</param>
    public ChildProcess(string name, string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment,
        string workingDirectory, bool inheritEnvironment = true)
    {
        Name = name;
        var start = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        if (!inheritEnvironment)
        {
            start.Environment.Clear();
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _sampler = new Timer(_ => Sample(), null, 0, 100);
    }

    /// <summary>A build output run as <c>dotnet DLL ARGUMENTS</c>, with the test's environment plus <paramref name="environment"/>.</summary>
    public static ChildProcess Dotnet(string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string workingDirectory) =>
        new(Path.GetFileNameWithoutExtension(dll), "dotnet", arguments.Prepend(dll), environment, workingDirectory);

    public string Name { get; }
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>The largest working set seen (sampled every 100 ms while it ran).</summary>
    public long PeakWorkingSet => Interlocked.Read(ref _peakWorkingSet);

    /// <summary>Standard output and error, line by line as they came (the first 200,000 characters).</summary>
    public string Output { get { lock (_output) { return _output.ToString(); } } }

    public void Signal(int signal) => Signals.Send(_process.Id, signal);

    /// <summary>Waits for the exit; false when it did not come within the timeout.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Polls <paramref name="path"/> until it answers 200. Throws, with the output, when the process exits
    /// first or <paramref name="within"/> passes.
    /// </summary>
    public async Task WaitUntilAnswersAsync(HttpClient http, string path, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {ExitCode} before {path} answered:\n{Output}");
            }
            try
            {
                using var response = await http.GetAsync(path);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{Name} did not answer {path} within {within.TotalSeconds:0} s:\n{Output}");
    }

    /// <summary><c>docker stop</c>: SIGTERM, then the exit code; SIGKILL and a TimeoutException when it outlives <paramref name="grace"/>.</summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        try
        {
            if (!HasExited)
            {
                Signal(Signals.SigTerm);
            }
        }
        catch (InvalidOperationException) when (HasExited)
        {
            // It ended on its own just before the signal.
        }
        if (!await WaitForExitAsync(grace))
        {
            await KillAsync();
            throw new TimeoutException($"{Name} did not stop within {grace} of SIGTERM.\n{Output}");
        }
        return ExitCode;
    }

    /// <summary><c>docker kill</c>: SIGKILL, no chance to clean up.</summary>
    public async Task KillAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        await _process.WaitForExitAsync();
    }

    /// <summary>A port on 127.0.0.1 that nothing listens on right now.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Sample()
    {
        try
        {
            if (_process.HasExited)
            {
                return;
            }
            _process.Refresh();
            var current = _process.WorkingSet64;
            if (current > Interlocked.Read(ref _peakWorkingSet))
            {
                Interlocked.Exchange(ref _peakWorkingSet, current);
            }
        }
        catch (InvalidOperationException) { }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            if (_output.Length < MaxOutputChars)
            {
                _output.AppendLine(line);
            }
        }
    }

    public void Dispose()
    {
        _sampler.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        _sampler.Dispose();
        await KillAsync();
        _process.Dispose();
    }
}

/// <summary>POSIX signals to one process, by id (what <c>kill -TERM PID</c> and <c>kill -KILL PID</c> do).</summary>
public static partial class Signals
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    public static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }
}
