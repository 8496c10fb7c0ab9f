using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MnistService.Reliability.Tests.Infrastructure;

namespace MnistService.Reliability.Tests;

/// <summary>
/// The service as a real process that cannot start: it exits with code 1 and says why in one line,
/// with no unhandled exception, no stack trace and no SIGABRT (exit code 134).
/// </summary>
public sealed class StartupFailureTests
{
    [Fact]
    public async Task An_invalid_setting_exits_1_with_one_line_naming_the_setting_its_value_and_its_source()
    {
        using var service = Start(new() { ["Limits__MaxRequestBytes"] = "-5", ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{ChildProcess.FreeLoopbackPort()}" });

        var line = await FailureLineAsync(service);

        Assert.EndsWith("MnistService could not start: Limits:MaxRequestBytes must be between 1024 and 1073741824, but is -5 " +
            "(from environment variable Limits__MaxRequestBytes); correct the setting or remove it to use the default", line);
    }

    [Fact]
    public async Task A_port_in_use_exits_1_with_one_line_naming_the_port_and_what_to_do()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var service = Start(new() { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" });

        var line = await FailureLineAsync(service);

        Assert.EndsWith($"MnistService could not start: port {port} is in use (http://127.0.0.1:{port}, from environment variable ASPNETCORE_URLS): " +
            "set ASPNETCORE_URLS to a free port or stop the other process", line);
    }

    [Fact]
    public async Task A_metrics_port_in_use_exits_1_with_one_line_naming_Metrics_Port()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var service = Start(new()
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{ChildProcess.FreeLoopbackPort()}",
            ["Metrics__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        var line = await FailureLineAsync(service);

        Assert.EndsWith($"MnistService could not start: Metrics:Port {port} (from environment variable Metrics__Port) is in use: " +
            "set it to a free port or stop the other process", line);
    }

    [Fact]
    public async Task A_metrics_port_that_is_the_main_port_exits_1_naming_both()
    {
        var port = ChildProcess.FreeLoopbackPort();
        using var service = Start(new()
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Metrics__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        var line = await FailureLineAsync(service);

        Assert.EndsWith($"MnistService could not start: Metrics:Port is {port}, which the main address (http://127.0.0.1:{port}, from environment variable " +
            "ASPNETCORE_URLS) uses too: choose another port for the metrics; correct the setting or remove it to use the default", line);
    }

    [Fact]
    public async Task With_json_logs_the_failure_is_one_json_object_at_fatal_level()
    {
        using var service = Start(new()
        {
            ["Logging__Json"] = "true",
            ["Models__Default"] = "../etc/passwd",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{ChildProcess.FreeLoopbackPort()}",
        });

        var line = await FailureLineAsync(service);

        using var json = JsonDocument.Parse(line);
        Assert.Equal("Fatal", json.RootElement.GetProperty("@l").GetString());
        Assert.StartsWith("Models:Default must match the regular expression", json.RootElement.GetProperty("Reason").GetString());
        Assert.Contains("but is ../etc/passwd (from environment variable Models__Default)", json.RootElement.GetProperty("@m").GetString());
    }

    private static ChildProcess Start(Dictionary<string, string> settings)
    {
        settings["Models__Directory"] = Path.Combine(Repo.Root, "models");
        settings["DOTNET_gcServer"] = "0";
        return ChildProcess.Dotnet(Repo.ServiceDll, [], settings, Path.GetDirectoryName(Repo.ServiceDll)!);
    }

    /// <summary>Waits for exit code 1 and returns the one line that says why; fails on a stack trace or a second such line.</summary>
    private static async Task<string> FailureLineAsync(ChildProcess service)
    {
        Assert.True(await service.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the service did not exit:\n" + service.Output);
        var output = service.Output;
        Assert.True(service.ExitCode == 1, $"exit code {service.ExitCode}, not 1:\n{output}");
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("Unhandled exception", output);
        Assert.DoesNotContain("Hosting failed to start", output);
        return Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("could not start")).TrimEnd('\r');
    }
}
