using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using IPNetwork = System.Net.IPNetwork;

namespace MnistService.Api.Clients;

/// <summary>
/// Counts the connections held, overall and per client, and decides as each one is accepted whether it
/// may stay. Refusals and descriptor shortages are logged at most once per <see cref="LogInterval"/>, with
/// how many there were since, so that a flood of them does not become a flood of log lines.
/// </summary>
public sealed class ConnectionAdmission
{
    /// <summary>Fewest connections held at once, however low the descriptor limit.</summary>
    internal const int MinimumConnections = 8;
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly Dictionary<UInt128, int> _perClient = [];
    private readonly List<IPNetwork> _proxies;
    private readonly ILogger<ConnectionAdmission> _logger;
    private readonly Lock _gate = new();
    private int _open;
    private int _refusedPerClient;
    private int _refusedOverall;
    private int _shortages;
    private string? _lastRefusedClient;
    private long _lastRefusalLog = long.MinValue / 2;
    private long _lastShortageLog = long.MinValue / 2;

    public ConnectionAdmission(IOptions<ConnectionLimitsOptions> options, IConfiguration configuration, ILogger<ConnectionAdmission> logger)
    {
        _logger = logger;
        _proxies = ForwardedHeadersSetup.ConfiguredProxies(configuration);
        var configured = options.Value;
        MaxConnectionsPerClient = configured.MaxConnectionsPerClient;
        DescriptorLimitAtStart = DescriptorLimit.Current();
        var openAtStart = DescriptorLimit.OpenNow();
        MaxConnections = Fit(configured.MaxConnections, DescriptorLimitAtStart, openAtStart);
        if (MaxConnections < configured.MaxConnections)
        {
            logger.LogWarning("The descriptor limit (ulimit -n) of {Limit} holds connections to {Max} at once, below {Section}:MaxConnections ({Configured}): " +
                "{Open} descriptors were open at start and {Reserve} are kept free for model files, logs and the runtime; raise the limit to hold more",
                DescriptorLimitAtStart, MaxConnections, ConnectionLimitsOptions.Section, configured.MaxConnections, openAtStart, DescriptorLimit.Reserve);
        }
        logger.LogInformation("Holding at most {Max} connections at once, {PerClient} per client{Proxies}",
            MaxConnections, MaxConnectionsPerClient, _proxies.Count == 0 ? "" : $" ({string.Join(", ", _proxies)}: the overall limit only)");
    }

    /// <summary>Connections held at once: the configured limit, lowered to fit the descriptor limit.</summary>
    public int MaxConnections { get; }
    public int MaxConnectionsPerClient { get; }
    /// <summary>The descriptor limit when the first port was bound, or null when unknown.</summary>
    public long? DescriptorLimitAtStart { get; }

    /// <summary>Connections held now.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>
    /// The configured limit, or what the descriptor limit leaves after the descriptors open at start and
    /// the reserve, whichever is lower (never below <see cref="MinimumConnections"/>).
    /// </summary>
    internal static int Fit(int configured, long? descriptorLimit, int? openAtStart)
    {
        if (descriptorLimit is not { } limit || openAtStart is not { } open)
        {
            return configured;
        }
        var room = limit - open - DescriptorLimit.Reserve;
        return (int)Math.Clamp(room, Math.Min(MinimumConnections, configured), configured);
    }

    /// <summary>A place for a connection from <paramref name="client"/>, or null when it must be closed.</summary>
    public Lease? TryAdmit(IPAddress? client)
    {
        if (Interlocked.Increment(ref _open) > MaxConnections)
        {
            Interlocked.Decrement(ref _open);
            Refuse(client, perClient: false);
            return null;
        }
        UInt128? key = null;
        if (!IsProxy(client))
        {
            key = RateLimiting.ClientKey(client);
            lock (_gate)
            {
                _perClient.TryGetValue(key.Value, out var held);
                if (held >= MaxConnectionsPerClient)
                {
                    Interlocked.Decrement(ref _open);
                    key = null;
                }
                else
                {
                    _perClient[key.Value] = held + 1;
                }
            }
            if (key is null)
            {
                Refuse(client, perClient: true);
                return null;
            }
        }
        ConnectionLimits.Open.Inc();
        return new Lease(this, key);
    }

    /// <summary>An accept failed for want of a descriptor: counted, and logged at most every 10 s.</summary>
    public void DescriptorShortage(SocketException failure)
    {
        ConnectionLimits.DescriptorShortages.Inc();
        int shortages;
        lock (_gate)
        {
            _shortages++;
            if (!Due(ref _lastShortageLog))
            {
                return;
            }
            (shortages, _shortages) = (_shortages, 0);
        }
        _logger.LogWarning("No file descriptor was free to accept a connection ({Error}; {Count} time(s) since the last report): " +
            "the connections wait in the backlog and accepting resumes as descriptors are freed, every {Retry} ms. The descriptor limit is {Limit}, " +
            "{Held} of them connections; lower {Section}:MaxConnections or raise the limit (ulimit -n)",
            failure.Message, shortages, (int)LimitedSocketTransport.ShortageRetry.TotalMilliseconds,
            DescriptorLimit.Current()?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown", Open, ConnectionLimitsOptions.Section);
    }

    private bool IsProxy(IPAddress? client)
    {
        if (client is null || _proxies.Count == 0)
        {
            return false;
        }
        var address = client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client;
        foreach (var proxy in _proxies)
        {
            if (proxy.Contains(address))
            {
                return true;
            }
        }
        return false;
    }

    private void Refuse(IPAddress? client, bool perClient)
    {
        ConnectionLimits.Refused.WithLabels(perClient ? "client_limit" : "server_limit").Inc();
        int byClient, overall;
        string? lastClient;
        lock (_gate)
        {
            if (perClient)
            {
                _refusedPerClient++;
                _lastRefusedClient = client?.ToString();
            }
            else
            {
                _refusedOverall++;
            }
            if (!Due(ref _lastRefusalLog))
            {
                return;
            }
            (byClient, overall, lastClient) = (_refusedPerClient, _refusedOverall, _lastRefusedClient);
            (_refusedPerClient, _refusedOverall) = (0, 0);
        }
        var limit = DescriptorLimitAtStart?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown";
        if (byClient > 0)
        {
            _logger.LogWarning("Refused {Count} connection(s) since the last report from clients that already held {PerClient}, the most one client may " +
                "({Section}:MaxConnectionsPerClient); the last from {Client}", byClient, MaxConnectionsPerClient, ConnectionLimitsOptions.Section, lastClient);
        }
        if (overall > 0)
        {
            _logger.LogWarning("Refused {Count} connection(s) since the last report: the service held {Max}, the most it holds at once " +
                "({Section}:MaxConnections, fitted to the descriptor limit of {Limit})", overall, MaxConnections, ConnectionLimitsOptions.Section, limit);
        }
    }

    /// <summary>True, and the clock reset, when the last report is at least <see cref="LogInterval"/> old. Called under the lock.</summary>
    private static bool Due(ref long lastReport)
    {
        var now = Environment.TickCount64;
        if (now - lastReport < (long)LogInterval.TotalMilliseconds)
        {
            return false;
        }
        lastReport = now;
        return true;
    }

    private void Release(UInt128? key)
    {
        Interlocked.Decrement(ref _open);
        ConnectionLimits.Open.Dec();
        if (key is not { } client)
        {
            return;
        }
        lock (_gate)
        {
            if (_perClient.TryGetValue(client, out var held) && held > 1)
            {
                _perClient[client] = held - 1;
            }
            else
            {
                _perClient.Remove(client);
            }
        }
    }

    /// <summary>A connection's place, given back once when it closes.</summary>
    public sealed class Lease(ConnectionAdmission admission, UInt128? client) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                admission.Release(client);
            }
        }
    }
}
