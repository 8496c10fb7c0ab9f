using System.Net;
using System.Net.Sockets;
using System.Text;
using MnistService.Reliability.Tests.Infrastructure;

namespace MnistService.Reliability.Tests;

/// <summary>A client that starts a request and then sends nothing more is cut off with 408 problem+json (real Kestrel).</summary>
public sealed class RequestTimeoutTests : IDisposable
{
    private readonly string _models = TempDirectory.New("timeout");

    public void Dispose() => TempDirectory.TryDelete(_models);

    [Fact]
    public async Task A_stalled_upload_gets_408_problem_json_at_the_configured_timeout_and_the_service_goes_on()
    {
        File.Copy(Repo.DefaultModel, Path.Combine(_models, "mnist-cnn.onnx"));
        using var service = await ServiceProcess.StartAsync(_models, new Dictionary<string, string> { ["RequestTimeouts__Timeout"] = "00:00:00.500" });

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, service.Address.Port);
        var head = "POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{\"pixels\": [0,";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var answer = new StringBuilder();
        var buffer = new byte[8192];
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!answer.ToString().Contains("\r\n\r\n{", StringComparison.Ordinal) || !answer.ToString().TrimEnd().EndsWith('}'))
        {
            var n = await socket.ReceiveAsync(buffer, cancel.Token);
            if (n == 0)
            {
                break;
            }

            answer.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
        var elapsed = clock.Elapsed;
        var text = answer.ToString();

        Assert.StartsWith("HTTP/1.1 408", text);
        Assert.Contains("Content-Type: application/problem+json", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"status\":408", text);
        Assert.InRange(elapsed.TotalSeconds, 0.3, 5);
        using var http = new HttpClient { BaseAddress = service.Address };
        using var ok = await http.PostAsync("predict", Bodies.Create(1));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task A_body_that_trickles_in_is_cut_off_at_the_configured_timeout_with_408_Request_Timeout()
    {
        // With Kestrel's own minimum data rate on (240 bytes/s after a 5 s grace), this client would be cut
        // off first, at about 6 s, as 408 "Bad request" with a detail about MinRequestBodyDataRate.
        File.Copy(Repo.DefaultModel, Path.Combine(_models, "mnist-cnn.onnx"));
        using var service = await ServiceProcess.StartAsync(_models, new Dictionary<string, string> { ["RequestTimeouts__Timeout"] = "00:00:09" });

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, service.Address.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes("POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{\"pixels\": [0"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var answer = new StringBuilder();
        var receiving = ReceiveAsync(socket, answer);
        while (!receiving.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            try
            {
                await socket.SendAsync(",0"u8.ToArray()); // 4 bytes a second
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
            {
                break; // the server answered and closed; the answer is what was received
            }
            await Task.WhenAny(receiving, Task.Delay(500));
        }
        await receiving;
        var elapsed = clock.Elapsed;
        var text = answer.ToString();

        Assert.StartsWith("HTTP/1.1 408", text);
        Assert.Contains("\"title\":\"Request Timeout\"", text);
        Assert.Contains("\"detail\":\"The request took longer than 9 s and was cut off.\"", text);
        Assert.DoesNotContain("MinRequestBodyDataRate", text);
        Assert.InRange(elapsed.TotalSeconds, 8.5, 15);
    }

    /// <summary>
    /// Reads until the answer's JSON body is complete or the connection closes. A reset ends it too: a client still
    /// sending after the server answered and closed gets one, and what arrived before it is the answer to check.
    /// </summary>
    private static async Task ReceiveAsync(Socket socket, StringBuilder answer)
    {
        var buffer = new byte[8192];
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!answer.ToString().Contains("\r\n\r\n{", StringComparison.Ordinal) || !answer.ToString().TrimEnd().EndsWith('}'))
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, cancel.Token);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                break;
            }
            if (n == 0)
            {
                break;
            }
            answer.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
    }
}
