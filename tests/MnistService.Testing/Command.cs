using System.Diagnostics;

namespace MnistService.Testing;

/// <summary>A command run to its end: its exit code and everything it printed.</summary>
public sealed record CommandResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Runs short commands (a shell line, a tool) and collects their output for assertions and messages.</summary>
public static class Command
{
    /// <param name="environment">Added to (or replacing, with <paramref name="inheritEnvironment"/> false) the test's environment.</param>
    /// <param name="timeout">How long it may take (default 10 minutes); past that it is killed and a TimeoutException thrown.</param>
    public static async Task<CommandResult> RunAsync(string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, bool inheritEnvironment = true, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }
        if (!inheritEnvironment)
        {
            start.Environment.Clear();
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', start.ArgumentList)} did not finish within {timeout}:\n{await stdout}{await stderr}");
        }
        return new CommandResult(process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Runs a line of bash.</summary>
    public static Task<CommandResult> BashAsync(string script, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null) =>
        RunAsync("bash", ["-c", script], workingDirectory, environment, timeout: timeout);
}
