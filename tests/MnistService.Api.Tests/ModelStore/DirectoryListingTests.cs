using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using MnistService.Api.ModelStore;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.ModelStore;

/// <summary>
/// A models directory that cannot be listed says nothing about the model files: what is loaded stays
/// loaded, a warning is logged and the failure counted. (Running out of descriptors, EMFILE, is tried on the
/// real process in MnistService.Reliability.Tests.)
/// </summary>
public sealed class DirectoryListingTests : IDisposable
{
    private readonly RepositoryHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    public static TheoryData<string> Breakages => ["deleted", "replaced by a file"];

    [Theory]
    [MemberData(nameof(Breakages))]
    public async Task A_directory_that_cannot_be_listed_changes_nothing(string breakage)
    {
        _harness.Write("mnist-cnn.onnx", ModelFiles.Default);
        _harness.Write("second.onnx", ModelFiles.Variant("second"));
        await _harness.ReconcileAsync();
        var before = _harness.Repository.Snapshot;
        Assert.Equal(2, before.Models.Count);
        var counted = ModelStoreMetrics.DirectoryListFailures.Value;

        Directory.Delete(_harness.Models.Path, recursive: true);
        if (breakage == "replaced by a file")
        {
            File.WriteAllText(_harness.Models.Path, "not a directory");
        }
        await _harness.ReconcileAsync();
        await _harness.ReconcileAsync();

        Assert.Same(before, _harness.Repository.Snapshot);
        using (var lease = _harness.Repository.Acquire(null))
        {
            Assert.Equal("mnist-cnn", lease.Model.Name);
        }
        Assert.Equal(2, _harness.Repository.ListingFailures);
        Assert.True(ModelStoreMetrics.DirectoryListFailures.Value >= counted + 2); // the process-wide Prometheus counter
        Assert.Contains(_harness.Log.Warnings, w => w.StartsWith($"Cannot list {_harness.Models.Path}; the 2 models loaded stay as they are"));

        // Listed again: back in line with the files (none now).
        File.Delete(_harness.Models.Path);
        Directory.CreateDirectory(_harness.Models.Path);
        await _harness.ReconcileAsync();
        Assert.Empty(_harness.Repository.Snapshot.Models);
        Assert.Equal(2, _harness.Repository.ListingFailures);
    }

    [Fact]
    public async Task A_directory_deleted_and_made_again_is_watched_again()
    {
        _harness.Write("mnist-cnn.onnx", ModelFiles.Default);
        using var factory = new ApiFactory(_harness.Models.Path, new Dictionary<string, string?> { ["Models:RescanInterval"] = "00:00:04" });
        using var client = factory.CreateClient();
        var repository = factory.Services.GetRequiredService<ModelRepository>();

        Directory.Delete(_harness.Models.Path, recursive: true);
        await Until(() => repository.ListingFailures > 0, TimeSpan.FromSeconds(15), "a listing fails");
        Directory.CreateDirectory(_harness.Models.Path);
        await Until(() => repository.Snapshot.Models.Count == 0, TimeSpan.FromSeconds(15), "the empty directory is listed");
        await Task.Delay(300); // what the deletion signalled is handled by now

        // Shortly after a rescan: the next is more than 3 s away, so a model loaded sooner was seen through file events.
        var clock = Stopwatch.StartNew();
        File.WriteAllBytes(_harness.Models.File("mnist-cnn.onnx"), ModelFiles.Variant("back"));
        await Until(() => repository.Snapshot.Models.ContainsKey("mnist-cnn"), TimeSpan.FromSeconds(15), "the new file is loaded");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"loaded after {clock.Elapsed.TotalSeconds:0.0} s: by the rescan, not by a file event");
    }

    private static async Task Until(Func<bool> condition, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }
}
