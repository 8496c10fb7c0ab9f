using System.Net;
using System.Text.Json;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.Endpoints;

[Collection(CommittedModelCollection.Name)]
public sealed class EndpointTests(CommittedModelFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Healthz_says_alive()
    {
        var json = await HttpAssert.Json(await _client.GetAsync("/healthz"));
        Assert.Equal("alive", json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readyz_is_ready_with_the_default_model()
    {
        var json = await HttpAssert.Json(await _client.GetAsync("/readyz"));
        Assert.Equal("ready", json.GetProperty("status").GetString());
        Assert.Equal("mnist-cnn", json.GetProperty("defaultModel").GetString());
    }

    [Fact]
    public async Task Healthz_and_readyz_answer_HEAD_with_the_status_of_GET()
    {
        foreach (var path in new[] { "/healthz", "/readyz" })
        {
            using var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Readyz_is_503_problem_without_models()
    {
        using var empty = new TempDirectory();
        using var factory = new ApiFactory(empty.Path);
        using var client = factory.CreateClient();
        await HttpAssert.Problem(await client.GetAsync("/readyz"), HttpStatusCode.ServiceUnavailable);
        using (var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/readyz")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, head.StatusCode);
        }
        await HttpAssert.Problem(await client.PostAsync("/predict", HttpAssert.JsonBody(PixelsJson(new float[784]))), HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task Models_lists_the_committed_model_with_its_report_figures()
    {
        var json = await HttpAssert.Json(await _client.GetAsync("/models"));
        Assert.Equal("mnist-cnn", json.GetProperty("default").GetString());
        var model = json.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "mnist-cnn");
        var expectedSha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Repo.DefaultModel)));
        Assert.Equal(expectedSha, model.GetProperty("sha256").GetString());
        Assert.Equal(215_370, model.GetProperty("parameters").GetInt32());
        Assert.InRange(model.GetProperty("testAccuracy").GetDouble(), 0.9, 1.0);
        // The tutorial's network is served beside it.
        var mlp = json.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "mnist-mlp");
        Assert.Equal((235_146, false), (mlp.GetProperty("parameters").GetInt32(), mlp.GetProperty("isDefault").GetBoolean()));
        Assert.True(model.GetProperty("isDefault").GetBoolean());
        Assert.Equal(JsonValueKind.String, model.GetProperty("created").ValueKind);
        Assert.Empty(json.GetProperty("failures").EnumerateArray());
    }

    [Fact]
    public async Task Model_details_carry_history_and_hyperparameters()
    {
        var json = await HttpAssert.Json(await _client.GetAsync("/models/mnist-cnn"));
        Assert.Equal("mnist-cnn", json.GetProperty("model").GetProperty("name").GetString());
        var report = json.GetProperty("report");
        Assert.True(report.GetProperty("history").GetArrayLength() >= 1);
        Assert.Equal([128], report.GetProperty("hyperparameters").GetProperty("hidden").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([16, 32], report.GetProperty("hyperparameters").GetProperty("convolutions").EnumerateArray().Select(e => e.GetInt32()));
        // The settings' choices are their lowercase names, the fields camelCase, as everywhere the report is printed.
        var hyperparameters = report.GetProperty("hyperparameters");
        Assert.Equal(("relu", "adam", "crossentropy"), (hyperparameters.GetProperty("activation").GetString(),
            hyperparameters.GetProperty("optimizer").GetString(), hyperparameters.GetProperty("loss").GetString()));
        Assert.True(hyperparameters.GetProperty("learningRate").GetDouble() > 0);
        // The recipe it was trained with: the default model is the distorted recipe's.
        Assert.Equal(("distorted", "affine", "onecycle"), (hyperparameters.GetProperty("recipe").GetString(),
            hyperparameters.GetProperty("augment").GetString(), hyperparameters.GetProperty("lrSchedule").GetString()));
        Assert.True(hyperparameters.GetProperty("labelSmoothing").GetDouble() > 0);
        Assert.Equal(10, report.GetProperty("test").GetProperty("confusion").GetArrayLength());
    }

    [Fact]
    public async Task Unknown_model_is_404_problem_everywhere()
    {
        await HttpAssert.Problem(await _client.GetAsync("/models/no-such-model"), HttpStatusCode.NotFound);
        await HttpAssert.Problem(await _client.GetAsync("/metrics/confusion?model=no-such-model"), HttpStatusCode.NotFound);
        var png = TestImages.MnistPng(MnistTestSet.Images[0]);
        await HttpAssert.Problem(await _client.PostAsync("/predict?model=no-such-model", HttpAssert.Bytes(png, "image/png")), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Unknown_route_is_404_problem()
    {
        await HttpAssert.Problem(await _client.GetAsync("/no/such/route"), HttpStatusCode.NotFound);
        await HttpAssert.Problem(await _client.GetAsync("/predict"), HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task Confusion_matches_the_report_and_derives_per_class_figures()
    {
        var json = await HttpAssert.Json(await _client.GetAsync("/metrics/confusion?model=mnist-cnn"));
        var details = await HttpAssert.Json(await _client.GetAsync("/models/mnist-cnn"));
        var reported = details.GetProperty("report").GetProperty("test");
        Assert.Equal(reported.GetProperty("confusion").ToString(), json.GetProperty("matrix").ToString());
        Assert.Equal(Enumerable.Range(0, 10), json.GetProperty("labels").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(10_000, json.GetProperty("total").GetInt32());
        Assert.Equal(reported.GetProperty("accuracy").GetDouble(), json.GetProperty("accuracy").GetDouble(), 1e-9);
        var perClass = json.GetProperty("perClass").EnumerateArray().ToList();
        Assert.Equal(10, perClass.Count);
        Assert.Equal(10_000, perClass.Sum(c => c.GetProperty("support").GetInt32()));
        var matrix = json.GetProperty("matrix").EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetInt32()).ToArray()).ToArray();
        var four = perClass[4];
        Assert.Equal((double)matrix[4][4] / matrix[4].Sum(), four.GetProperty("recall").GetDouble(), 1e-12);
        Assert.Equal((double)matrix[4][4] / matrix.Sum(r => r[4]), four.GetProperty("precision").GetDouble(), 1e-12);
        var top = json.GetProperty("topConfusions").EnumerateArray().First();
        Assert.Equal(matrix.SelectMany((r, t) => r.Where((_, p) => p != t)).Max(), top.GetProperty("count").GetInt32());
        // Without ?model= it is the default model's.
        var byDefault = await HttpAssert.Json(await _client.GetAsync("/metrics/confusion"));
        Assert.Equal("mnist-cnn", byDefault.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Prometheus_metrics_count_predictions_and_http_requests()
    {
        var png = TestImages.MnistPng(MnistTestSet.Images[0]);
        var prediction = await HttpAssert.Json(await _client.PostAsync("/predict", HttpAssert.Bytes(png, "image/png")));
        var digit = prediction.GetProperty("digit").GetInt32();
        var response = await HttpAssert.FreshMetrics(_client);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains($"mnist_predictions_total{{model=\"mnist-cnn\",digit=\"{digit}\"}}", text);
        Assert.Contains("mnist_inference_duration_seconds_bucket{model=\"mnist-cnn\"", text);
        Assert.Contains("mnist_model_reloads_total{model=\"mnist-cnn\"}", text);
        Assert.Contains("mnist_model_load_failures_total", text);
        Assert.Contains("http_requests_received_total", text);
        Assert.Contains("http_request_duration_seconds_bucket", text);
        Assert.Contains("mnist_image_decode_duration_seconds_bucket{decoder=\"png\"", text);
    }

    [Fact]
    public async Task OpenApi_document_describes_every_endpoint_and_the_predict_body()
    {
        var json = await HttpAssert.Json(await _client.GetAsync("/swagger/v1/swagger.json"));
        var paths = json.GetProperty("paths");
        foreach (var path in new[] { "/predict", "/models", "/models/{name}", "/metrics", "/metrics/confusion", "/healthz", "/readyz" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document");
        }
        var predict = paths.GetProperty("/predict").GetProperty("post");
        var content = predict.GetProperty("requestBody").GetProperty("content");
        foreach (var type in new[] { "application/json", "multipart/form-data", "image/png", "image/jpeg", "image/webp" })
        {
            Assert.True(content.TryGetProperty(type, out _), $"request body type {type} missing");
        }
        var responses = predict.GetProperty("responses");
        foreach (var status in new[] { "200", "400", "404", "413", "415", "422" })
        {
            Assert.True(responses.TryGetProperty(status, out _), $"response {status} missing");
        }
        Assert.Equal("application/problem+json", responses.GetProperty("422").GetProperty("content").EnumerateObject().Single().Name);
        var swaggerUi = await _client.GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, swaggerUi.StatusCode);
    }

    [Fact]
    public async Task Root_serves_the_page_from_the_configured_web_root()
    {
        using var web = new TempDirectory();
        File.WriteAllText(web.File("index.html"), "<!doctype html><title>MNIST page</title>");
        using var factory = new ApiFactory(Repo.ModelsDirectory, new Dictionary<string, string?> { ["StaticFiles:WebRoot"] = web.Path });
        using var client = factory.CreateClient();
        var response = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("MNIST page", await response.Content.ReadAsStringAsync());
    }

    internal static string PixelsJson(IEnumerable<float> pixels) =>
        JsonSerializer.Serialize(new { pixels });
}
