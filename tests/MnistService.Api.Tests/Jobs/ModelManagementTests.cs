using System.Net;
using MnistService.Api.Tests.Infrastructure;
using MnistService.Core.Models;
using MnistService.Core.Onnx;

namespace MnistService.Api.Tests.Jobs;

/// <summary>DELETE /models/{name} and POST /models/{name}/default, and the service honouring the stored choice.</summary>
public sealed class ModelManagementTests
{
    [Fact]
    public async Task A_deleted_model_leaves_the_directory_and_the_listing_but_the_default_is_never_deleted()
    {
        using var jobs = new JobsHarness(new Dictionary<string, string?> { ["Training:Worker"] = "External" });
        File.WriteAllBytes(Path.Combine(jobs.Models, "spare.onnx"), ModelFiles.Variant("spare"));
        await JobEndpointTests.WaitUntilAsync(async () => (await jobs.ModelNamesAsync()).Contains("spare"));

        Assert.Equal(HttpStatusCode.NoContent, (await jobs.Client.DeleteAsync("/models/spare")).StatusCode);
        Assert.False(File.Exists(Path.Combine(jobs.Models, "spare.onnx")));
        Assert.DoesNotContain("spare", await jobs.ModelNamesAsync());

        var refused = await HttpAssert.Problem(await jobs.Client.DeleteAsync("/models/mnist-cnn"), HttpStatusCode.Conflict);
        Assert.Contains("is the default model", refused.GetProperty("detail").GetString());
        Assert.True(File.Exists(Path.Combine(jobs.Models, "mnist-cnn.onnx")));
        await HttpAssert.Problem(await jobs.Client.DeleteAsync("/models/spare"), HttpStatusCode.NotFound);
        await HttpAssert.Problem(await jobs.Client.DeleteAsync("/models/..%2F..%2Fetc"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_default_chosen_at_run_time_is_stored_in_the_directory_and_survives_a_restart()
    {
        using var jobs = new JobsHarness(new Dictionary<string, string?> { ["Training:Worker"] = "External" });
        File.WriteAllBytes(Path.Combine(jobs.Models, "newer.onnx"), ModelFiles.Variant("newer"));
        await JobEndpointTests.WaitUntilAsync(async () => (await jobs.ModelNamesAsync()).Contains("newer"));

        var chosen = await HttpAssert.Json(await jobs.Client.PostAsync("/models/newer/default", null));
        Assert.True(chosen.GetProperty("isDefault").GetBoolean());
        Assert.StartsWith("chosen at run time (default-model.json: POST /models/newer/default", chosen.GetProperty("defaultReason").GetString());
        Assert.Equal("newer", DefaultModelChoice.Read(jobs.Models)!.Model);
        var answer = await HttpAssert.Json(await jobs.Client.PostAsync("/predict", HttpAssert.Bytes(TestImages.MnistPng(MnistTestSet.Images[0]), "image/png")));
        Assert.Equal("newer", answer.GetProperty("model").GetString());
        await HttpAssert.Problem(await jobs.Client.DeleteAsync("/models/newer"), HttpStatusCode.Conflict);
        await HttpAssert.Problem(await jobs.Client.PostAsync("/models/missing/default", null), HttpStatusCode.NotFound);

        // Another service over the same directory (a restart, a replica) has the same default.
        using var restarted = new ApiFactory(jobs.Models, new Dictionary<string, string?> { ["Training:Worker"] = "External" });
        using var client = restarted.CreateClient();
        // (once it has loaded newer.onnx, whose report the promotion gate rewrote a moment ago)
        await JobEndpointTests.WaitUntilAsync(async () =>
            (await HttpAssert.Json(await client.GetAsync("/models"))).GetProperty("default").GetString() == "newer");

        // The configured default is deletable no more once chosen back.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/models/mnist-cnn/default", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/models/newer")).StatusCode);
    }

    [Fact]
    public async Task A_model_more_than_a_tenth_of_a_point_below_the_default_on_MNIST_does_not_become_the_default_and_its_report_says_why()
    {
        using var jobs = new JobsHarness(new Dictionary<string, string?> { ["Training:Worker"] = "External" });
        await JobEndpointTests.WaitUntilAsync(async () => (await jobs.ModelNamesAsync()).Contains("mnist-cnn"));
        var defaultAccuracy = OnnxModelReader.Read(Path.Combine(jobs.Models, "mnist-cnn.onnx")).Report.Test.Accuracy;
        var staged = Path.Combine(TempDirectory.New("worse"), "worse.onnx");
        File.WriteAllBytes(staged, ModelFiles.Default);
        ModelReportRewriter.Rewrite(staged, report => report with { Test = report.Test with { Accuracy = defaultAccuracy - 0.002 } });
        File.Move(staged, Path.Combine(jobs.Models, "worse.onnx"));
        await JobEndpointTests.WaitUntilAsync(async () => (await jobs.ModelNamesAsync()).Contains("worse"));

        var refused = await HttpAssert.Problem(await jobs.Client.PostAsync("/models/worse/default", null), HttpStatusCode.Conflict);

        Assert.Contains("Refused: MNIST test accuracy", refused.GetProperty("detail").GetString());
        Assert.Contains("0.20 points lower", refused.GetProperty("detail").GetString());
        Assert.Null(DefaultModelChoice.Read(jobs.Models));
        var promotion = OnnxModelReader.Read(Path.Combine(jobs.Models, "worse.onnx")).Report.Promotion!;
        Assert.False(promotion.Promoted);
        Assert.Equal("mnist-cnn", promotion.Current);
        var list = await HttpAssert.Json(await jobs.Client.GetAsync("/models"));
        Assert.Equal("mnist-cnn", list.GetProperty("default").GetString());
    }
}
