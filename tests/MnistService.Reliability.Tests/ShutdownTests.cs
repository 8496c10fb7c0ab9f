using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MnistService.Reliability.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MnistService.Reliability.Tests;

/// <summary>
/// SIGTERM: the service stops taking connections, finishes what is in flight, and exits 0 in time.
/// 12 slow uploads by default; run-long.sh sends 64 (RELIABILITY_SHUTDOWN_REQUESTS).
/// </summary>
public sealed class ShutdownTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _models = TempDirectory.New("shutdown");

    public void Dispose() => TempDirectory.TryDelete(_models);

    [Fact]
    public async Task On_SIGTERM_requests_in_flight_all_succeed_new_connections_are_refused_and_the_process_exits_zero()
    {
        var inFlight = ReliabilitySettings.Int("RELIABILITY_SHUTDOWN_REQUESTS", 12);
        File.Copy(Repo.DefaultModel, Path.Combine(_models, "mnist-cnn.onnx"));
        using var service = await ServiceProcess.StartAsync(_models, new Dictionary<string, string> { ["Shutdown__Timeout"] = "00:00:10" });
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = inFlight }) { BaseAddress = service.Address, Timeout = TimeSpan.FromSeconds(30) };

        // Slow uploads: the first bytes now, the rest over the next 1.5 s, so every request is in flight at the signal.
        var started = new CountdownEvent(inFlight);
        var requests = Enumerable.Range(0, inFlight).Select(_ =>
            http.PostAsync("predict", new SlowContent(Bodies.CanvasPng, started, TimeSpan.FromMilliseconds(500), parts: 4))).ToList();
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)), "the uploads did not start");
        await Task.Delay(200);

        var signalled = Stopwatch.StartNew();
        service.Process.Signal(Signals.SigTerm);
        var refusedAfter = await FirstRefusedConnectionAsync(service.Address, TimeSpan.FromSeconds(3));
        var responses = await Task.WhenAll(requests);
        var answeredAfter = signalled.Elapsed;
        var exited = await service.Process.WaitForExitAsync(TimeSpan.FromSeconds(15));
        var exitedAfter = signalled.Elapsed;

        output.WriteLine($"{inFlight} uploads in flight at SIGTERM; new connections refused after {refusedAfter?.TotalMilliseconds:0} ms; " +
            $"all answered after {answeredAfter.TotalMilliseconds:0} ms; exit {(exited ? service.Process.ExitCode.ToString() : "none")} after {exitedAfter.TotalMilliseconds:0} ms");
        ReliabilitySettings.Record("shutdown", new
        {
            inFlight, statuses = responses.Select(r => (int)r.StatusCode).ToArray(), refusedAfterMs = refusedAfter?.TotalMilliseconds,
            answeredAfterMs = answeredAfter.TotalMilliseconds, exitedAfterMs = exitedAfter.TotalMilliseconds, exitCode = exited ? service.Process.ExitCode : (int?)null,
        });

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.NotNull(refusedAfter);
        Assert.True(refusedAfter < answeredAfter, "new connections were still accepted while the in-flight requests ran");
        Assert.True(exited, "the service did not exit within its shutdown timeout\n" + service.Process.Output);
        Assert.Equal(0, service.Process.ExitCode);
    }

    /// <summary>Polls with fresh TCP connections until one is refused; null if none was within the time.</summary>
    private static async Task<TimeSpan?> FirstRefusedConnectionAsync(Uri address, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < within)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, address.Port);
            }
            catch (SocketException)
            {
                return clock.Elapsed;
            }
            await Task.Delay(20);
        }
        return null;
    }

    /// <summary>A PNG upload sent in parts with pauses between them.</summary>
    private sealed class SlowContent : HttpContent
    {
        private readonly byte[] _bytes;
        private readonly CountdownEvent _started;
        private readonly TimeSpan _pause;
        private readonly int _parts;

        public SlowContent(byte[] bytes, CountdownEvent started, TimeSpan pause, int parts)
        {
            (_bytes, _started, _pause, _parts) = (bytes, started, pause, parts);
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/png");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var part = (_bytes.Length + _parts - 1) / _parts;
            for (var offset = 0; offset < _bytes.Length; offset += part)
            {
                await stream.WriteAsync(_bytes.AsMemory(offset, Math.Min(part, _bytes.Length - offset)));
                await stream.FlushAsync();
                if (offset == 0)
                {
                    _started.Signal();
                }

                if (offset + part < _bytes.Length)
                {
                    await Task.Delay(_pause);
                }
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _bytes.Length;
            return true;
        }
    }
}
