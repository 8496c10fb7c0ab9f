using MnistService.Api.ModelStore;

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
        _harness.Write("mnist-mlp.onnx", ModelFiles.Default);
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
            Assert.Equal("mnist-mlp", lease.Model.Name);
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
}
