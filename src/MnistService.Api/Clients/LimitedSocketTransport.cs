using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace MnistService.Api.Clients;

/// <summary>
/// Kestrel's socket transport with the connection limits applied as each connection is accepted: a
/// connection over a limit is closed before anything is allocated for it. The sockets, their options
/// and the connections Kestrel is handed are Kestrel's own (<see cref="SocketTransportOptions"/>,
/// <see cref="SocketConnectionContextFactory"/>); only the accept loop is ours.
/// </summary>
/// <remarks>
/// Kestrel's accept loop retries a failed accept at once. When no descriptor is free (EMFILE) that is a
/// busy loop, about 12,000 failed accepts in a few seconds under a lowered limit, which said nothing
/// above Debug. This loop logs the shortage and waits <see cref="ShortageRetry"/> before trying again.
/// </remarks>
public sealed class LimitedSocketTransport(IOptions<SocketTransportOptions> options, ConnectionAdmission admission, ILoggerFactory loggers)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    /// <summary>The wait after an accept failed for want of a descriptor: long enough not to spin, short against a client's connect timeout.</summary>
    internal static readonly TimeSpan ShortageRetry = TimeSpan.FromMilliseconds(100);

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var listener = new Listener(endpoint, options.Value, admission, loggers.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets"));
        return ValueTask.FromResult<IConnectionListener>(listener);
    }

    private sealed class Listener : IConnectionListener
    {
        private readonly Socket _socket;
        private readonly SocketTransportOptions _options;
        private readonly ConnectionAdmission _admission;
        private readonly SocketConnectionContextFactory _connections;

        public Listener(EndPoint endpoint, SocketTransportOptions options, ConnectionAdmission admission, ILogger logger)
        {
            _options = options;
            _admission = admission;
            try
            {
                _socket = options.CreateBoundListenSocket(endpoint);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                throw new AddressInUseException(e.Message, e);
            }
            EndPoint = _socket.LocalEndPoint!;
            _socket.Listen(options.Backlog);
            _connections = new SocketConnectionContextFactory(ConnectionOptions(options), logger);
        }

        /// <summary>
        /// The options Kestrel gives its own connections, made by the constructor Kestrel uses: it carries
        /// Kestrel's memory pool, which the public one does not (it falls back to a simple pool; the
        /// answers' chunks came out split differently). Should that constructor go, the public one is used.
        /// </summary>
        private static SocketConnectionFactoryOptions ConnectionOptions(SocketTransportOptions options)
        {
            var kestrels = typeof(SocketConnectionFactoryOptions).GetConstructor(
                System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance, [typeof(SocketTransportOptions)]);
            return kestrels?.Invoke([options]) as SocketConnectionFactoryOptions ?? new SocketConnectionFactoryOptions
            {
                IOQueueCount = options.IOQueueCount,
                WaitForDataBeforeAllocatingBuffer = options.WaitForDataBeforeAllocatingBuffer,
                MaxReadBufferSize = options.MaxReadBufferSize,
                MaxWriteBufferSize = options.MaxWriteBufferSize,
                UnsafePreferInlineScheduling = options.UnsafePreferInlineScheduling,
            };
        }

        public EndPoint EndPoint { get; }

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                Socket accepted;
                try
                {
                    accepted = await _socket.AcceptAsync(cancellationToken);
                }
                catch (ObjectDisposedException)
                {
                    return null; // unbound: Kestrel is stopping
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted)
                {
                    return null;
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
                {
                    _admission.DescriptorShortage(e);
                    await Task.Delay(ShortageRetry, CancellationToken.None);
                    continue;
                }
                catch (SocketException)
                {
                    continue; // reset while it waited in the backlog, as Kestrel does
                }

                if (accepted.LocalEndPoint is IPEndPoint)
                {
                    accepted.NoDelay = _options.NoDelay;
                }
                var lease = _admission.TryAdmit((accepted.RemoteEndPoint as IPEndPoint)?.Address);
                if (lease is null)
                {
                    accepted.Dispose();
                    continue;
                }
                try
                {
                    return new AdmittedConnection(_connections.Create(accepted), lease);
                }
                catch
                {
                    lease.Dispose();
                    accepted.Dispose();
                    throw;
                }
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            _socket.Dispose();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            _socket.Dispose();
            _connections.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Kestrel's connection, with its place in the limits given back when Kestrel disposes it.</summary>
    private sealed class AdmittedConnection(ConnectionContext inner, ConnectionAdmission.Lease lease) : ConnectionContext
    {
        public override string ConnectionId { get => inner.ConnectionId; set => inner.ConnectionId = value; }
        public override IFeatureCollection Features => inner.Features;
        public override IDictionary<object, object?> Items { get => inner.Items; set => inner.Items = value; }
        public override IDuplexPipe Transport { get => inner.Transport; set => inner.Transport = value; }
        public override EndPoint? LocalEndPoint { get => inner.LocalEndPoint; set => inner.LocalEndPoint = value; }
        public override EndPoint? RemoteEndPoint { get => inner.RemoteEndPoint; set => inner.RemoteEndPoint = value; }
        public override CancellationToken ConnectionClosed { get => inner.ConnectionClosed; set => inner.ConnectionClosed = value; }

        public override void Abort(ConnectionAbortedException abortReason) => inner.Abort(abortReason);

        public override async ValueTask DisposeAsync()
        {
            try
            {
                await inner.DisposeAsync();
            }
            finally
            {
                lease.Dispose();
            }
        }
    }
}
