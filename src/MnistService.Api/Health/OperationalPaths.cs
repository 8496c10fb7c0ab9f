using MnistService.Api.Metrics;

namespace MnistService.Api.Health;

/// <summary>
/// What probes and Prometheus call every few seconds: never rate-limited (a refused probe would have a
/// healthy pod restarted) and logged at Debug, out of the Information stream.
/// </summary>
public static class OperationalPaths
{
    private static readonly string[] Paths = [HealthEndpoints.LivenessPath, HealthEndpoints.ReadinessPath, MetricsEndpoints.ScrapePath];

    public static bool IsProbeOrScrape(PathString path)
    {
        foreach (var candidate in Paths)
        {
            if (path.Equals(candidate, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
