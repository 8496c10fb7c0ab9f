using MnistService.Api.Errors;
using MnistService.Api.ModelStore;

namespace MnistService.Api.Tests.ModelStore;

/// <summary>The swap itself: leases keep a replaced model alive until the last request using it ends.</summary>
public sealed class ModelRepositoryTests : IDisposable
{
    private readonly RepositoryHarness _harness = new();
    private ModelRepository Repository => _harness.Repository;
    private TempDirectory Models => _harness.Models;

    public void Dispose() => _harness.Dispose();

    private void Write(string name, byte[] bytes) => _harness.Write(name, bytes);

    [Fact]
    public void A_lease_taken_before_a_swap_keeps_the_old_session_until_released()
    {
        Write("mnist-cnn.onnx", ModelFiles.Default);
        Assert.False(Repository.Reconcile());
        var lease = Repository.Acquire(null);
        var old = lease.Model;

        Write("mnist-cnn.onnx", ModelFiles.Variant("new"));
        Repository.MarkTouched("mnist-cnn.onnx");
        Repository.Reconcile();
        using (var current = Repository.Acquire(null))
        {
            Assert.NotSame(old, current.Model);
        }

        // The old model still answers for the request that holds it.
        var probabilities = new float[10];
        old.Predict(MnistTestSet.Images[0].Select(b => b / 255f).ToArray(), probabilities);
        Assert.Equal(1.0, probabilities.Sum(), 1e-4);
        Assert.False(old.IsDisposed);
        lease.Dispose();
        Assert.True(old.IsDisposed);
        Assert.False(old.TryAcquire());
    }

    [Fact]
    public void Default_missing_is_503_and_unknown_name_is_404()
    {
        Repository.Reconcile();
        Assert.Throws<NoModelLoadedException>(() => Repository.Acquire(null));
        Assert.Throws<ModelNotFoundException>(() => Repository.Acquire("other"));
    }

    [Fact]
    public void When_the_stand_in_goes_the_log_says_the_configured_default_is_back_only_when_it_is_loaded()
    {
        Write("other.onnx", ModelFiles.Default);
        Repository.Reconcile();
        Assert.Equal(DefaultModelKind.OnlyModel, Repository.Snapshot.Default.Kind);
        File.Delete(Models.File("other.onnx"));
        Repository.Reconcile(); // nothing loaded: the configured name is the default again, without a file

        Assert.Equal(DefaultModelKind.ConfiguredNoneLoaded, Repository.Snapshot.Default.Kind);
        Assert.Equal("configured (Models:Default)", Repository.Snapshot.DefaultReason);
        Assert.Contains(_harness.Log.Warnings, w => w.Contains("No model is loaded") && w.Contains("mnist-cnn, which has no file"));

        Write("other.onnx", ModelFiles.Default);
        Repository.Reconcile();
        Write("mnist-cnn.onnx", ModelFiles.Garbage);
        Repository.Reconcile(); // the configured default's file is there and does not load: it is the default, and not loaded

        Assert.Equal(DefaultModelKind.ConfiguredFailed, Repository.Snapshot.Default.Kind);
        Assert.Contains(_harness.Log.Warnings, w => w.Contains("mnist-cnn is the default again, but its file does not load"));
        Assert.DoesNotContain(_harness.Log.Entries, e => e.Message.Contains("is loaded and is the default again"));

        Write("mnist-cnn.onnx", ModelFiles.Default);
        Repository.MarkTouched("mnist-cnn.onnx");
        Repository.Reconcile();
        Assert.Equal(DefaultModelKind.Configured, Repository.Snapshot.Default.Kind);
        Assert.Contains(_harness.Log.Entries, e => e.Message == "The configured default model mnist-cnn is loaded and is the default again");
    }

    [Fact]
    public void A_file_still_being_written_is_not_read_yet()
    {
        File.WriteAllBytes(Models.File("mnist-cnn.onnx"), ModelFiles.Truncated);
        File.SetLastWriteTimeUtc(Models.File("mnist-cnn.onnx"), DateTime.UtcNow.AddSeconds(5)); // just modified, as far as settling goes
        Assert.True(Repository.Reconcile());
        Assert.Empty(Repository.Snapshot.Failures);
        Assert.Empty(Repository.Snapshot.Models);
    }

    [Fact]
    public void Wrong_shaped_models_are_refused_with_a_reason()
    {
        Write("mnist-cnn.onnx", ModelFiles.Garbage);
        Repository.Reconcile();
        var failure = Assert.Single(Repository.Snapshot.Failures.Values);
        Assert.Equal("mnist-cnn", failure.Name);
        Assert.Contains("ONNX", failure.Error);
    }
}
