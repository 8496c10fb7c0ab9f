using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MnistService.Reliability.Tests.Infrastructure;

/// <summary>HTTP/1.1 over a bare socket: what a client sends byte for byte, and every byte of what comes back.</summary>
public static class RawHttp
{
    /// <summary>A TCP connection to the service, from <paramref name="from"/> (another loopback address is another client).</summary>
    public static async Task<Socket> ConnectAsync(int port, IPAddress? from = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (from is not null)
            {
                socket.Bind(new IPEndPoint(from, 0));
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="request"/> and reads until the service closes the connection (or <paramref name="within"/> passes).</summary>
    public static async Task<string> ExchangeAsync(int port, string request, TimeSpan? within = null, IPAddress? from = null)
    {
        using var socket = await ConnectAsync(port, from);
        await socket.SendAsync(Encoding.Latin1.GetBytes(request));
        return await ReadToEndAsync(socket, within ?? TimeSpan.FromSeconds(10));
    }

    public static async Task<string> ReadToEndAsync(Socket socket, TimeSpan within)
    {
        var answer = new StringBuilder();
        var buffer = new byte[16 * 1024];
        using var timeout = new CancellationTokenSource(within);
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, timeout.Token);
                if (n == 0)
                {
                    break;
                }
                answer.Append(Encoding.Latin1.GetString(buffer, 0, n));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            // Timed out, or reset: what came is the answer.
        }
        return answer.ToString();
    }

    /// <summary>True when the service has closed (or reset) the connection; false while it holds it open.</summary>
    public static bool ClosedByService(Socket socket)
    {
        try
        {
            return socket.Poll(0, SelectMode.SelectRead) && socket.Receive(new byte[1], SocketFlags.Peek) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>Waits up to <paramref name="within"/> for the service to close the connection; false if it is still open then.</summary>
    public static async Task<bool> ClosedWithinAsync(Socket socket, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (!ClosedByService(socket))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(20);
        }
        return true;
    }

    /// <summary>The status line and the headers of each answer in <paramref name="text"/> (bodies skipped by Content-Length or chunking).</summary>
    public static List<(string StatusLine, List<(string Name, string Value)> Headers)> Answers(string text)
    {
        var answers = new List<(string, List<(string, string)>)>();
        var at = 0;
        while (at < text.Length && text.IndexOf("\r\n\r\n", at, StringComparison.Ordinal) is var end and >= 0)
        {
            var lines = text[at..end].Split("\r\n");
            var headers = lines.Skip(1).Select(l => l.Split(':', 2)).Select(p => (p[0].Trim(), p.Length > 1 ? p[1].Trim() : "")).ToList();
            answers.Add((lines[0], headers));
            at = end + 4;
            if (headers.FirstOrDefault(h => h.Item1.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Item2 is { Length: > 0 } length)
            {
                at += int.Parse(length, System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (headers.Any(h => h.Item1.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)))
            {
                var last = text.IndexOf("\r\n0\r\n\r\n", at - 2, StringComparison.Ordinal);
                at = last < 0 ? text.Length : last + 7;
            }
        }
        return answers;
    }
}
