using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace MnistService.Deploy.Tests.Infrastructure;

/// <summary>
/// A replayed image started as <c>docker run</c> starts it: ENTRYPOINT + CMD from WORKDIR, with only
/// the image's environment (plus overrides), paths mapped into the replay and its mounts.
/// </summary>
public sealed partial class Container : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private Container(ImageReplay.BuiltStage image, IReadOnlyDictionary<string, string> environment,
        IReadOnlyDictionary<string, string> mounts, Process process)
    {
        Image = image;
        Environment = environment;
        Mounts = mounts;
        _process = process;
    }

    public ImageReplay.BuiltStage Image { get; }
    /// <summary>The environment the process got (container paths already mapped).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }
    public IReadOnlyDictionary<string, string> Mounts { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    /// <param name="environment">Overrides of the image's environment (docker run -e), container paths allowed.</param>
    /// <param name="mounts">Container path to host directory (docker run -v).</param>
    /// <param name="cmd">Replaces the image's CMD when given (arguments after the image name).</param>
    public static Container Start(ImageReplay.BuiltStage image, IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyDictionary<string, string>? mounts = null, IReadOnlyList<string>? cmd = null)
    {
        mounts ??= new Dictionary<string, string>();
        var command = image.Entrypoint.Concat(cmd ?? image.Cmd).ToList();
        if (command.Count == 0)
            throw new InvalidOperationException($"Stage {image.Name} has neither ENTRYPOINT nor CMD.");

        var env = EnvironmentFor(image, environment, mounts);
        var executable = command[0].Contains('/') ? image.Map(command[0], mounts) : command[0];
        var start = new ProcessStartInfo(executable, command.Skip(1).Select(a => image.MapText(a, mounts)))
        {
            WorkingDirectory = image.Map(image.WorkDir, mounts),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment.Clear();
        foreach (var (key, value) in env)
            start.Environment[key] = value;

        var process = new Process { StartInfo = start };
        var container = new Container(image, env, mounts, process);
        process.OutputDataReceived += (_, e) => container.Append(e.Data);
        process.ErrorDataReceived += (_, e) => container.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return container;
    }

    /// <summary>The environment of <c>docker run</c>: the OS image's PATH and HOME, then the image's ENV, then overrides.</summary>
    public static Dictionary<string, string> EnvironmentFor(ImageReplay.BuiltStage image,
        IReadOnlyDictionary<string, string>? overrides, IReadOnlyDictionary<string, string> mounts)
    {
        var env = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["HOME"] = image.Map("/home/app", mounts),
        };
        Directory.CreateDirectory(env["HOME"]);
        foreach (var (key, value) in image.Environment)
            env[key] = image.MapText(value, mounts);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
            env[key] = image.MapText(value, mounts);
        return env;
    }

    /// <summary>Runs the image's HEALTHCHECK command as Docker does (inside the container's environment); true when it exits 0.</summary>
    public async Task<(bool Healthy, string Output)> RunHealthcheckAsync(IReadOnlyDictionary<string, string>? environment = null)
    {
        var check = Image.Healthcheck ?? throw new InvalidOperationException($"Stage {Image.Name} has no HEALTHCHECK.");
        var exec = check.HealthcheckCommand;
        var start = new ProcessStartInfo(exec[0], exec.Skip(1).Select(a => Image.MapText(a, Mounts)))
        {
            WorkingDirectory = Image.Map(Image.WorkDir, Mounts),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Clear();
        foreach (var (key, value) in environment ?? Environment)
            start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode == 0, await stdout + await stderr);
    }

    /// <summary><c>docker stop</c>: SIGTERM, then the exit code once the process ended.</summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
            _ = SendSignal(_process.Id, SigTerm);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            throw new TimeoutException($"{Image.Name} did not stop within {grace} of SIGTERM.\n{Output}");
        }
        return _process.ExitCode;
    }

    /// <summary><c>docker kill</c>: SIGKILL, no chance to clean up.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

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

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    private const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
