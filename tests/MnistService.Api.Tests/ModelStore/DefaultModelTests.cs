using System.Net;
using System.Text.Json;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.ModelStore;

/// <summary>
/// A models folder without the configured default (mnist-cnn.onnx) still becomes ready: the only model, or
/// the one with the best test accuracy (the newest on ties), stands in, and /models says which and why.
/// </summary>
public sealed class DefaultModelTests : IDisposable
{
    private readonly TempDirectory _models = new();

    public void Dispose() => _models.Dispose();

    [Fact]
    public async Task The_only_model_is_the_default_when_the_configured_one_has_no_file()
    {
        Write("digits-v2.onnx", ModelFiles.Default);
        using var factory = new ApiFactory(_models.Path);
        using var client = factory.CreateClient();

        var ready = await HttpAssert.Json(await client.GetAsync("/readyz"));
        Assert.Equal("digits-v2", ready.GetProperty("defaultModel").GetString());
        var list = await HttpAssert.Json(await client.GetAsync("/models"));
        Assert.Equal("digits-v2", list.GetProperty("default").GetString());
        var model = Model(list, "digits-v2");
        Assert.True(model.GetProperty("isDefault").GetBoolean());
        Assert.StartsWith("the only model loaded (Models:Default 'mnist-cnn' has no file)", model.GetProperty("defaultReason").GetString());
        var answer = await HttpAssert.Json(await client.PostAsync("/predict", HttpAssert.Bytes(TestImages.MnistPng(MnistTestSet.Images[0]), "image/png")));
        Assert.Equal("digits-v2", answer.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Of_several_the_best_test_accuracy_is_the_default_and_the_newest_wins_a_tie()
    {
        var day = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Write("weak.onnx", ModelFiles.WithTestAccuracy(0.90, day.AddDays(9)));
        Write("strong-old.onnx", ModelFiles.WithTestAccuracy(0.99, day));
        Write("strong-new.onnx", ModelFiles.WithTestAccuracy(0.99, day.AddDays(1)));
        using var factory = new ApiFactory(_models.Path);
        using var client = factory.CreateClient();

        var list = await HttpAssert.Json(await client.GetAsync("/models"));

        Assert.Equal("strong-new", list.GetProperty("default").GetString());
        Assert.Equal(0.99, Model(list, "strong-new").GetProperty("testAccuracy").GetDouble());
        Assert.Contains("best test accuracy", Model(list, "strong-new").GetProperty("defaultReason").GetString());
        Assert.False(Model(list, "strong-old").GetProperty("isDefault").GetBoolean());
        Assert.Equal(JsonValueKind.Null, Model(list, "weak").GetProperty("defaultReason").ValueKind);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task The_configured_default_is_the_default_with_that_reason_when_its_file_is_there()
    {
        Write("mnist-cnn.onnx", ModelFiles.WithTestAccuracy(0.5, DateTimeOffset.UnixEpoch));
        Write("better.onnx", ModelFiles.WithTestAccuracy(0.99, DateTimeOffset.UtcNow));
        using var factory = new ApiFactory(_models.Path);
        using var client = factory.CreateClient();

        var list = await HttpAssert.Json(await client.GetAsync("/models"));

        Assert.Equal("mnist-cnn", list.GetProperty("default").GetString());
        Assert.Equal("configured (Models:Default)", Model(list, "mnist-cnn").GetProperty("defaultReason").GetString());
    }

    [Fact]
    public async Task A_configured_default_whose_file_does_not_load_stays_the_default_and_is_not_ready()
    {
        Write("mnist-cnn.onnx", ModelFiles.Garbage);
        Write("other.onnx", ModelFiles.Default);
        using var factory = new ApiFactory(_models.Path);
        using var client = factory.CreateClient();

        var problem = await HttpAssert.Problem(await client.GetAsync("/readyz"), HttpStatusCode.ServiceUnavailable);
        Assert.Contains("failed to load", problem.GetProperty("detail").GetString());
    }

    private void Write(string name, byte[] bytes)
    {
        File.WriteAllBytes(_models.File(name), bytes);
        File.SetLastWriteTimeUtc(_models.File(name), DateTime.UtcNow.AddMinutes(-1)); // settled: loaded at start
    }

    private static JsonElement Model(JsonElement list, string name) =>
        list.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == name);
}
