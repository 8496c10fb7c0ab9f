using MnistService.Api.Metrics;

namespace MnistService.Api.Health;

/// <summary>
/// What probes and Prometheus call every few seconds, logged at Debug, out of the Information stream.
/// Probes are never rate-limited: a refused probe would have a healthy pod restarted. The scrape is,
/// on the main port like every other request (on the management port, <c>Metrics:Port</c>, nothing is).
/// </summary>
public static class OperationalPaths
{
    private static readonly string[] Probes = [HealthEndpoints.LivenessPath, HealthEndpoints.ReadinessPath];

    public static bool IsProbe(PathString path)
    {
        foreach (var candidate in Probes)
        {
            if (path.Equals(candidate, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    public static bool IsProbeOrScrape(PathString path) =>
        IsProbe(path) || path.Equals(MetricsEndpoints.ScrapePath, StringComparison.OrdinalIgnoreCase);
}
