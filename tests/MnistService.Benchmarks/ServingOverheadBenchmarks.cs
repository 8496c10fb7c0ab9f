using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using MnistService.Api.Jobs;
using MnistService.Api.ModelStore;
using MnistService.Core.Onnx;
using MnistService.Core.Training.Jobs;
using MnistService.Testing;

namespace MnistService.Benchmarks;

/// <summary>
/// What the service repeats on a path it takes often, each beside the work it is part of: per batched inference (the
/// candidates of a number), a RunOptions made and the classifier's output looked up by name; per model load, the
/// file's SHA-256 and the weights read; per poll of an open job event stream (five a second), a read of the job (its
/// status and job files parsed) against a look at the files' sizes, times and inodes.
/// </summary>
[Config(typeof(ImageBenchmarks.ImageConfig))]
public class ServingOverheadBenchmarks
{
    private const int Candidates = 30; // about what a 10-digit number gives the batch
    private readonly float[] _images = new float[Candidates * LoadedModel.InputSize];
    private readonly float[] _probabilities = new float[Candidates * LoadedModel.Classes];
    private readonly float[] _scores = new float[Candidates];
    private LoadedModel _model = null!;
    private InferenceSession _session = null!;
    private byte[] _bytes = [];
    private FileInfo _file = null!;
    private JobStore _jobs = null!;
    private string _jobsDirectory = "", _job = "";

    [GlobalSetup]
    public void Setup()
    {
        _file = new FileInfo(Repo.MlpModel);
        _bytes = File.ReadAllBytes(_file.FullName);
        _model = LoadedModel.Load("mnist-mlp", _file.FullName, ModelFileStamp.Of(_file), _bytes, new ModelsOptions());
        _session = new InferenceSession(_bytes);
        for (var i = 0; i < Candidates; i++)
        {
            MnistTestSet.PixelsOf(i).Select(p => p / 255f).ToArray().CopyTo(_images, i * LoadedModel.InputSize);
        }

        var models = Directory.CreateTempSubdirectory("mnist-bench-jobs").FullName;
        var options = Options.Create(new ModelsOptions { Directory = models });
        var repository = new ModelRepository(options, new Environment(models), NullLogger<ModelRepository>.Instance, TimeProvider.System);
        _jobs = new JobStore(repository, new StaticOptions(new TrainingOptions()), TimeProvider.System, NullLogger<JobStore>.Instance);
        var job = TrainingJob.Parse("""{ "hidden": [16], "epochs": 2 }""", "bench-job");
        _job = _jobs.SubmitAsync(job).GetAwaiter().GetResult().Id;
        _jobsDirectory = _jobs.Queue.JobsDirectory;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _model.Release();
        _session.Dispose();
        Directory.Delete(Path.GetDirectoryName(_jobsDirectory)!, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "Classify: 30 candidates in one batch")]
    public float Classify()
    {
        _model.Classify(_images, Candidates, _probabilities, _scores);
        return _probabilities[0];
    }

    [Benchmark(Description = "a RunOptions made and disposed (per batch)")]
    public bool RunOptionsPerBatch()
    {
        using var options = new RunOptions();
        return options.LogSeverityLevel == OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
    }

    [Benchmark(Description = "the output looked up by name (per batch)")]
    public bool OutputLookup() => _session.OutputMetadata.ContainsKey(OnnxModelFormat.OutputName);

    [Benchmark(Description = "LoadedModel.Load: session, report, weights, warm-up")]
    public string Load()
    {
        var model = LoadedModel.Load("mnist-mlp", _file.FullName, ModelFileStamp.Of(_file), _bytes, new ModelsOptions());
        model.Release();
        return model.Sha256;
    }

    [Benchmark(Description = "SHA-256 of the model file (per load, twice)")]
    public byte[] Hash() => SHA256.HashData(_bytes);

    [Benchmark(Description = "OnnxClassifierReader.Read: weights, report, hash")]
    public int ReadWeights() => OnnxClassifierReader.Read(_bytes).Layers.Count;

    [Benchmark(Description = "OnnxClassifierReader.ReadLayers: the weights alone (per load)")]
    public int ReadLayers() => OnnxClassifierReader.ReadLayers(_bytes, "mnist-mlp").Count;

    [Benchmark(Description = "JobStore.Find (per event-stream poll)")]
    public string? FindJob() => _jobs.Find(_job)?.State;

    [Benchmark(Description = "JobStore.Stamp: the job's files' sizes, times and inodes (per poll)")]
    public JobFilesStamp JobStamps() => _jobs.Stamp(_job);

    private sealed class Environment(string root) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Benchmark";
        public string ApplicationName { get; set; } = "MnistService.Api";
        public string ContentRootPath { get; set; } = root;
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = null!;
    }

    private sealed class StaticOptions(TrainingOptions value) : IOptionsMonitor<TrainingOptions>
    {
        public TrainingOptions CurrentValue => value;
        public TrainingOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<TrainingOptions, string?> listener) => null;
    }
}
