using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using MnistService.Core.Data;
using MnistService.Core.Training;

namespace MnistService.Benchmarks;

/// <summary>
/// One training epoch of the tutorial's model on MNIST: 48,000 training images in 375 batches of 128
/// (forward, backward, Adam), then the 12,000 validation images, as <c>mnist-train train</c> runs it.
/// Needs the data (MNIST_DATA_DIR or ../shared/mnist).
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 7)]
[MinColumn, MaxColumn, MedianColumn]
public class EpochBenchmark
{
    private MnistSet _train = null!;

    /// <summary>Worker threads (0 = all cores).</summary>
    [Params(1, 0)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup() => _train = Mnist.Load().Train;

    [Benchmark]
    public TrainingResult Epoch() =>
        Trainer.Train(_train.Images, _train.Labels, new TrainingOptions { Epochs = 1, Threads = Threads });
}
