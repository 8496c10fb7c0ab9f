using System.Net;
using System.Text.Json;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.ModelStore;

/// <summary>The model directory is watched: new, replaced, removed and broken files, while requests keep succeeding.</summary>
public sealed class ModelReloadTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly TempDirectory _models = new();
    private readonly ApiFactory _factory;
    private readonly HttpClient _client;

    public ModelReloadTests()
    {
        File.WriteAllBytes(_models.File("mnist-cnn.onnx"), ModelFiles.Default);
        // Written a while ago: loaded at start, without waiting for it to settle.
        File.SetLastWriteTimeUtc(_models.File("mnist-cnn.onnx"), DateTime.UtcNow.AddMinutes(-1));
        _factory = new ApiFactory(_models.Path);
        _client = _factory.CreateClient();
        Assert.Equal(Sha(ModelFiles.Default), Model(Models().Result, "mnist-cnn")?.GetProperty("sha256").GetString());
    }

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
        _models.Dispose();
    }

    private async Task<JsonElement> Models() => await HttpAssert.Json(await _client.GetAsync("/models"));

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

    /// <summary>Polls /models until <paramref name="condition"/> holds (file events and settling take a moment).</summary>
    private async Task<JsonElement> WaitFor(Func<JsonElement, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var models = await Models();
            if (condition(models))
            {
                return models;
            }
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}; /models is {models}");
            await Task.Delay(50);
        }
    }

    private static JsonElement? Model(JsonElement list, string name) =>
        list.GetProperty("models").EnumerateArray().Where(m => m.GetProperty("name").GetString() == name).Cast<JsonElement?>().FirstOrDefault();

    private static JsonElement? Failure(JsonElement list, string name) =>
        list.GetProperty("failures").EnumerateArray().Where(m => m.GetProperty("name").GetString() == name).Cast<JsonElement?>().FirstOrDefault();

    private async Task<HttpResponseMessage> Predict(string? model = null) =>
        await _client.PostAsync("/predict" + (model is null ? "" : "?model=" + model),
            HttpAssert.Bytes(TestImages.MnistPng(MnistTestSet.Images[0]), "image/png"));

    [Fact]
    public async Task A_new_file_is_loaded_and_served_by_name()
    {
        await HttpAssert.Problem(await Predict("second"), HttpStatusCode.NotFound);
        var variant = ModelFiles.Variant("second");
        File.WriteAllBytes(_models.File("second.onnx"), variant);
        await WaitFor(m => Model(m, "second")?.GetProperty("sha256").GetString() == Sha(variant), "second.onnx is loaded");
        var answer = await HttpAssert.Json(await Predict("second"));
        Assert.Equal("second", answer.GetProperty("model").GetString());
        Assert.Equal(Sha(variant), answer.GetProperty("modelSha256").GetString());
    }

    [Fact]
    public async Task A_replaced_file_is_swapped_in_by_atomic_rename()
    {
        var variant = ModelFiles.Variant("replacement");
        File.WriteAllBytes(_models.File(".mnist-cnn.onnx.tmp"), variant);
        File.Move(_models.File(".mnist-cnn.onnx.tmp"), _models.File("mnist-cnn.onnx"), overwrite: true);
        await WaitFor(m => Model(m, "mnist-cnn")?.GetProperty("sha256").GetString() == Sha(variant), "the replacement is loaded");
        Assert.Equal(Sha(variant), (await HttpAssert.Json(await Predict())).GetProperty("modelSha256").GetString());
    }

    [Fact]
    public async Task An_in_place_overwrite_is_loaded_once_complete()
    {
        var variant = ModelFiles.Variant("in-place");
        await using (var stream = new FileStream(_models.File("mnist-cnn.onnx"), FileMode.Create, FileAccess.Write, FileShare.ReadWrite))
        {
            // Written in three slow pieces, as a copy over a slow disk would.
            var third = variant.Length / 3;
            foreach (var (start, length) in new[] { (0, third), (third, third), (2 * third, variant.Length - 2 * third) })
            {
                await stream.WriteAsync(variant.AsMemory(start, length));
                await stream.FlushAsync();
                await Task.Delay(60);
            }
        }
        var models = await WaitFor(m => Model(m, "mnist-cnn")?.GetProperty("sha256").GetString() == Sha(variant), "the overwrite is loaded");
        Assert.Null(Failure(models, "mnist-cnn"));
    }

    [Fact]
    public async Task A_removed_file_is_unloaded()
    {
        File.WriteAllBytes(_models.File("extra.onnx"), ModelFiles.Variant("extra"));
        await WaitFor(m => Model(m, "extra") is not null, "extra.onnx is loaded");
        File.Delete(_models.File("extra.onnx"));
        await WaitFor(m => Model(m, "extra") is null, "extra.onnx is gone");
        await HttpAssert.Problem(await Predict("extra"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_broken_file_is_reported_and_never_replaces_a_working_model()
    {
        var working = Sha(ModelFiles.Default);
        File.WriteAllBytes(_models.File("broken.onnx"), ModelFiles.Garbage);
        File.WriteAllBytes(_models.File(".tmp"), ModelFiles.Truncated);
        File.Move(_models.File(".tmp"), _models.File("mnist-cnn.onnx"), overwrite: true);
        var models = await WaitFor(m => Failure(m, "broken") is not null && Failure(m, "mnist-cnn") is not null, "both failures are reported");
        Assert.Null(Model(models, "broken"));
        var stillServing = Model(models, "mnist-cnn")!.Value;
        Assert.Equal(working, stillServing.GetProperty("sha256").GetString());
        Assert.False(string.IsNullOrEmpty(stillServing.GetProperty("reloadError").GetString()));
        Assert.Equal(working, (await HttpAssert.Json(await Predict())).GetProperty("modelSha256").GetString());
        await HttpAssert.Problem(await Predict("broken"), HttpStatusCode.ServiceUnavailable);
        await HttpAssert.Json(await _client.GetAsync("/readyz"));
        var metrics = await (await _client.GetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Contains("mnist_model_load_failures_total{model=\"broken\"}", metrics);

        // Fixing the file clears the failure.
        File.WriteAllBytes(_models.File("broken.onnx"), ModelFiles.Variant("fixed"));
        await WaitFor(m => Model(m, "broken") is not null && Failure(m, "broken") is null, "the fixed file is loaded");
    }

    [Fact]
    public async Task A_model_whose_file_failed_to_load_is_answered_with_why_not_as_unknown()
    {
        File.WriteAllBytes(_models.File("broken.onnx"), ModelFiles.Garbage);
        var models = await WaitFor(m => Failure(m, "broken") is not null, "the failure is reported");
        var reason = Failure(models, "broken")!.Value.GetProperty("error").GetString()!;
        var answers = new[]
        {
            await _client.GetAsync("/models/broken"),
            await Predict("broken"),
            await _client.GetAsync("/metrics/confusion?model=broken"),
        };
        foreach (var answer in answers)
        {
            var problem = await HttpAssert.Problem(answer, HttpStatusCode.ServiceUnavailable);
            var detail = problem.GetProperty("detail").GetString()!;
            Assert.Contains("'broken.onnx' failed to load", detail);
            Assert.Contains(reason.TrimEnd('.'), detail);
            Assert.DoesNotContain("No model named", detail);
            Assert.DoesNotContain(_models.Path, detail); // the file's name, not where the server keeps it
        }
        // A name with no file behind it is still unknown.
        var unknown = await HttpAssert.Problem(await _client.GetAsync("/models/nothing-here"), HttpStatusCode.NotFound);
        Assert.Contains("No model named 'nothing-here'", unknown.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Requests_during_repeated_swaps_all_succeed()
    {
        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        var served = 0;
        var png = TestImages.MnistPng(MnistTestSet.Images[0]);
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var response = await _client.PostAsync("/predict", HttpAssert.Bytes(png, "image/png"));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    var body = await response.Content.ReadAsStringAsync();
                    lock (failures)
                    {
                        failures.Add($"{(int)response.StatusCode}: {body}");
                    }
                }
                Interlocked.Increment(ref served);
            }
        })).ToList();
        for (var i = 0; i < 6; i++)
        {
            var variant = ModelFiles.Variant("swap-" + i);
            File.WriteAllBytes(_models.File(".next"), variant);
            File.Move(_models.File(".next"), _models.File("mnist-cnn.onnx"), overwrite: true);
            await WaitFor(m => Model(m, "mnist-cnn")?.GetProperty("sha256").GetString() == Sha(variant), $"swap {i} is loaded");
        }
        stop.Cancel();
        await Task.WhenAll(load);
        Assert.Empty(failures);
        Assert.True(served > 0);
    }
}
