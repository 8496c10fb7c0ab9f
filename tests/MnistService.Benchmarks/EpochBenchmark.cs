using System.Diagnostics;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using MnistService.Core.Data;
using MnistService.Core.Imaging;
using MnistService.Core.Training;

namespace MnistService.Benchmarks;

/// <summary>
/// One training epoch of the tutorial's model on MNIST: 48,000 training images in 375 batches of 128
/// (forward, backward, Adam), then the 12,000 validation images, as <c>mnist-train train</c> runs it:
/// with <see cref="Augment"/> "none" the tutorial recipe, with "affine" the distorted one (every image
/// distorted, label smoothing, one-cycle schedule); <see cref="Distortion"/> is the distortion of those
/// 48,000 images alone. The baseline is the same model and epoch in PyTorch (Debian's python3-torch,
/// pytorch_epoch.py, distorting with affine_grid and grid_sample), driven in the same run
/// (python3-torch with libopenblas0-pthread). Needs the data (MNIST_DATA_DIR or ../shared/mnist).
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

    [Params("none", "affine")]
    public string Augment { get; set; } = "none";

    private TrainingSettings Settings => (Augment == "none" ? TrainingRecipes.Tutorial : TrainingRecipes.Distorted) with { Epochs = 1, Threads = Threads };
    private ImageDistorter? _distorter;
    private int[] _order = [];
    private float[] _distorted = [];

    [GlobalSetup]
    public void Setup()
    {
        var location = MnistLocator.Locate();
        _train = Mnist.Load(location.Directory).Train;
        _distorter = Augment == "none" ? null : new ImageDistorter(AugmentKind.Affine, Settings.ToDistortionRanges(), Settings.Seed, Threads);
        _order = [.. Enumerable.Range(0, 48_000)];
        _distorted = new float[DistortedAtOnce * ImageDistorter.Pixels];
        if (!File.Exists(Python))
        {
            return;
        }

        _pytorch = Process.Start(new ProcessStartInfo(Python)
        {
            ArgumentList = { ScriptPath(), location.Directory, Threads.ToString(), Augment },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            Environment =
            {
                // PyTorch at its best here: OpenBLAS 0.3.21 does not know these CPUs and would fall back to its
                // Prescott kernels, and OpenMP's spin-waiting collapses on a shared 2-core machine.
                ["OPENBLAS_CORETYPE"] = OpenBlasCoreType(),
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
    public TrainingResult Epoch() => Trainer.Train(_train.Images, _train.Labels, Settings);

    /// <summary>Images the trainer distorts in one call (16 batches of 128).</summary>
    private const int DistortedAtOnce = 2048;

    /// <summary>The epoch's distortions alone, as the trainer makes them (nothing with "none").</summary>
    [Benchmark]
    public float Distortion()
    {
        if (_distorter is null)
        {
            return 0;
        }

        for (var start = 0; start < _order.Length; start += DistortedAtOnce)
        {
            _distorter.Distort(_train.Images, _order, start, Math.Min(DistortedAtOnce, _order.Length - start), _distorted, epoch: 1);
        }
        return _distorted[400];
    }

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

    /// <summary>The OpenBLAS kernels for this CPU: Zen on AMD (the EPYC machines), SkylakeX on Intel's AVX-512 Xeons.</summary>
    private static string OpenBlasCoreType() =>
        File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo").Any(line => line.Contains("AuthenticAMD")) ? "ZEN" : "SkylakeX";

    private static string ScriptPath([CallerFilePath] string source = "") =>
        Path.Combine(Path.GetDirectoryName(source)!, "pytorch_epoch.py");
}
