using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MnistService.Trainer.Tests;

/// <summary><c>mnist-train worker</c> as a process: its log lines have the service's format (or JSON, as the service's can).</summary>
public sealed class WorkerLoggingTests
{
    [Fact]
    public async Task The_worker_logs_in_the_services_line_format()
    {
        var output = await RunWorkerAsync(json: false);

        Assert.Matches(new Regex(@"^\[\d{2}:\d{2}:\d{2} INF\] MnistService\.Core\.Training\.Jobs\.TrainingWorker: Worker \S+ watching ", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^\[\d{2}:\d{2}:\d{2} INF\] MnistService\.Core\.Training\.Jobs\.TrainingWorker: No job waiting; stopping \(--until-idle\)", RegexOptions.Multiline), output);
        Assert.DoesNotContain("info:", output); // the format of Microsoft's console logger
    }

    [Fact]
    public async Task With_Logging__Json_the_worker_logs_one_json_object_per_line()
    {
        var output = await RunWorkerAsync(json: true);

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            using var entry = JsonDocument.Parse(line);
            Assert.True(entry.RootElement.TryGetProperty("@t", out _), line);
            Assert.True(entry.RootElement.TryGetProperty("@m", out _), line);
        }
        Assert.Contains(lines, line => line.Contains("watching", StringComparison.Ordinal)
                                       && line.Contains("\"SourceContext\":\"MnistService.Core.Training.Jobs.TrainingWorker\"", StringComparison.Ordinal));
    }

    private static async Task<string> RunWorkerAsync(bool json)
    {
        var models = Directory.CreateTempSubdirectory("worker-log-").FullName;
        try
        {
            var host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
            var start = new ProcessStartInfo(host)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { typeof(Cli).Assembly.Location, "worker", "--models", models, "--until-idle", "--poll-seconds", "0.1" })
            {
                start.ArgumentList.Add(argument);
            }
            start.Environment["Logging__Json"] = json ? "true" : "false";
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}\n{await stdout}");
            return await stdout;
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }
}
