using System.Net;
using System.Net.Sockets;
using MnistService.Reliability.Tests.Infrastructure;

namespace MnistService.Reliability.Tests;

/// <summary>
/// Idle connections, as many as a client cares to open: past the limits they are closed at once, and no
/// number of them takes the service down. (The process used to abort, exit code 134, once idle connections
/// from one client had taken every file descriptor: 80 of them under a lowered limit.)
/// </summary>
public sealed class ConnectionLimitTests : IDisposable
{
    private readonly string _models = TempDirectory.New("connections");

    public ConnectionLimitTests() => File.Copy(Repo.DefaultModel, Path.Combine(_models, "mnist-cnn.onnx"));

    public void Dispose() => TempDirectory.TryDelete(_models);

    [Fact]
    public async Task More_idle_connections_than_the_descriptor_limit_are_refused_and_the_service_stays_up()
    {
        const int descriptorLimit = 512;
        var connections = ReliabilitySettings.Int("RELIABILITY_CONNECTIONS", 600);
        using var service = await ServiceProcess.StartAsync(_models, new Dictionary<string, string>
        {
            // One client: only the overall limit, fitted to the descriptors, is in play.
            ["Connections__MaxConnectionsPerClient"] = "1000000",
        }, descriptorLimit: descriptorLimit);
        var port = service.Address.Port;
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < connections; i++)
            {
                sockets.Add(await RawHttp.ConnectAsync(port));
            }
            await Task.Delay(TimeSpan.FromSeconds(1)); // the refused ones are closed at once, well within it
            var held = sockets.Count(s => !RawHttp.ClosedByService(s));
            var refused = connections - held;

            Assert.False(service.Process.HasExited, $"the service exited with {(service.Process.HasExited ? service.Process.ExitCode : 0)}:\n{service.Process.Output}");
            Assert.InRange(held, 1, descriptorLimit - 256);
            Assert.True(refused >= connections - descriptorLimit, $"{held} held, {refused} refused");
            // Full: a new connection is refused too, at once.
            using (var late = await RawHttp.ConnectAsync(port))
            {
                Assert.True(await RawHttp.ClosedWithinAsync(late, TimeSpan.FromSeconds(2)), "a connection past the limit was kept open");
            }

            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
            sockets.Clear();
            using var http = new HttpClient { BaseAddress = service.Address, Timeout = TimeSpan.FromSeconds(2) };
            await service.Process.WaitUntilAnswersAsync(http, "healthz", TimeSpan.FromSeconds(10));
            using var prediction = await http.PostAsync("predict", Bodies.Create(0));
            Assert.Equal(HttpStatusCode.OK, prediction.StatusCode);

            // The log says why: the limit it fitted to the descriptors, and what it refused.
            var log = service.Process.Output;
            var fitted = System.Text.RegularExpressions.Regex.Match(log, $@"The descriptor limit \(ulimit -n\) of {descriptorLimit} holds connections to (\d+) at once");
            Assert.True(fitted.Success, log);
            var max = int.Parse(fitted.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(held, max - 1, max); // the start-up probe's connection may not have been given back yet
            Assert.Contains($"connection(s) since the last report: the service held {max}, the most it holds at once", log);
            Assert.Equal(0, await service.Process.StopAsync(TimeSpan.FromSeconds(20)));
            ReliabilitySettings.Record("connections", new { descriptorLimit, connections, held, refused, peakWorkingSetBytes = service.Process.PeakWorkingSet });
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_client_over_its_connection_limit_is_closed_at_once_while_other_clients_are_served()
    {
        using var service = await ServiceProcess.StartAsync(_models, new Dictionary<string, string> { ["Connections__MaxConnectionsPerClient"] = "5" });
        var port = service.Address.Port;
        var mine = new List<Socket>();
        try
        {
            // Five held. The start-up probe's connection may count for a moment yet: one refused then is opened again.
            for (var attempt = 0; mine.Count < 5 && attempt < 50; attempt++)
            {
                var socket = await RawHttp.ConnectAsync(port);
                if (await RawHttp.ClosedWithinAsync(socket, TimeSpan.FromMilliseconds(300)))
                {
                    socket.Dispose();
                    await Task.Delay(100);
                }
                else
                {
                    mine.Add(socket);
                }
            }
            Assert.Equal(5, mine.Count);
            using var sixth = await RawHttp.ConnectAsync(port);
            Assert.True(await RawHttp.ClosedWithinAsync(sixth, TimeSpan.FromSeconds(2)), "the sixth connection of one client was kept open");
            Assert.All(mine, socket => Assert.False(RawHttp.ClosedByService(socket)));

            // Another client (another loopback address) is served.
            var other = await RawHttp.ExchangeAsync(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", from: IPAddress.Parse("127.0.0.2"));
            Assert.StartsWith("HTTP/1.1 200", other);

            // One closes: the client has a place again.
            mine[0].Dispose();
            mine.RemoveAt(0);
            var served = false;
            for (var attempt = 0; attempt < 50 && !served; attempt++)
            {
                served = (await RawHttp.ExchangeAsync(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).StartsWith("HTTP/1.1 200", StringComparison.Ordinal);
                if (!served)
                {
                    await Task.Delay(100);
                }
            }
            Assert.True(served, "no place came back after a connection closed");
            Assert.Contains("from clients that already held 5, the most one client may (Connections:MaxConnectionsPerClient); the last from 127.0.0.1", service.Process.Output);
        }
        finally
        {
            foreach (var socket in mine)
            {
                socket.Dispose();
            }
        }
    }
}
