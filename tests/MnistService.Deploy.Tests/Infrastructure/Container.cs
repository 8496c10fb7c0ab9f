namespace MnistService.Deploy.Tests.Infrastructure;

/// <summary>
/// A replayed image started as <c>docker run</c> starts it: ENTRYPOINT + CMD from WORKDIR, with only
/// the image's environment (plus overrides), paths mapped into the replay and its mounts. The process
/// itself (output, stop, kill) is a <see cref="ChildProcess"/>.
/// </summary>
public sealed class Container : IAsyncDisposable
{
    private Container(ImageReplay.BuiltStage image, IReadOnlyDictionary<string, string> environment,
        IReadOnlyDictionary<string, string> mounts, ChildProcess process)
    {
        Image = image;
        Environment = environment;
        Mounts = mounts;
        Process = process;
    }

    public ImageReplay.BuiltStage Image { get; }
    /// <summary>The environment the process got (container paths already mapped).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }
    public IReadOnlyDictionary<string, string> Mounts { get; }
    public ChildProcess Process { get; }
    public bool HasExited => Process.HasExited;
    public int ExitCode => Process.ExitCode;
    public string Output => Process.Output;

    /// <param name="environment">Overrides of the image's environment (docker run -e), container paths allowed.</param>
    /// <param name="mounts">Container path to host directory (docker run -v).</param>
    /// <param name="cmd">Replaces the image's CMD when given (arguments after the image name).</param>
    public static Container Start(ImageReplay.BuiltStage image, IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyDictionary<string, string>? mounts = null, IReadOnlyList<string>? cmd = null)
    {
        mounts ??= new Dictionary<string, string>();
        var command = image.Entrypoint.Concat(cmd ?? image.Cmd).ToList();
        if (command.Count == 0)
        {
            throw new InvalidOperationException($"Stage {image.Name} has neither ENTRYPOINT nor CMD.");
        }

        var env = EnvironmentFor(image, environment, mounts);
        var executable = command[0].Contains('/') ? image.Map(command[0], mounts) : command[0];
        var arguments = command.Skip(1).Select(a => image.MapText(a, mounts));
        var process = new ChildProcess(image.Name, executable, arguments, env, image.Map(image.WorkDir, mounts), inheritEnvironment: false);
        return new Container(image, env, mounts, process);
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
        {
            env[key] = image.MapText(value, mounts);
        }

        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            env[key] = image.MapText(value, mounts);
        }

        return env;
    }

    /// <summary>Runs the image's HEALTHCHECK command as Docker does (inside the container's environment); true when it exits 0.</summary>
    public async Task<(bool Healthy, string Output)> RunHealthcheckAsync(IReadOnlyDictionary<string, string>? environment = null)
    {
        var check = Image.Healthcheck ?? throw new InvalidOperationException($"Stage {Image.Name} has no HEALTHCHECK.");
        var exec = check.HealthcheckCommand;
        var result = await Command.RunAsync(exec[0], exec.Skip(1).Select(a => Image.MapText(a, Mounts)), Image.Map(Image.WorkDir, Mounts),
            environment ?? Environment, inheritEnvironment: false, timeout: TimeSpan.FromSeconds(10));
        return (result.Succeeded, result.Output);
    }

    /// <summary><c>docker stop</c>: SIGTERM, then the exit code once the process ended.</summary>
    public Task<int> StopAsync(TimeSpan grace) => Process.StopAsync(grace);

    /// <summary><c>docker kill</c>: SIGKILL, no chance to clean up.</summary>
    public Task KillAsync() => Process.KillAsync();

    public Task<bool> WaitForExitAsync(TimeSpan timeout) => Process.WaitForExitAsync(timeout);

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
