using System.Text.RegularExpressions;

namespace MnistService.Deploy.Tests.Infrastructure;

/// <summary>
/// Every HTTP path the deployment files ask the service for: the image's HEALTHCHECK, the compose health
/// check, the Kubernetes probes and Prometheus's metrics path. The smoke test requests each of them.
/// </summary>
public static partial class ProbePaths
{
    public static IReadOnlyList<string> All { get; } = Collect();

    private static List<string> Collect()
    {
        var paths = new List<string>();
        var dockerfile = new Dockerfile(Repo.PathOf("Dockerfile"));
        paths.AddRange(HttpGet().Matches(string.Join(' ', dockerfile["service"].Last("HEALTHCHECK")!.HealthcheckCommand)).Select(m => m.Groups[1].Value));

        var compose = Yaml.Load(Path.Combine(Repo.DeployDirectory, "compose.yaml"));
        var composeCheck = string.Join(' ', compose.Obj("services").Obj("service").Obj("healthcheck").Arr("test").Select(t => t.Str()));
        paths.AddRange(HttpGet().Matches(composeCheck).Select(m => m.Groups[1].Value));

        foreach (var file in Directory.EnumerateFiles(Path.Combine(Repo.DeployDirectory, "k8s"), "*.yaml"))
        {
            foreach (var document in Yaml.LoadDocuments(file))
            {
                if (document["kind"]?.Str() == "Deployment")
                {
                    foreach (var container in document.Obj("spec").Obj("template").Obj("spec").Arr("containers").Objects())
                    {
                        foreach (var probe in new[] { "readinessProbe", "livenessProbe", "startupProbe" })
                        {
                            if (container[probe]?["httpGet"]?["path"] is { } path)
                            {
                                paths.Add(path.Str());
                            }
                        }
                    }
                }
            }
        }

        var prometheus = Yaml.Load(Path.Combine(Repo.DeployDirectory, "prometheus", "prometheus.yml"));
        paths.AddRange(prometheus.Arr("scrape_configs").Objects()
            .Where(j => j["job_name"].Str() == "mnist-service").Select(j => j["metrics_path"].Str()));
        return paths.Distinct().Order(StringComparer.Ordinal).ToList();
    }

    [GeneratedRegex(@"GET (/\S*) HTTP")]
    private static partial Regex HttpGet();
}
