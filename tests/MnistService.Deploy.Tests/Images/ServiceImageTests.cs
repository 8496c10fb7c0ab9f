using System.Net;
using MnistService.Deploy.Tests.Infrastructure;

namespace MnistService.Deploy.Tests.Images;

/// <summary>
/// The service image as <c>docker run -p 8080:8080 mnist-service</c> runs it: the replayed publish output
/// started by its ENTRYPOINT from /app, with the image's environment, default model and page.
/// </summary>
[Collection(ImagesCollection.Name)]
public sealed class ServiceImageTests(ImagesFixture images)
{
    [Fact]
    public void The_publish_output_carries_only_the_linux_x64_ONNX_Runtime_library()
    {
        var app = images.Service.Map("/app");
        Assert.True(File.Exists(Path.Combine(app, "libonnxruntime.so")), "libonnxruntime.so is missing from /app.");
        var natives = Directory.EnumerateFiles(app, "*onnxruntime*", SearchOption.AllDirectories)
            .Select(Path.GetFileName).Where(n => !n!.EndsWith(".dll", StringComparison.Ordinal) || n.StartsWith("onnxruntime", StringComparison.Ordinal))
            .ToList();
        Assert.DoesNotContain("onnxruntime.dll", natives);          // Windows
        Assert.DoesNotContain("libonnxruntime.dylib", natives);     // macOS
        Assert.False(Directory.Exists(Path.Combine(app, "runtimes")), "Other platforms' runtimes/ folders were published.");
        Assert.True(File.Exists(Path.Combine(app, "MnistService.Api")), "No apphost for ENTRYPOINT ./MnistService.Api.");
        Assert.True(File.Exists(images.Service.Map("/app/models/mnist-cnn.onnx")));
        Assert.True(File.Exists(images.Service.Map("/app/models/mnist-mlp.onnx")));
        Assert.True(File.Exists(images.Service.Map("/app/wwwroot/index.html")));
    }

    [Fact]
    public async Task Docker_run_serves_the_page_the_API_and_every_probe_path_and_the_HEALTHCHECK_passes()
    {
        var (container, http) = await ImagesFixture.StartServiceAsync(images.Service);
        await using (container)
        using (http)
        {
            // The page.
            var page = await http.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            Assert.Contains("<canvas", await page.Content.ReadAsStringAsync());

            // The default model, from /app/models.
            var models = await ImagesFixture.ModelsAsync(http);
            Assert.Equal("mnist-cnn", models.Default);
            Assert.Contains(models.Models, m => m.Name == "mnist-cnn" && m.TestAccuracy > 0.99);

            // A real PNG upload: the first MNIST test image.
            var (png, label) = (TestImages.MnistPng(MnistTestSet.Images[0]), (int)MnistTestSet.Labels[0]);
            var (status, answer, body) = await ImagesFixture.PredictPngAsync(http, png);
            Assert.True(status == HttpStatusCode.OK, body);
            Assert.Equal(label, answer!.Digit);
            Assert.Equal("mnist-cnn", answer.Model);
            Assert.Equal(10, answer.Probabilities.Length);

            // Every path the deployment files probe or scrape answers 200.
            Assert.Equal(["/healthz", "/metrics", "/readyz"], ProbePaths.All);
            foreach (var path in ProbePaths.All)
            {
                var response = await http.GetAsync(path);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
            }
            Assert.Contains("# TYPE", await http.GetStringAsync("/metrics"));

            // The image's HEALTHCHECK, run as Docker runs it inside the container.
            var (healthy, output) = await container.RunHealthcheckAsync();
            Assert.True(healthy, output);

            // docker stop: SIGTERM ends the service cleanly, and then the same check reports it unhealthy.
            Assert.Equal(0, await container.StopAsync(TimeSpan.FromSeconds(20)));
            var (stillHealthy, _) = await container.RunHealthcheckAsync();
            Assert.False(stillHealthy);
        }
    }

    [Fact]
    public async Task With_the_Deployment_environment_it_serves_the_volume_models_and_logs_JSON_lines()
    {
        var container = Yaml.Load(Path.Combine(Repo.DeployDirectory, "k8s", "deployment.yaml"))
            .Obj("spec").Obj("template").Obj("spec").Arr("containers").Objects().Single(c => c["name"].Str() == "api");
        var environment = container.Arr("env").Objects()
            .Where(e => e["value"] is not null) // values from a Secret (optional, absent here: the feedback database, the training key) are left unset, as in a cluster without it
            .ToDictionary(e => e["name"].Str(), e => e["value"].Str());
        // As the main port, the management port moves to a free one on 127.0.0.1 (the same hosts as the main address).
        var metricsPort = ChildProcess.FreeLoopbackPort();
        Assert.True(environment.ContainsKey("Metrics__Port"), "the Deployment sets no Metrics__Port");
        environment["Metrics__Port"] = metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var volume = TempDirectory.New("k8s-models");
        try
        {
            // The volume as the init container leaves it, plus a model the worker trained.
            File.Copy(images.Service.Map("/app/models/mnist-cnn.onnx"), Path.Combine(volume, "mnist-cnn.onnx"));
            File.Copy(images.Service.Map("/app/models/mnist-mlp.onnx"), Path.Combine(volume, "mnist-mlp.onnx"));
            File.Copy(images.Service.Map("/app/models/mnist-mlp.onnx"), Path.Combine(volume, "trained.onnx"));
            var mountPath = container.Arr("volumeMounts").Objects().Single(m => m["name"].Str() == "models")["mountPath"].Str();

            var (service, http) = await ImagesFixture.StartServiceAsync(images.Service, environment,
                new Dictionary<string, string> { [mountPath] = volume });
            await using (service)
            using (http)
            {
                var models = await ImagesFixture.ModelsAsync(http);
                Assert.Equal(["mnist-cnn", "mnist-mlp", "trained"], models.Models.Select(m => m.Name).Order());
                await http.GetAsync("/healthz");
                // Prometheus's path answers on the scraped port, and not on the one the Ingress reaches.
                using (var scrape = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}"), Timeout = TimeSpan.FromSeconds(10) })
                {
                    foreach (var path in ProbePaths.All.Where(p => p.StartsWith("/metrics", StringComparison.Ordinal)))
                    {
                        Assert.Contains("# TYPE", await scrape.GetStringAsync(path));
                        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(path)).StatusCode);
                    }
                }
                await service.StopAsync(TimeSpan.FromSeconds(20));
                var lines = service.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.NotEmpty(lines);
                Assert.All(lines, line => Assert.StartsWith("{", line.TrimStart()));
            }
        }
        finally
        {
            Directory.Delete(volume, recursive: true);
        }
    }
}
