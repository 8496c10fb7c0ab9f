using System.Buffers.Binary;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using MnistService.Api.Health;
using MnistService.Api.Metrics;
using MnistService.Api.Settings;

namespace MnistService.Api.Clients;

/// <summary>
/// A per-client limit (section <c>RateLimiting</c>): a token bucket per client (an IPv4 address, an IPv6
/// /64 network), the one a trusted proxy forwarded (see <see cref="ForwardedHeadersSettings"/>) or else the
/// connection's. Health probes and the management port (<c>Metrics:Port</c>) are never limited; /metrics on
/// the main port is. On in production; appsettings.Development.json turns it off.
/// </summary>
public sealed class RateLimitingOptions
{
    public const string Section = "RateLimiting";

    public bool Enabled { get; set; } = true;

    /// <summary>Requests a client may make at once after a quiet spell (the bucket's size).</summary>
    [Range(1, 1_000_000)]
    public int BurstLimit { get; set; } = 100;

    /// <summary>Requests per second a client may keep up (the bucket's refill rate).</summary>
    [Range(1, 1_000_000)]
    public int RequestsPerSecond { get; set; } = 20;

    /// <summary>How often the bucket is topped up; <see cref="RequestsPerSecond"/> is spread over it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);
}

public static class RateLimiting
{
    // Partition keys no client key can take: client keys have either their top 64 bits zero (IPv4,
    // loopback) or their low 64 bits zero (an IPv6 /64).
    private static readonly UInt128 NoLimitKey = UInt128.MaxValue - 1;
    private static readonly UInt128 UnknownClientKey = UInt128.MaxValue;

    public static IServiceCollection AddClientRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<RateLimitingOptions>(configuration, RateLimitingOptions.Section);
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitingOptions>, IOptions<MetricsOptions>>((limiter, configured, metrics) =>
        {
            var options = configured.Value;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, UInt128>(context =>
            {
                if (!options.Enabled || OperationalPaths.IsProbe(context.Request.Path) || metrics.Value.IsManagementRequest(context))
                {
                    return RateLimitPartition.GetNoLimiter(NoLimitKey);
                }
                var client = ClientKey(context.Connection.RemoteIpAddress);
                return RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.BurstLimit,
                    TokensPerPeriod = Math.Max(1, (int)Math.Round(options.RequestsPerSecond * options.ReplenishmentPeriod.TotalSeconds)),
                    ReplenishmentPeriod = options.ReplenishmentPeriod,
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = (rejected, cancellationToken) => WriteTooManyRequestsAsync(rejected, options, cancellationToken);
        });
        return services;
    }

    /// <summary>
    /// The bucket a client's requests count against, as a number so that picking it allocates nothing.
    /// IPv4: the address, the same whether it came as 192.0.2.1 (forwarded) or as ::ffff:192.0.2.1 (a
    /// dual-stack socket). IPv6: the address's /64 network, the smallest block a site is given. One host
    /// may use any address of its /64 (privacy extensions hand out new ones all day), so a bucket per
    /// address would let a client slip the limit by changing its address. Loopback (::1) is one address.
    /// </summary>
    internal static UInt128 ClientKey(IPAddress? address)
    {
        if (address is null)
        {
            return UnknownClientKey;
        }
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            // ::ffff:a.b.c.d, as a dual-stack socket reports it (written in place: MapToIPv6 would allocate).
            bytes[10] = bytes[11] = 0xff;
            address.TryWriteBytes(bytes[12..], out _);
            return BinaryPrimitives.ReadUInt128BigEndian(bytes);
        }
        address.TryWriteBytes(bytes, out _);
        var key = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        return address.IsIPv4MappedToIPv6 || IPAddress.IsLoopback(address) ? key : key & ~(UInt128)ulong.MaxValue;
    }

    /// <summary>429 problem+json with Retry-After in whole seconds (at least 1).</summary>
    private static async ValueTask WriteTooManyRequestsAsync(OnRejectedContext rejected, RateLimitingOptions options, CancellationToken cancellationToken)
    {
        var http = rejected.HttpContext;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : options.ReplenishmentPeriod;
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = $"This client sent more than {options.BurstLimit} requests at once or {options.RequestsPerSecond} per second for a while; retry after {seconds} s.",
            },
        });
    }

    /// <summary>
    /// The limiter. Switched off, every request gets the no-limit partition. Its options are read when the
    /// pipeline is built at start, after the start has validated them with every other setting, so a bad
    /// value is named together with the others rather than alone while the app is put together.
    /// </summary>
    public static WebApplication UseClientRateLimiting(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }
}
