using System.Net;
using Microsoft.Extensions.DependencyInjection;
using MnistService.Api.ModelStore;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.ModelStore;

/// <summary>
/// What else lands in a models directory as <c>*.onnx</c>: links, pipes, devices, directories, files far too
/// large. Only regular files are read, never through a link, never blocking, never beyond the size cap;
/// everything else is reported once with the reason and not looked into again until it changes.
/// </summary>
[Collection(AllocationMeasuredCollection.Name)]
public sealed class ModelFileTypeTests : IDisposable
{
    private readonly RepositoryHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task Links_pipes_devices_and_directories_are_reported_and_never_opened()
    {
        _harness.Write("mnist-cnn.onnx", ModelFiles.Default);
        File.CreateSymbolicLink(_harness.Models.File("link-to-model.onnx"), _harness.Models.File("mnist-cnn.onnx"));
        File.CreateSymbolicLink(_harness.Models.File("passwd.onnx"), "/etc/passwd");
        File.CreateSymbolicLink(_harness.Models.File("zero.onnx"), "/dev/zero");
        _harness.MakeFifo("pipe.onnx");
        Directory.CreateDirectory(_harness.Models.File("folder.onnx"));

        await _harness.ReconcileAsync(); // a FIFO opened for reading would block here until a writer came

        var snapshot = _harness.Repository.Snapshot;
        Assert.Equal(["mnist-cnn"], snapshot.Models.Keys.Order());
        Assert.Contains("is a symbolic link (links are never followed)", _harness.Failure("link-to-model").Error);
        Assert.Contains("is a symbolic link", _harness.Failure("passwd").Error);
        Assert.Contains("is a symbolic link", _harness.Failure("zero").Error);
        Assert.Contains("is a FIFO (named pipe)", _harness.Failure("pipe").Error);
        Assert.Contains("is a directory", _harness.Failure("folder").Error);
        Assert.All(snapshot.Failures.Values, f => Assert.Contains("only regular files are loaded", f.Error));
        Assert.Equal(1, _harness.Repository.FileReads); // the model, and nothing else
    }

    [Fact]
    public async Task A_file_over_the_size_cap_is_reported_and_never_read()
    {
        _harness.Write("mnist-cnn.onnx", ModelFiles.Default);
        _harness.MakeSparse("two-gib.onnx", 2L << 30);
        _harness.MakeSparse("sparse.onnx", 1_900_000_000);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);

        await _harness.ReconcileAsync();

        var allocatedMiB = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (1 << 20);
        Assert.True(allocatedMiB < 64, $"Reconciling allocated {allocatedMiB} MiB: a large file was read");
        Assert.Equal(["mnist-cnn"], _harness.Repository.Snapshot.Models.Keys);
        Assert.Equal("the file is 2,147,483,648 bytes, over the limit of 67,108,864 (Models:MaxFileBytes); it is not read",
            _harness.Failure("two-gib").Error);
        Assert.Contains("1,900,000,000 bytes, over the limit", _harness.Failure("sparse").Error);
        Assert.Equal(1, _harness.Repository.FileReads);
    }

    [Fact]
    public async Task The_size_cap_is_a_setting()
    {
        using var harness = new RepositoryHarness(options => options.MaxFileBytes = 100_000);
        harness.Write("mnist-cnn.onnx", ModelFiles.Default);

        await harness.ReconcileAsync();

        Assert.Empty(harness.Repository.Snapshot.Models);
        Assert.Contains($"the file is {ModelFiles.Default.Length:N0} bytes, over the limit of 100,000 (Models:MaxFileBytes)", harness.Failure("mnist-cnn").Error);
        Assert.Equal(0, harness.Repository.FileReads);
    }

    [Fact]
    public void A_size_cap_out_of_range_stops_the_start_naming_the_setting()
    {
        using var factory = new ApiFactory(_harness.Models.Path, new Dictionary<string, string?> { ["Models:MaxFileBytes"] = "5" });

        var failure = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains("Models:MaxFileBytes must be between 1024 and 2147483591, but is 5", failure.ToString());
    }

    [Fact]
    public async Task A_file_that_is_not_loaded_is_reported_once_and_not_read_again_until_it_changes()
    {
        _harness.Write("mnist-cnn.onnx", ModelFiles.Default);
        _harness.Write("garbage.onnx", ModelFiles.Garbage);
        File.CreateSymbolicLink(_harness.Models.File("link.onnx"), _harness.Models.File("mnist-cnn.onnx"));
        _harness.MakeSparse("huge.onnx", 3L << 30);
        _harness.MakeFifo("pipe.onnx");

        await _harness.ReconcileAsync();
        var reads = _harness.Repository.FileReads;
        var failures = _harness.Repository.Snapshot.Failures;
        for (var pass = 0; pass < 5; pass++)
        {
            Assert.False(await _harness.ReconcileAsync());
        }

        Assert.Equal(2, reads); // mnist-cnn and garbage, once each
        Assert.Equal(reads, _harness.Repository.FileReads);
        Assert.Same(failures, _harness.Repository.Snapshot.Failures); // nothing was published again
        foreach (var name in new[] { "garbage", "link", "huge", "pipe" })
        {
            Assert.Single(_harness.Log.Warnings, w => w.Contains($"/{name}.onnx cannot be loaded"));
        }

        // A change is read: once.
        _harness.Write("garbage.onnx", ModelFiles.Variant("fixed"));
        await _harness.ReconcileAsync();
        await _harness.ReconcileAsync();
        Assert.Equal(reads + 1, _harness.Repository.FileReads);
        Assert.Contains("garbage", _harness.Repository.Snapshot.Models.Keys);
        Assert.False(_harness.Repository.Snapshot.Failures.ContainsKey("garbage"));
    }

    [Fact]
    public async Task A_link_replaced_by_a_regular_file_is_loaded()
    {
        _harness.Write("mnist-cnn.onnx", ModelFiles.Default);
        File.CreateSymbolicLink(_harness.Models.File("second.onnx"), _harness.Models.File("mnist-cnn.onnx"));
        await _harness.ReconcileAsync();
        Assert.Contains("symbolic link", _harness.Failure("second").Error);

        File.Delete(_harness.Models.File("second.onnx"));
        _harness.Write("second.onnx", ModelFiles.Variant("second"));
        await _harness.ReconcileAsync();

        Assert.Contains("second", _harness.Repository.Snapshot.Models.Keys);
        Assert.Empty(_harness.Repository.Snapshot.Failures);
    }

    [Fact]
    public async Task The_service_lists_each_file_not_loaded_once_and_reads_none_again_over_several_rescans()
    {
        _harness.Write("mnist-cnn.onnx", ModelFiles.Default);
        _harness.Write("garbage.onnx", ModelFiles.Garbage);
        _harness.Write("fails.onnx", TinyOnnxModel.ReshapesWrongly);
        File.CreateSymbolicLink(_harness.Models.File("link.onnx"), _harness.Models.File("mnist-cnn.onnx"));
        _harness.MakeSparse("huge.onnx", 2L << 30);
        _harness.MakeFifo("pipe.onnx");
        using var factory = new ApiFactory(_harness.Models.Path); // rescans every second
        using var client = factory.CreateClient();
        var repository = factory.Services.GetRequiredService<ModelRepository>();
        var reads = repository.FileReads;

        await Task.Delay(TimeSpan.FromSeconds(4.5));

        Assert.Equal(3, reads);
        Assert.Equal(reads, repository.FileReads);
        var list = await HttpAssert.Json(await client.GetAsync("/models"));
        var failures = list.GetProperty("failures").EnumerateArray().Select(f => f.GetProperty("file").GetString()).ToList();
        Assert.Equal(["fails.onnx", "garbage.onnx", "huge.onnx", "link.onnx", "pipe.onnx"], failures);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
    }
}
