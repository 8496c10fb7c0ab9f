using System.Text.Json.Nodes;
using MnistService.Core.Training.Jobs;
using MnistService.Deploy.Tests.Infrastructure;
using MnistService.Trainer.Worker;

namespace MnistService.Deploy.Tests;

/// <summary>deploy/k8s/*.yaml parse, and their names, labels, ports, volumes and images fit together.</summary>
public sealed class KubernetesTests
{
    private static readonly string Folder = Path.Combine(Repo.DeployDirectory, "k8s");
    private static readonly IReadOnlyList<(string File, JsonObject Document)> Manifests =
        Directory.EnumerateFiles(Folder, "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .SelectMany(f => Yaml.LoadDocuments(f).Select(d => (Path.GetFileName(f), d))).ToList();
    private static readonly Dockerfile Dockerfile = new(Repo.PathOf("Dockerfile"));

    private static JsonObject One(string kind) => Manifests.Single(m => m.Document["kind"]!.Str() == kind).Document;
    private static JsonObject PodSpec(JsonObject workload) => workload.Obj("spec").Obj("template").Obj("spec");
    private static JsonObject Api => PodSpec(One("Deployment")).Arr("containers").Objects().Single(c => c["name"].Str() == "api");
    private static JsonObject Worker => PodSpec(One("Job")).Arr("containers").Objects().Single();

    [Fact]
    public void Every_manifest_has_a_known_kind_and_api_version_and_kustomization_lists_them_all()
    {
        var expected = new Dictionary<string, string>
        {
            ["Deployment"] = "apps/v1",
            ["Service"] = "v1",
            ["Ingress"] = "networking.k8s.io/v1",
            ["HorizontalPodAutoscaler"] = "autoscaling/v2",
            ["PersistentVolumeClaim"] = "v1",
            ["Job"] = "batch/v1",
        };
        Assert.Equal(expected.Keys.Order(), Manifests.Select(m => m.Document["kind"]!.Str()).Order());
        foreach (var (file, document) in Manifests)
        {
            Assert.Equal(expected[document["kind"]!.Str()], document["apiVersion"].Str());
            Assert.False(string.IsNullOrEmpty(document.Obj("metadata")["name"]?.Str()), $"{file}: no metadata.name");
        }

        var kustomization = Yaml.Load(Path.Combine(Folder, "kustomization.yaml"));
        Assert.Equal(Manifests.Select(m => m.File).Distinct().Order(), kustomization.Arr("resources").Select(r => r.Str()).Order());
    }

    [Fact]
    public void Selectors_match_the_pod_labels_of_the_Deployment()
    {
        var deployment = One("Deployment");
        var podLabels = deployment.Obj("spec").Obj("template").Obj("metadata").Obj("labels");
        var matchLabels = deployment.Obj("spec").Obj("selector").Obj("matchLabels");
        var serviceSelector = One("Service").Obj("spec").Obj("selector");
        foreach (var selector in new[] { matchLabels, serviceSelector })
        {
            Assert.NotEmpty(selector);
            foreach (var (key, value) in selector)
            {
                Assert.Equal(value.Str(), podLabels[key]?.Str());
            }
        }
        // The worker's pods are not behind the Service.
        var workerLabels = One("Job").Obj("spec").Obj("template").Obj("metadata").Obj("labels");
        Assert.False(serviceSelector.All(s => workerLabels[s.Key]?.Str() == s.Value.Str()));
    }

    [Fact]
    public void Ports_agree_from_the_image_to_the_Service()
    {
        var imagePort = Dockerfile["service"].Environment()["ASPNETCORE_HTTP_PORTS"];
        Assert.Contains(imagePort, Dockerfile["service"].All("EXPOSE").SelectMany(e => e.Words));
        var port = Api.Arr("ports").Objects().Single(p => p["name"].Str() == "http");
        Assert.Equal(imagePort, port["containerPort"].Str());
        Assert.Equal(imagePort, Api.Arr("env").Objects().Single(e => e["name"].Str() == "ASPNETCORE_HTTP_PORTS")["value"].Str());

        var servicePort = One("Service").Obj("spec").Arr("ports").Objects().Single(p => p["name"].Str() == "http");
        var target = servicePort["targetPort"].Str();
        Assert.True(target == port["name"]?.Str() || target == imagePort, $"Service targetPort {target} is not the container's port.");
        foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
        {
            var probePort = Api.Obj(probe).Obj("httpGet")["port"].Str();
            Assert.True(probePort == port["name"]?.Str() || probePort == imagePort, $"{probe} port {probePort}");
        }
    }

    [Fact]
    public void Prometheus_scrapes_the_management_port_which_the_Ingress_never_routes_to()
    {
        var metricsPort = Api.Arr("env").Objects().Single(e => e["name"].Str() == "Metrics__Port")["value"].Str();
        var containerPort = Api.Arr("ports").Objects().Single(p => p["containerPort"].Str() == metricsPort);
        Assert.NotEqual(Dockerfile["service"].Environment()["ASPNETCORE_HTTP_PORTS"], metricsPort);
        var annotations = One("Deployment").Obj("spec").Obj("template").Obj("metadata").Obj("annotations");
        Assert.Equal("true", annotations["prometheus.io/scrape"].Str());
        Assert.Equal(metricsPort, annotations["prometheus.io/port"].Str());
        Assert.Equal("/metrics", annotations["prometheus.io/path"].Str());

        // The Service offers it by name, for a ServiceMonitor; the Ingress routes to the other port alone.
        var servicePorts = One("Service").Obj("spec").Arr("ports").Objects().ToList();
        var metricsServicePort = servicePorts.Single(p => p["targetPort"].Str() == containerPort["name"].Str() || p["targetPort"].Str() == metricsPort);
        var routed = One("Ingress").Obj("spec").Arr("rules").Objects()
            .SelectMany(rule => rule.Obj("http").Arr("paths").Objects()).Select(path => path.Obj("backend").Obj("service").Obj("port"))
            .ToList();
        Assert.NotEmpty(routed);
        foreach (var backend in routed)
        {
            Assert.NotEqual(metricsServicePort["name"].Str(), backend["name"]?.Str());
            Assert.NotEqual(metricsServicePort["port"].Str(), backend["number"]?.Str());
        }
        Assert.Null(One("Ingress").Obj("spec")["defaultBackend"]);
    }

    [Fact]
    public void The_ingress_routes_to_the_Service_port_and_takes_uploads_as_large_as_the_service_does()
    {
        var ingress = One("Ingress");
        var backend = ingress.Obj("spec").Arr("rules").Objects().Single().Obj("http").Arr("paths").Objects().Single().Obj("backend").Obj("service");
        var service = One("Service");
        Assert.Equal(service.Obj("metadata")["name"].Str(), backend["name"].Str());
        Assert.Contains(backend.Obj("port")["name"].Str(), service.Obj("spec").Arr("ports").Objects().Select(p => p["name"]?.Str()));

        // nginx refuses bodies over 1 MiB by default; the service's own limit is what should answer.
        var bodySize = ingress.Obj("metadata").Obj("annotations")["nginx.ingress.kubernetes.io/proxy-body-size"].Str();
        Assert.EndsWith("m", bodySize);
        var settings = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Repo.PathOf("src/MnistService.Api/appsettings.json")))!;
        Assert.Equal(settings["Limits"]!["MaxRequestBytes"]!.GetValue<long>(), long.Parse(bodySize[..^1]) * 1024 * 1024);
    }

    [Fact]
    public void The_service_takes_forwarded_headers_from_the_ingress_pods_network_and_no_one_else()
    {
        var environment = Api.Arr("env").Objects().Where(e => e["value"] is not null).ToDictionary(e => e["name"].Str(), e => e["value"].Str());
        var networks = environment.Where(e => e.Key.StartsWith("ForwardedHeaders__KnownNetworks", StringComparison.Ordinal)).Select(e => e.Value).ToList();
        var network = System.Net.IPNetwork.Parse(Assert.Single(networks));
        // A private range, as pod networks are: none of the internet's addresses, and not everyone (/0).
        Assert.InRange(network.PrefixLength, 8, 24);
        string[] privateRanges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"];
        Assert.Contains(privateRanges, range => System.Net.IPNetwork.Parse(range).Contains(network.BaseAddress));
        // ASP.NET Core's switch for containers behind proxies trusts every address: never set.
        Assert.DoesNotContain("ASPNETCORE_FORWARDEDHEADERS_ENABLED", environment.Keys);
    }

    [Fact]
    public void Readiness_is_readyz_and_liveness_is_healthz()
    {
        Assert.Equal("/readyz", Api.Obj("readinessProbe").Obj("httpGet")["path"].Str());
        Assert.Equal("/healthz", Api.Obj("livenessProbe").Obj("httpGet")["path"].Str());
    }

    [Fact]
    public void Pods_run_as_the_image_user_with_a_read_only_root_and_a_writable_tmp()
    {
        foreach (var workload in new[] { One("Deployment"), One("Job") })
        {
            var spec = PodSpec(workload);
            var pod = spec.Obj("securityContext");
            Assert.Equal("true", pod["runAsNonRoot"].Str());
            Assert.Equal(ImageReplay.BaseImageEnvironment["APP_UID"], pod["runAsUser"].Str());
            var volumes = spec.Arr("volumes").Objects().ToDictionary(v => v["name"].Str());
            var containers = spec.Arr("containers").Objects().Concat(spec["initContainers"] is JsonArray init ? init.Objects() : []);
            foreach (var container in containers)
            {
                var security = container.Obj("securityContext");
                Assert.Equal("true", security["readOnlyRootFilesystem"].Str());
                Assert.Equal("false", security["allowPrivilegeEscalation"].Str());
                foreach (var mount in container.Arr("volumeMounts").Objects())
                {
                    Assert.True(volumes.ContainsKey(mount["name"].Str()), $"{container["name"]}: mounts unknown volume {mount["name"]}");
                }

                var resources = container.Obj("resources");
                Assert.NotNull(resources.Obj("requests")["cpu"]);
                Assert.NotNull(resources.Obj("requests")["memory"]);
                Assert.NotNull(resources.Obj("limits")["memory"]);
            }
            foreach (var container in spec.Arr("containers").Objects())
            {
                var tmp = container.Arr("volumeMounts").Objects().Single(m => m["mountPath"].Str() == "/tmp");
                Assert.NotNull(volumes[tmp["name"].Str()]["emptyDir"]);
            }
        }
    }

    [Fact]
    public void Models_live_on_one_ReadWriteMany_claim_that_the_service_and_the_worker_write()
    {
        var claim = One("PersistentVolumeClaim");
        Assert.Contains("ReadWriteMany", claim.Obj("spec").Arr("accessModes").Select(m => m.Str()));
        var claimName = claim.Obj("metadata")["name"].Str();

        foreach (var (workload, container, readOnly) in new[] { (One("Deployment"), Api, false), (One("Job"), Worker, false) })
        {
            var volume = PodSpec(workload).Arr("volumes").Objects().Single(v => v["persistentVolumeClaim"] is not null);
            Assert.Equal(claimName, volume.Obj("persistentVolumeClaim")["claimName"].Str());
            var mount = container.Arr("volumeMounts").Objects().Single(m => m["name"].Str() == volume["name"].Str());
            Assert.Equal("/models", mount["mountPath"].Str());
            Assert.Equal(readOnly, mount["readOnly"]?.Str() == "true");
        }
        Assert.Equal("/models", Api.Arr("env").Objects().Single(e => e["name"].Str() == "Models__Directory")["value"].Str());
        // The service queues jobs for the worker Job, and takes the training key from a Secret.
        Assert.Equal("External", Api.Arr("env").Objects().Single(e => e["name"].Str() == "Training__Worker")["value"].Str());
        var key = Api.Arr("env").Objects().Single(e => e["name"].Str() == "Training__ApiKey").Obj("valueFrom").Obj("secretKeyRef");
        Assert.Equal("mnist-training", key["name"].Str());
    }

    [Fact]
    public void The_autoscaler_targets_the_Deployment_by_cpu()
    {
        var hpa = One("HorizontalPodAutoscaler").Obj("spec");
        var target = hpa.Obj("scaleTargetRef");
        Assert.Equal("Deployment", target["kind"].Str());
        Assert.Equal(One("Deployment")["apiVersion"].Str(), target["apiVersion"].Str());
        Assert.Equal(One("Deployment").Obj("metadata")["name"].Str(), target["name"].Str());
        Assert.True(int.Parse(hpa["minReplicas"].Str()) >= 2);
        Assert.True(int.Parse(hpa["maxReplicas"].Str()) > int.Parse(hpa["minReplicas"].Str()));
        Assert.Equal("cpu", hpa.Arr("metrics").Objects().Single().Obj("resource")["name"].Str());
        // Utilization is measured against the CPU request, which therefore must be set.
        Assert.NotNull(Api.Obj("resources").Obj("requests")["cpu"]);
    }

    [Fact]
    public void Images_are_the_ones_compose_builds_and_the_worker_arguments_parse()
    {
        var compose = Yaml.Load(Path.Combine(Repo.DeployDirectory, "compose.yaml")).Obj("services");
        Assert.Equal(compose.Obj("service")["image"].Str(), Api["image"].Str());
        Assert.Equal(compose.Obj("worker")["image"].Str(), Worker["image"].Str());

        // args replace the image's CMD; ENTRYPOINT (mnist-train) stays.
        Assert.Null(Worker["command"]);
        var args = Worker.Arr("args").Select(a => a.Str()).ToList();
        Assert.Equal("worker", args[0]);
        var parse = WorkerCommand.Create((_, _, _, _) => throw new InvalidOperationException("not run")).Parse(args.Skip(1).ToList());
        Assert.Empty(parse.Errors);
        Assert.Contains("--until-idle", args);

        // The liveness probe is the image's HEALTHCHECK, on the alive file the arguments name.
        var liveness = Worker.Obj("livenessProbe").Obj("exec").Arr("command").Select(c => c.Str());
        Assert.Equal(Dockerfile["worker"].Last("HEALTHCHECK")!.HealthcheckCommand, liveness);
        Assert.Equal(args[args.IndexOf("--alive-file") + 1], Dockerfile["worker"].Last("CMD")!.ExecForm![4]);
    }

    [Fact]
    public void The_feedback_database_is_named_by_an_optional_secret_so_replicas_share_one_server()
    {
        var setting = Api.Arr("env").Objects().Single(e => e["name"].Str() == "Feedback__ConnectionString");
        var secret = setting.Obj("valueFrom").Obj("secretKeyRef");
        Assert.Equal("mnist-feedback-db", secret["name"].Str());
        Assert.Equal("connection-string", secret["key"].Str());
        // Without the secret the pods still start and predict; only /feedback answers 503.
        Assert.Equal("true", secret["optional"].Str());
        Assert.Contains("kubectl create secret generic mnist-feedback-db", File.ReadAllText(Path.Combine(Folder, "README.md")));
    }
}
