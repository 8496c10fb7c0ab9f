using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MnistService.Api.Errors;
using MnistService.Api.ModelStore;
using MnistService.Api.Tests.Infrastructure;

namespace MnistService.Api.Tests.ModelStore;

/// <summary>The swap itself: leases keep a replaced model alive until the last request using it ends.</summary>
public sealed class ModelRepositoryTests : IDisposable
{
    private readonly TempDirectory _models = new();
    private readonly ModelRepository _repository;

    public ModelRepositoryTests()
    {
        var options = Options.Create(new ModelsOptions { Directory = _models.Path, SettleTime = TimeSpan.FromMilliseconds(10) });
        _repository = new ModelRepository(options, new Environment(_models.Path), NullLogger<ModelRepository>.Instance, TimeProvider.System);
    }

    public void Dispose()
    {
        _repository.Dispose();
        _models.Dispose();
    }

    private void Write(string name, byte[] bytes)
    {
        File.WriteAllBytes(_models.File(name), bytes);
        File.SetLastWriteTimeUtc(_models.File(name), DateTime.UtcNow.AddSeconds(-1)); // settled
    }

    [Fact]
    public void A_lease_taken_before_a_swap_keeps_the_old_session_until_released()
    {
        Write("mnist-mlp.onnx", ModelFiles.Default);
        Assert.False(_repository.Reconcile());
        var lease = _repository.Acquire(null);
        var old = lease.Model;

        Write("mnist-mlp.onnx", ModelFiles.Variant("new"));
        _repository.MarkTouched("mnist-mlp.onnx");
        _repository.Reconcile();
        using (var current = _repository.Acquire(null))
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
        _repository.Reconcile();
        Assert.Throws<NoModelLoadedException>(() => _repository.Acquire(null));
        Assert.Throws<ModelNotFoundException>(() => _repository.Acquire("other"));
    }

    [Fact]
    public void A_file_still_being_written_is_not_read_yet()
    {
        File.WriteAllBytes(_models.File("mnist-mlp.onnx"), ModelFiles.Truncated);
        File.SetLastWriteTimeUtc(_models.File("mnist-mlp.onnx"), DateTime.UtcNow.AddSeconds(5)); // just modified, as far as settling goes
        Assert.True(_repository.Reconcile());
        Assert.Empty(_repository.Snapshot.Failures);
        Assert.Empty(_repository.Snapshot.Models);
    }

    [Fact]
    public void Wrong_shaped_models_are_refused_with_a_reason()
    {
        Write("mnist-mlp.onnx", ModelFiles.Garbage);
        _repository.Reconcile();
        var failure = Assert.Single(_repository.Snapshot.Failures.Values);
        Assert.Equal("mnist-mlp", failure.Name);
        Assert.Contains("ONNX", failure.Error);
    }

    private sealed class Environment(string root) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Test";
        public string ApplicationName { get; set; } = "MnistService.Api";
        public string ContentRootPath { get; set; } = root;
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = null!;
    }
}
