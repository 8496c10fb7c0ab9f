using System.Text.Json.Nodes;
using MnistService.Deploy.Tests.Infrastructure;

namespace MnistService.Deploy.Tests;

/// <summary>deploy/compose.yaml and deploy/prometheus/prometheus.yml parse and point only at things that exist.</summary>
public sealed class ComposeTests
{
    private static readonly string ComposePath = Path.Combine(Repo.DeployDirectory, "compose.yaml");
    private static readonly JsonObject Compose = Yaml.Load(ComposePath);
    private static readonly JsonObject Services = Compose.Obj("services");
    private static readonly Dockerfile Dockerfile = new(Repo.PathOf("Dockerfile"));

    [Fact]
    public void Builds_use_the_repository_Dockerfile_and_its_targets()
    {
        var builds = Services.Where(s => s.Value?["build"] is not null).ToList();
        Assert.NotEmpty(builds);
        foreach (var (name, service) in builds)
        {
            var build = service.Obj("build");
            var context = Path.GetFullPath(Path.Combine(Repo.DeployDirectory, build["context"].Str()));
            Assert.Equal(Repo.Root.TrimEnd('/'), context.TrimEnd('/'));
            Assert.True(File.Exists(Path.Combine(context, build["dockerfile"].Str())), $"{name}: no {build["dockerfile"]}");
            Assert.Contains(build["target"].Str(), Dockerfile.Stages.Select(s => s.Name));
        }
        // Every image a service runs is built by one of them (nothing is pulled that we did not build, but Prometheus and PostgreSQL).
        // Services sharing an image build it from the same target (compose builds it once; the cache serves the rest).
        var built = builds.GroupBy(b => b.Value!["image"].Str())
            .ToDictionary(g => g.Key, g => g.Select(b => b.Value!.Obj("build")["target"].Str()).Distinct().Single());
        Assert.Equal("service", built["mnist-service:latest"]);
        Assert.Equal("worker", built["mnist-worker:latest"]);
        foreach (var (name, service) in Services.Where(s => s.Key is not ("prometheus" or "postgres")))
        {
            Assert.True(built.ContainsKey(service!["image"].Str()), $"{name} runs an image no service builds.");
        }
    }

    [Fact]
    public void The_service_publishes_the_port_it_listens_on_and_reads_models_from_the_shared_volume()
    {
        var service = Services.Obj("service");
        var env = service.Obj("environment");
        var port = env["ASPNETCORE_HTTP_PORTS"].Str();
        Assert.Contains(port, Dockerfile["service"].All("EXPOSE").SelectMany(e => e.Words));
        Assert.Contains($"{port}:{port}", service.Arr("ports").Select(p => p.Str()));
        Assert.Equal("/models", env["Models__Directory"].Str());
        Assert.Contains("models:/models", service.Arr("volumes").Select(v => v.Str())); // writes job files, the default choice
        Assert.Equal("External", env["Training__Worker"].Str()); // the worker service trains the jobs
        var secret = service.Arr("secrets").Single().Str();
        Assert.Equal($"/run/secrets/{secret}", env["Training__ApiKeyFile"].Str());
        Assert.NotNull(Compose.Obj("secrets").Obj(secret)["environment"]);
        Assert.Contains("models:/models", Services.Obj("worker").Arr("volumes").Select(v => v.Str()));
        Assert.Contains("models:/models", Services.Obj("models-init").Arr("volumes").Select(v => v.Str()));
    }

    [Fact]
    public void Named_volumes_are_declared_and_bind_mounts_exist()
    {
        var declared = Compose.Obj("volumes").Select(v => v.Key).ToHashSet();
        foreach (var (name, service) in Services)
        {
            foreach (var volume in (service!["volumes"] as JsonArray ?? []).Select(v => v.Str()))
            {
                var source = volume.Split(':')[0];
                if (source.StartsWith('.') || source.StartsWith('/'))
                {
                    Assert.True(File.Exists(Path.Combine(Repo.DeployDirectory, source)) || Directory.Exists(Path.Combine(Repo.DeployDirectory, source)),
                        $"{name}: bind mount source {source} does not exist.");
                }
                else
                {
                    Assert.Contains(source, declared);
                }
            }
        }
    }

    [Fact]
    public void Long_running_services_restart_and_have_health_checks_and_dependencies_exist()
    {
        foreach (var name in new[] { "service", "worker", "prometheus", "postgres" })
        {
            Assert.Equal("unless-stopped", Services.Obj(name)["restart"].Str());
        }

        Assert.Equal("no", Services.Obj("models-init")["restart"].Str());

        // The service's check is the image's; the worker relies on its image's HEALTHCHECK.
        var serviceCheck = Services.Obj("service").Obj("healthcheck").Arr("test").Select(t => t.Str()).ToList();
        var imageCheck = Dockerfile["service"].Last("HEALTHCHECK")!.HealthcheckCommand
            .Select(a => a.Replace("${ASPNETCORE_HTTP_PORTS%%[;,]*}", "8080"));
        Assert.Equal(["CMD", .. imageCheck], serviceCheck);
        Assert.NotNull(Dockerfile["worker"].Last("HEALTHCHECK"));
        Assert.Contains("/-/healthy", string.Join(' ', Services.Obj("prometheus").Obj("healthcheck").Arr("test").Select(t => t.Str())));
        Assert.Contains("pg_isready", Services.Obj("postgres").Obj("healthcheck").Arr("test").Select(t => t.Str()));

        foreach (var (name, service) in Services)
        {
            foreach (var dependency in service!["depends_on"] as JsonObject ?? [])
            {
                Assert.True(Services.ContainsKey(dependency.Key), $"{name} depends on unknown service {dependency.Key}.");
            }
        }
    }

    [Fact]
    public void Prometheus_scrapes_the_service_metrics_on_its_management_port_which_is_not_published()
    {
        var mount = Services.Obj("prometheus").Arr("volumes").Select(v => v.Str()).Single(v => v.Contains("prometheus.yml"));
        var configPath = Path.Combine(Repo.DeployDirectory, mount.Split(':')[0]);
        Assert.Equal(Path.Combine(Repo.DeployDirectory, "prometheus", "prometheus.yml"), Path.GetFullPath(configPath));
        Assert.Contains("--config.file=" + mount.Split(':')[1], Services.Obj("prometheus").Arr("command").Select(c => c.Str()));

        var config = Yaml.Load(configPath);
        var job = config.Arr("scrape_configs").Objects().Single(j => j["job_name"].Str() == "mnist-service");
        Assert.Equal("/metrics", job["metrics_path"].Str());
        var target = job.Arr("static_configs").Objects().Single().Arr("targets").Single().Str();
        var (host, port) = (target.Split(':')[0], target.Split(':')[1]);
        Assert.True(Services.ContainsKey(host), $"Prometheus scrapes {host}, which is not a compose service.");
        var environment = Services.Obj(host).Obj("environment");
        Assert.Equal(environment["Metrics__Port"].Str(), port);
        Assert.NotEqual(environment["ASPNETCORE_HTTP_PORTS"].Str(), port);
        // Reached on the compose network only: the host publishes the page's port, not this one.
        Assert.DoesNotContain(Services.Obj(host).Arr("ports").Select(p => p.Str()), p => p.Split(':').Contains(port));
        Assert.Contains(job["metrics_path"].Str(), ProbePaths.All);
    }

    [Fact]
    public void The_service_stores_answers_in_the_postgres_service_with_its_database_user_and_password()
    {
        var postgres = Services.Obj("postgres");
        var env = postgres.Obj("environment");
        Assert.Matches(@"^postgres:\d+\.\d+$", postgres["image"].Str()); // pinned
        Assert.Null(postgres["ports"]); // only the compose network reaches it
        var connection = Services.Obj("service").Obj("environment")["Feedback__ConnectionString"].Str();
        Assert.True(MnistService.Core.Feedback.FeedbackDatabase.IsPostgres(connection));
        var parts = connection.Split(';').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal("postgres", parts["Host"]);
        Assert.Equal(env["POSTGRES_DB"].Str(), parts["Database"]);
        Assert.Equal(env["POSTGRES_USER"].Str(), parts["Username"]);
        Assert.Equal(env["POSTGRES_PASSWORD"].Str(), parts["Password"]);
        Assert.Contains("feedback-db:/var/lib/postgresql/data", postgres.Arr("volumes").Select(v => v.Str()));
    }
}
