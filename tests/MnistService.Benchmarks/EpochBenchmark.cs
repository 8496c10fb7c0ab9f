using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using MnistService.Core.Data;
using MnistService.Core.Imaging;
using MnistService.Core.Training;

namespace MnistService.Benchmarks;

/// <summary>
/// One training epoch of the tutorial's model on MNIST: 48,000 training images in 375 batches of 128
/// (forward, backward, Adam), then the 12,000 validation images, as <c>mnist-train train</c> runs it:
/// with <see cref="Augment"/> "none" the tutorial recipe, with "affine" the distorted one (every image
/// distorted, label smoothing, one-cycle schedule) holding out the tutorial's fifth, so that the two epochs
/// differ by the distortion alone; <see cref="Distortion"/> is the distortion of those 48,000 images alone,
/// made as the trainer makes them (one thread, a batch at a time). The baseline is the same model and epoch
/// in PyTorch (Debian's python3-torch, pytorch_epoch.py, distorting with affine_grid and grid_sample), driven
/// in the same run. Needs the data (MNIST_DATA_DIR or ../shared/mnist).
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 7)]
[MinColumn, MaxColumn, MedianColumn]
[Config(typeof(EpochConfig))]
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

    private TrainingSettings Settings => (Augment == "none" ? TrainingRecipes.Tutorial : TrainingRecipes.Distorted with { ValidationSplit = 0.2 })
        with { Epochs = 1, Threads = Threads };
    private ImageDistorter? _distorter;
    private int[] _order = [];
    private float[] _distorted = [];
    private readonly List<double> _cpuSeconds = [];
    private string _measured = "";

    [GlobalSetup]
    public void Setup()
    {
        var location = MnistLocator.Locate();
        _train = Mnist.Load(location.Directory).Train;
        _distorter = Augment == "none" ? null : new ImageDistorter(AugmentKind.Affine, Settings.ToDistortionRanges(), Settings.Seed);
        _order = [.. Enumerable.Range(0, 48_000)];
        _distorted = new float[Settings.BatchSize * ImageDistorter.Pixels];
        if (!File.Exists(Python))
        {
            return;
        }

        _pytorch = Process.Start(new ProcessStartInfo(Python)
        {
            ArgumentList = { ScriptPath(), location.Directory, Augment },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            Environment =
            {
                // PyTorch at its best here (docs/benchmarks.md): OpenBLAS's own threads for the matrix products
                // (OpenBLAS 0.3.21 does not know these CPUs by name and would fall back to its Prescott kernels),
                // and OpenMP threads that sleep when idle: spin-waiting collapses on a shared 2-core machine.
                ["OPENBLAS_CORETYPE"] = OpenBlasCoreType(),
                ["OPENBLAS_NUM_THREADS"] = (Threads > 0 ? Threads : Environment.ProcessorCount).ToString(),
                ["OMP_WAIT_POLICY"] = "PASSIVE",
            },
        })!;
        var ready = _pytorch.StandardOutput.ReadLine()?.Split(' ');
        if (ready?[0] != "ready")
        {
            _pytorch.Kill();
            _pytorch = null; // no torch here: the PyTorch row is skipped
            Console.WriteLine("// PyTorch baseline unavailable (install python3-torch)");
            return;
        }
        // Debian's python3-torch calls whatever libblas.so.3 is: the reference BLAS (libblas3) runs the layer's
        // product 60 times slower than OpenBLAS (libopenblas0-pthread), which makes the baseline meaningless.
        var gflops = double.Parse(ready[1], CultureInfo.InvariantCulture);
        Console.WriteLine($"// PyTorch: a 128x784x256 product at {gflops:F1} GFLOP/s"
            + (gflops < 20 ? " (the reference BLAS? install libopenblas0-pthread, or put its libblas.so.3 first in LD_LIBRARY_PATH)" : ""));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        CpuTimeColumn.Record(_measured, $"Augment={Augment},Threads={Threads}", _cpuSeconds);
        if (_pytorch is null)
        {
            return;
        }

        _pytorch.StandardInput.Close();
        _pytorch.WaitForExit(10_000);
        _pytorch.Dispose();
    }

    [Benchmark]
    public TrainingResult Epoch() => OnCpuClock(() => Trainer.Train(_train.Images, _train.Labels, Settings));

    /// <summary>The epoch's distortions alone, as the trainer makes them (nothing with "none").</summary>
    [Benchmark]
    public float Distortion() => OnCpuClock(() =>
    {
        if (_distorter is null)
        {
            return 0;
        }

        var batch = Settings.BatchSize;
        for (var start = 0; start < _order.Length; start += batch)
        {
            _distorter.Distort(_train.Images, _order, start, Math.Min(batch, _order.Length - start), _distorted, epoch: 1);
        }
        return _distorted[400];
    });

    /// <summary>Runs <paramref name="work"/>, noting this process's CPU time for <see cref="CpuTimeColumn"/>.</summary>
    private T OnCpuClock<T>(Func<T> work, [CallerMemberName] string method = "")
    {
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        var result = work();
        _cpuSeconds.Add((Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds);
        _measured = method;
        return result;
    }

    [Benchmark(Baseline = true)]
    public string PyTorchEpoch()
    {
        if (_pytorch is null)
        {
            throw new InvalidOperationException("PyTorch (python3-torch) is not available.");
        }

        _pytorch.StandardInput.WriteLine("epoch");
        var done = _pytorch.StandardOutput.ReadLine() ?? throw new InvalidOperationException("PyTorch exited.");
        _cpuSeconds.Add(double.Parse(done.Split(' ')[3], CultureInfo.InvariantCulture)); // "done WALL ACCURACY CPU"
        _measured = nameof(PyTorchEpoch);
        return done;
    }

    /// <summary>The OpenBLAS kernels for this CPU: Zen on AMD (the EPYC machines), SkylakeX on Intel's AVX-512 Xeons.</summary>
    private static string OpenBlasCoreType() =>
        File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo").Any(line => line.Contains("AuthenticAMD")) ? "ZEN" : "SkylakeX";

    private static string ScriptPath([CallerFilePath] string source = "") =>
        Path.Combine(Path.GetDirectoryName(source)!, "pytorch_epoch.py");
}

public sealed class EpochConfig : ManualConfig
{
    public EpochConfig() => AddColumn(new CpuTimeColumn());
}
