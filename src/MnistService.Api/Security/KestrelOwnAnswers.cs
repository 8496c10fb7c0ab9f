using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace MnistService.Api.Security;

/// <summary>
/// The security headers on the answers Kestrel gives by itself, without running the app: 400 for a
/// request line or headers it cannot parse, 408 for headers that do not arrive within its timeout, 431
/// for headers over its size limit, 414, 505, and 500 for an app that failed before its answer started.
/// Kestrel writes these straight to the connection and offers no hook for them, so each connection's
/// output is watched: bytes Kestrel writes while no request is in the app are one of these answers, and
/// the headers go in after its status line. The app marks its stretch (<see cref="RunInApp"/>) and
/// finishes its own answer before leaving it, so that nothing of the app's answers is written outside.
/// </summary>
public static class KestrelOwnAnswers
{
    private static readonly object StateKey = new();

    /// <summary>The watch, on every endpoint Kestrel listens on.</summary>
    public static IServiceCollection AddKestrelOwnAnswerHeaders(this IServiceCollection services)
    {
        services.AddOptions<KestrelServerOptions>().Configure(kestrel => kestrel.ConfigureEndpointDefaults(listen =>
        {
            var options = listen.ApplicationServices.GetRequiredService<IOptions<SecurityHeadersOptions>>();
            byte[]? headerLines = null;
            listen.Use(next => connection =>
            {
                // Read at the first connection, after the start has validated the options.
                headerLines ??= HeaderLines(options.Value);
                var state = new ConnectionState();
                connection.Items[StateKey] = state;
                var transport = connection.Transport;
                connection.Transport = new DuplexPipe(transport.Input, new AnswerWriter(transport.Output, state, headerLines));
                return next(connection);
            });
        }));
        return services;
    }

    /// <summary>Runs the app's part of a request, then finishes its answer, so that Kestrel writes nothing of it afterwards.</summary>
    public static async Task RunInApp(HttpContext context, RequestDelegate next)
    {
        if (context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(StateKey, out var value) != true || value is not ConnectionState state)
        {
            await next(context); // not Kestrel (the tests' in-memory server)
            return;
        }
        state.Enter();
        try
        {
            await next(context);
            await context.Response.CompleteAsync();
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left; Kestrel writes nothing more on this connection.
        }
        finally
        {
            state.Leave();
        }
    }

    /// <summary>"Name: value\r\n" for every security header of a non-Swagger answer; a value that could not go on the wire as it is, left out.</summary>
    internal static byte[] HeaderLines(SecurityHeadersOptions options)
    {
        var lines = new StringBuilder();
        foreach (var (name, value) in SecurityHeaders.For(options, swagger: false))
        {
            if (value.All(c => c is >= ' ' and <= '~'))
            {
                lines.Append(name).Append(": ").Append(value).Append("\r\n");
            }
        }
        return Encoding.ASCII.GetBytes(lines.ToString());
    }

    /// <summary>Inserts <paramref name="headerLines"/> after the status line of an HTTP/1.x answer that does not have them yet.</summary>
    internal static byte[] AddHeaders(ReadOnlySpan<byte> answer, byte[] headerLines)
    {
        var statusLineEnd = answer.IndexOf("\r\n"u8);
        var headersEnd = answer.IndexOf("\r\n\r\n"u8);
        var firstHeader = headerLines.AsSpan(0, Math.Max(0, headerLines.AsSpan().IndexOf((byte)':')));
        if (!answer.StartsWith("HTTP/1."u8) || statusLineEnd < 0 || firstHeader.IsEmpty
            || (headersEnd >= 0 ? answer[..headersEnd] : answer).IndexOf(firstHeader) >= 0)
        {
            return answer.ToArray();
        }
        var withHeaders = new byte[answer.Length + headerLines.Length];
        answer[..(statusLineEnd + 2)].CopyTo(withHeaders);
        headerLines.CopyTo(withHeaders, statusLineEnd + 2);
        answer[(statusLineEnd + 2)..].CopyTo(withHeaders.AsSpan(statusLineEnd + 2 + headerLines.Length));
        return withHeaders;
    }

    /// <summary>Whether a request of this connection is in the app, and how often one has entered it.</summary>
    private sealed class ConnectionState
    {
        private int _inApp;
        private int _entries;

        public bool InApp => Volatile.Read(ref _inApp) > 0;
        public int Entries => Volatile.Read(ref _entries);

        public void Enter()
        {
            Interlocked.Increment(ref _entries);
            Interlocked.Increment(ref _inApp);
        }

        public void Leave() => Interlocked.Decrement(ref _inApp);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    /// <summary>
    /// The connection's output. While a request is in the app, a pass-through. Otherwise the first bytes
    /// written are held until Kestrel flushes them, then written with the headers added; the rest, until
    /// the next request enters the app, passes through.
    /// </summary>
    private sealed class AnswerWriter(PipeWriter inner, ConnectionState state, byte[] headerLines) : PipeWriter
    {
        private ArrayBufferWriter<byte>? _held;
        private int _handledUpTo = -1;

        private bool Holding
        {
            get
            {
                if (_held is null && !state.InApp && _handledUpTo != state.Entries)
                {
                    _handledUpTo = state.Entries;
                    _held = new ArrayBufferWriter<byte>(256);
                }
                return _held is not null;
            }
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => Holding ? _held!.GetMemory(sizeHint) : inner.GetMemory(sizeHint);
        public override Span<byte> GetSpan(int sizeHint = 0) => Holding ? _held!.GetSpan(sizeHint) : inner.GetSpan(sizeHint);

        public override void Advance(int bytes)
        {
            if (_held is not null)
            {
                _held.Advance(bytes);
            }
            else
            {
                inner.Advance(bytes);
            }
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            WriteHeld();
            return inner.FlushAsync(cancellationToken);
        }

        public override void Complete(Exception? exception = null)
        {
            WriteHeld();
            inner.Complete(exception);
        }

        public override ValueTask CompleteAsync(Exception? exception = null)
        {
            WriteHeld();
            return inner.CompleteAsync(exception);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;
        public override long UnflushedBytes => inner.UnflushedBytes + (_held?.WrittenCount ?? 0);

        private void WriteHeld()
        {
            if (_held is not { WrittenCount: > 0 } held)
            {
                return;
            }
            _held = null;
            inner.Write(AddHeaders(held.WrittenSpan, headerLines));
        }
    }
}
