using System.Diagnostics;
using System.Text;

namespace MnistService.Reliability.Tests.Infrastructure;

/// <summary>
/// A dotnet program started by a test, its output kept for failure messages and its peak memory
/// sampled; disposing kills it if it still runs (by its own id, nothing else).
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Timer _sampler;
    private long _peakWorkingSet;

    public ChildProcess(string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _sampler = new Timer(_ => Sample(), null, 0, 100);
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>The largest working set seen (sampled every 100 ms while it ran).</summary>
    public long PeakWorkingSet => Interlocked.Read(ref _peakWorkingSet);

    public string Output { get { lock (_output) return _output.ToString(); } }

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

    private void Sample()
    {
        try
        {
            if (_process.HasExited) return;
            _process.Refresh();
            var current = _process.WorkingSet64;
            if (current > Interlocked.Read(ref _peakWorkingSet)) Interlocked.Exchange(ref _peakWorkingSet, current);
        }
        catch (InvalidOperationException) { }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            if (_output.Length < 200_000) _output.AppendLine(line);
        }
    }

    public void Dispose()
    {
        _sampler.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
