using MnistService.Reliability.Tests.Infrastructure;

namespace MnistService.Reliability.Tests;

/// <summary><c>MnistService.Api --help</c> as a user runs it: usage and settings on stdout, exit code 0, nothing started.</summary>
public sealed class HelpTests
{
    [Fact]
    public async Task Help_prints_what_it_serves_and_every_setting_and_exits_0_without_starting()
    {
        // A port in use: a service that started anyway would fail and exit 1.
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        using var process = ChildProcess.Dotnet(Repo.ServiceDll, ["--help"],
            new Dictionary<string, string> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" }, Path.GetTempPath());

        Assert.True(await process.WaitForExitAsync(TimeSpan.FromSeconds(30)), "--help did not exit:\n" + process.Output);

        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}:\n{process.Output}");
        var output = process.Output;
        Assert.StartsWith("MnistService:", output);
        Assert.Contains("POST /predict", output);
        Assert.Contains("Models:Directory / Models__Directory", output);
        Assert.Contains("Limits:MaxRequestBytes / Limits__MaxRequestBytes", output);
        Assert.Contains("(default: 5242880)", output);
        Assert.Contains("Models:MaxFileBytes / Models__MaxFileBytes", output);
        Assert.Contains("(default: 67108864)", output);
        Assert.Contains("Cors:AllowedOrigins / Cors__AllowedOrigins", output);
        Assert.DoesNotContain("Now listening", output);
        Assert.DoesNotContain("could not start", output);
    }
}
