using System.ComponentModel.DataAnnotations;
using MnistService.Api.Settings;

namespace MnistService.Api.Startup;

/// <summary>
/// Graceful stop (section <c>Shutdown</c>): on SIGTERM the server stops accepting connections and lets
/// the requests in flight finish for up to <see cref="Timeout"/>; keep it below the orchestrator's
/// grace period (Kubernetes: 30 s by default).
/// </summary>
public sealed class ShutdownOptions
{
    public const string Section = "Shutdown";

    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(25);
}

public static class GracefulShutdown
{
    public static IServiceCollection AddGracefulShutdown(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ShutdownOptions>(configuration, ShutdownOptions.Section);
        // The host reads its options while it is built, before options are validated at start: an invalid
        // timeout keeps the host's default here, and the start then fails naming it.
        services.AddOptions<HostOptions>().Configure(host =>
        {
            if (ValidatedOptions.TryRead<ShutdownOptions>(configuration, ShutdownOptions.Section) is { } shutdown)
            {
                host.ShutdownTimeout = shutdown.Timeout;
            }
        });
        return services;
    }
}
