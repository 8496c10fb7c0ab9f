using BenchmarkDotNet.Attributes;
using MnistService.Api.ModelStore;
using MnistService.Core.Imaging;
using MnistService.Core.Reading;
using MnistService.Testing;
using SixLabors.ImageSharp;

namespace MnistService.Benchmarks;

/// <summary>
/// The server's work for <c>POST /predict/sequence</c> on a 10-digit number, 1,200x200 PNG (MNIST test digits 0-9,
/// 90 pixels high, spaced, black on white: <see cref="NumberImages"/>), against <c>POST /predict</c>'s work on one
/// 280x280 canvas PNG of test digit 0 in the same run (the baseline): decode, preprocess (each candidate piece, for
/// the number) and ONNX Runtime inference (one batch of all candidates) with each committed model: the default
/// convolutional network and the tutorial's multi-layer perceptron.
/// </summary>
[Config(typeof(ImageBenchmarks.ImageConfig))]
public class SequenceBenchmarks
{
    private readonly ImageDecoder _decoder = new(new ImageDecodeLimits(MaxPixels: 4096L * 4096, MaxSide: 16384));
    private readonly float[] _input = new float[MnistPreprocessor.Side * MnistPreprocessor.Side];
    private readonly float[] _probabilities = new float[LoadedModel.Classes];
    private LoadedModel _model = null!;
    private byte[] _number = [], _touching = [], _digit = [];

    [Params("mnist-mlp", "mnist-cnn")]
    public string Model { get; set; } = "mnist-mlp";

    [GlobalSetup]
    public void Setup()
    {
        var file = new FileInfo(Path.Combine(Repo.ModelsDirectory, $"{Model}.onnx"));
        _model = LoadedModel.Load(Model, file.FullName, ModelFileStamp.Of(file), File.ReadAllBytes(file.FullName), new ModelsOptions());
        var number = Number();
        _number = number.Bytes;
        _touching = Number(NumberStyle.Tight).Bytes;
        _digit = TestImages.TransparentPng(MnistTestSet.Images[number.Indices[0]], new TestImages.Placement(10, 280, 280, 0, 0));
        var read = ReadNumber();
        Console.WriteLine($"// number: {_number.Length:N0} bytes of PNG, written {number.Text}, read {read}");
    }

    /// <summary>The number read: the first test image of each digit 0-9, as a 1,200x200 grayscale PNG (also the wrk body).</summary>
    public static NumberImage Number(NumberStyle style = NumberStyle.Spaced)
    {
        var indices = Enumerable.Range(0, 10).Select(d => Array.IndexOf(MnistTestSet.Labels, (byte)d)).ToArray();
        return NumberImages.Make(style, indices, new Random(1), height: 90, canvas: new Size(1200, 200));
    }

    [GlobalCleanup]
    public void Cleanup() => _model.Release();

    [Benchmark(Baseline = true, Description = "/predict: 280x280 canvas PNG, one digit")]
    public int PredictDigit()
    {
        using var image = _decoder.Decode(_digit, out _);
        MnistPreprocessor.Process(image, _input);
        _model.Predict(_input, _probabilities);
        return image.Width;
    }

    [Benchmark(Description = "/predict/sequence: 1,200x200 PNG, ten digits")]
    public string ReadNumber()
    {
        using var image = _decoder.Decode(_number, out _);
        return NumberReader.Read(image, _model).Text;
    }

    /// <summary>The same digits written touching and overlapping (<see cref="NumberStyle.Tight"/>): more cuts, more candidates.</summary>
    [Benchmark(Description = "/predict/sequence: 1,200x200 PNG, ten digits touching")]
    public string ReadTouchingNumber()
    {
        using var image = _decoder.Decode(_touching, out _);
        return NumberReader.Read(image, _model).Text;
    }
}
