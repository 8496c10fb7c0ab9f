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
        Write("mnist-mlp.onnx", ModelFiles.Default);
        Assert.False(Repository.Reconcile());
        var lease = Repository.Acquire(null);
        var old = lease.Model;

        Write("mnist-mlp.onnx", ModelFiles.Variant("new"));
        Repository.MarkTouched("mnist-mlp.onnx");
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
    public void A_file_still_being_written_is_not_read_yet()
    {
        File.WriteAllBytes(Models.File("mnist-mlp.onnx"), ModelFiles.Truncated);
        File.SetLastWriteTimeUtc(Models.File("mnist-mlp.onnx"), DateTime.UtcNow.AddSeconds(5)); // just modified, as far as settling goes
        Assert.True(Repository.Reconcile());
        Assert.Empty(Repository.Snapshot.Failures);
        Assert.Empty(Repository.Snapshot.Models);
    }

    [Fact]
    public void Wrong_shaped_models_are_refused_with_a_reason()
    {
        Write("mnist-mlp.onnx", ModelFiles.Garbage);
        Repository.Reconcile();
        var failure = Assert.Single(Repository.Snapshot.Failures.Values);
        Assert.Equal("mnist-mlp", failure.Name);
        Assert.Contains("ONNX", failure.Error);
    }
}
