using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Connections;
using MnistService.Api.Settings;
using Prometheus;

namespace MnistService.Api.Clients;

/// <summary>
/// How many connections the service holds at once (section <c>Connections</c>), overall and per client.
/// A connection past either limit is closed as soon as it is accepted. Each one holds a file descriptor,
/// so the overall limit is also kept below the process's descriptor limit (see <see cref="DescriptorLimit"/>).
/// </summary>
public sealed class ConnectionLimitsOptions
{
    public const string Section = "Connections";

    /// <summary>Connections held at once, idle keep-alive ones included; lowered to fit the descriptor limit.</summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>
    /// Connections one client may hold at once: per IPv4 address or IPv6 /64, as the rate limit counts
    /// clients. As many as the rate limit's burst: a client cannot use more at once anyway. The proxies
    /// of <c>ForwardedHeaders</c> (KnownProxies, KnownNetworks) bring every client's connections and
    /// are held to the overall limit only.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxConnectionsPerClient { get; set; } = 100;
}

public static class ConnectionLimits
{
    public static readonly Gauge Open = Prometheus.Metrics.CreateGauge(
        "mnist_connections_open", "Connections held now, on every port.");

    public static readonly Counter Refused = Prometheus.Metrics.CreateCounter(
        "mnist_connections_refused_total", "Connections closed as soon as they were accepted: client_limit (Connections:MaxConnectionsPerClient), server_limit (Connections:MaxConnections or the descriptor limit).",
        new CounterConfiguration { LabelNames = ["reason"] });

    public static readonly Counter DescriptorShortages = Prometheus.Metrics.CreateCounter(
        "mnist_accept_descriptor_shortages_total", "Accepts that failed for want of a file descriptor (EMFILE, ENFILE); the connection waited in the backlog.");

    /// <summary>
    /// The limits, and Kestrel's socket transport replaced by <see cref="LimitedSocketTransport"/>, which
    /// applies them as it accepts and survives a descriptor shortage. Kestrel tries the transport
    /// registered last first, so this one is used for every TCP endpoint.
    /// </summary>
    public static IServiceCollection AddConnectionLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ConnectionLimitsOptions>(configuration, ConnectionLimitsOptions.Section);
        services.AddSingleton<ConnectionAdmission>();
        services.AddSingleton<IConnectionListenerFactory, LimitedSocketTransport>();
        return services;
    }
}
