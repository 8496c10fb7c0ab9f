using System.Net;
using System.Text.Json;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.ModelStore;

/// <summary>
/// A model is swapped in only after it answered a known digit with ten probabilities in the shape [1,10]:
/// a graph that declares [N,784] → [N,10] but fails or answers nonsense when it runs never serves.
/// </summary>
public sealed class ModelWarmUpTests : IDisposable
{
    private readonly TempDirectory _models = new("models");

    public void Dispose() => _models.Dispose();

    public static TheoryData<string, string> BrokenAtRunTime => new()
    {
        { nameof(TinyOnnxModel.ReshapesWrongly), "answered shape [5,2], not [1,10]" },
        { nameof(TinyOnnxModel.AnswersScores), "outputs sum to" },
        { nameof(TinyOnnxModel.AnswersNaN), "not probabilities" },
    };

    private static byte[] Tiny(string name) => name switch
    {
        nameof(TinyOnnxModel.ReshapesWrongly) => TinyOnnxModel.ReshapesWrongly,
        nameof(TinyOnnxModel.AnswersScores) => TinyOnnxModel.AnswersScores,
        nameof(TinyOnnxModel.AnswersNaN) => TinyOnnxModel.AnswersNaN,
        _ => TinyOnnxModel.Valid,
    };

    [Theory]
    [MemberData(nameof(BrokenAtRunTime))]
    public async Task A_model_that_fails_at_inference_is_refused_with_the_reason(string model, string reason)
    {
        using var harness = new RepositoryHarness();
        harness.Write("tiny.onnx", Tiny(model));

        await harness.ReconcileAsync();

        Assert.Empty(harness.Repository.Snapshot.Models);
        var error = harness.Failure("tiny").Error;
        Assert.StartsWith("The model fails at inference", error);
        Assert.Contains(reason, error);
    }

    [Fact]
    public async Task A_tiny_model_that_answers_probabilities_loads()
    {
        using var harness = new RepositoryHarness();
        harness.Write("tiny.onnx", TinyOnnxModel.Valid);

        await harness.ReconcileAsync();

        Assert.Empty(harness.Repository.Snapshot.Failures);
        Assert.Contains("tiny", harness.Repository.Snapshot.Models.Keys);
    }

    [Fact]
    public async Task A_model_that_fails_at_inference_never_replaces_the_working_default()
    {
        File.WriteAllBytes(_models.File("mnist-cnn.onnx"), ModelFiles.Default);
        File.SetLastWriteTimeUtc(_models.File("mnist-cnn.onnx"), DateTime.UtcNow.AddMinutes(-1));
        using var factory = new ApiFactory(_models.Path);
        using var client = factory.CreateClient();
        var working = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(ModelFiles.Default));

        File.WriteAllBytes(_models.File(".next.tmp"), TinyOnnxModel.ReshapesWrongly);
        File.Move(_models.File(".next.tmp"), _models.File("mnist-cnn.onnx"), overwrite: true);
        var list = await WaitForFailure(client, "mnist-cnn");

        var failure = list.GetProperty("failures").EnumerateArray().Single();
        Assert.Equal("mnist-cnn.onnx", failure.GetProperty("file").GetString());
        Assert.Contains("fails at inference", failure.GetProperty("error").GetString());
        var serving = list.GetProperty("models").EnumerateArray().Single();
        Assert.Equal(working, serving.GetProperty("sha256").GetString());
        Assert.Contains("fails at inference", serving.GetProperty("reloadError").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        for (var i = 0; i < 5; i++)
        {
            var answer = await HttpAssert.Json(await client.PostAsync("/predict",
                HttpAssert.Bytes(TestImages.MnistPng(MnistTestSet.Images[i]), "image/png")));
            Assert.Equal(working, answer.GetProperty("modelSha256").GetString());
        }
    }

    [Fact]
    public async Task A_default_that_fails_at_inference_at_start_is_not_ready_and_says_why()
    {
        File.WriteAllBytes(_models.File("mnist-cnn.onnx"), TinyOnnxModel.ReshapesWrongly);
        File.SetLastWriteTimeUtc(_models.File("mnist-cnn.onnx"), DateTime.UtcNow.AddMinutes(-1));
        using var factory = new ApiFactory(_models.Path);
        using var client = factory.CreateClient();

        var problem = await HttpAssert.Problem(await client.GetAsync("/readyz"), HttpStatusCode.ServiceUnavailable);
        Assert.Contains("fails at inference", problem.GetProperty("detail").GetString());
        var predict = await client.PostAsync("/predict", HttpAssert.Bytes(TestImages.MnistPng(MnistTestSet.Images[0]), "image/png"));
        Assert.Contains("fails at inference", (await HttpAssert.Problem(predict, HttpStatusCode.ServiceUnavailable)).GetProperty("detail").GetString());
    }

    private static async Task<JsonElement> WaitForFailure(HttpClient client, string name)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var list = await HttpAssert.Json(await client.GetAsync("/models"));
            if (list.GetProperty("failures").EnumerateArray().Any(f => f.GetProperty("name").GetString() == name))
            {
                return list;
            }
            Assert.True(DateTime.UtcNow < deadline, $"{name} was not reported as failing: /models is {list}");
            await Task.Delay(50);
        }
    }
}
