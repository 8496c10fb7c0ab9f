using System.Diagnostics;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using MnistService.Core.Data;
using MnistService.Core.Training;

namespace MnistService.Benchmarks;

/// <summary>
/// One training epoch of the tutorial's model on MNIST: 48,000 training images in 375 batches of 128
/// (forward, backward, Adam), then the 12,000 validation images, as <c>mnist-train train</c> runs it.
/// The baseline is the same model and epoch in PyTorch (Debian's python3-torch, pytorch_epoch.py),
/// driven in the same run (python3-torch with libopenblas0-pthread). Needs the data (MNIST_DATA_DIR or ../shared/mnist).
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 7)]
[MinColumn, MaxColumn, MedianColumn]
public class EpochBenchmark
{
    private const string Python = "/usr/bin/python3";
    private MnistSet _train = null!;
    private Process? _pytorch;

    /// <summary>Worker threads (0 = all cores).</summary>
    [Params(1, 0)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var location = MnistLocator.Locate();
        _train = Mnist.Load(location.Directory).Train;
        if (!File.Exists(Python))
        {
            return;
        }

        _pytorch = Process.Start(new ProcessStartInfo(Python)
        {
            ArgumentList = { ScriptPath(), location.Directory, Threads.ToString() },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            Environment =
            {
                // PyTorch at its best here: OpenBLAS 0.3.21 does not know this CPU and would fall back to its
                // Prescott kernels, and OpenMP's spin-waiting collapses on a shared 2-core machine.
                ["OPENBLAS_CORETYPE"] = "SkylakeX",
                ["OMP_WAIT_POLICY"] = "PASSIVE",
            },
        })!;
        var ready = _pytorch.StandardOutput.ReadLine();
        if (ready != "ready")
        {
            _pytorch.Kill();
            _pytorch = null; // no torch here: the PyTorch row is skipped
            Console.WriteLine("// PyTorch baseline unavailable (install python3-torch)");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_pytorch is null)
        {
            return;
        }

        _pytorch.StandardInput.Close();
        _pytorch.WaitForExit(10_000);
        _pytorch.Dispose();
    }

    [Benchmark]
    public TrainingResult Epoch() =>
        Trainer.Train(_train.Images, _train.Labels, new TrainingSettings { Epochs = 1, Threads = Threads });

    [Benchmark(Baseline = true)]
    public string PyTorchEpoch()
    {
        if (_pytorch is null)
        {
            throw new InvalidOperationException("PyTorch (python3-torch) is not available.");
        }

        _pytorch.StandardInput.WriteLine("epoch");
        return _pytorch.StandardOutput.ReadLine() ?? throw new InvalidOperationException("PyTorch exited.");
    }

    private static string ScriptPath([CallerFilePath] string source = "") =>
        Path.Combine(Path.GetDirectoryName(source)!, "pytorch_epoch.py");
}
