using Microsoft.ML.OnnxRuntime;
using MnistService.Core.Network;
using MnistService.Core.Onnx;
using MnistService.Core.Tests.Onnx;
using MnistService.Core.Training;

namespace MnistService.Core.Tests.Detector;

/// <summary>
/// The detector in the ONNX file: written as the second output digit_score, read back with its weights, and computed
/// by ONNX Runtime as our own network computes it; a file without one still reads, and the two cannot disagree.
/// </summary>
public sealed class DetectorExportTests
{
    private static DetectorReport Calibration(DetectorNetwork network) => new(ChoiceNames.Of(network.Kind), network.Hidden, network.ParameterCount,
        [new DetectorEpoch(1, 0.5, 0.9, 1.0)], 0.25, 0.005, [new ScorePercentile(50, 0.9)], 0.004);

    [Theory]
    [InlineData(DetectorKind.Discriminator, 1)]
    [InlineData(DetectorKind.Discriminator, 3)]
    [InlineData(DetectorKind.Autoencoder, 1)]
    public void Digit_score_from_onnx_runtime_is_our_networks_score(DetectorKind kind, int members)
    {
        var layers = TestModels.SmallOdd();
        var networks = Enumerable.Range(9, members).Select(seed => new DetectorNetwork(kind, 784, [16], seed, threads: 1)).ToList();
        var detector = members == 1 ? networks[0] : DetectorNetwork.Average(networks, threads: 1);
        var report = TestModels.Report(layers) with { Detector = Calibration(detector) };
        using var dir = new TempDirectory();
        var path = dir.File("detector.onnx");
        OnnxExporter.Write(path, layers, report, detector: detector.GetParameters());

        var file = OnnxModelReader.Read(path);
        Assert.NotNull(file.Detector);
        Assert.Equal(detector.GetParameters().Select(l => l.Weights), file.Detector!.Select(l => l.Weights));
        Assert.Equal(report.Detector!.Threshold, file.Report.Detector!.Threshold);

        const int n = 8;
        var images = MnistTestSet.Images.Take(n).SelectMany(p => p.Select(v => v / 255f)).ToArray();
        var ours = new float[n];
        detector.Score(images, n, ours);
        using var session = new InferenceSession(path);
        using var input = OrtValue.CreateTensorValueFromMemory(images, [n, 1, 28, 28]);
        using var options = new RunOptions();
        using var outputs = session.Run(options, ["image"], [input], ["probabilities", OnnxModelFormat.DigitScoreName]);
        Assert.Equal([n], outputs[1].GetTensorTypeAndShape().Shape);
        var onnx = outputs[1].GetTensorDataAsSpan<float>().ToArray();
        Assert.All(ours.Zip(onnx), pair => Assert.Equal(pair.First, pair.Second, 1e-5f));
    }

    [Fact]
    public void Detector_and_report_must_agree()
    {
        var layers = TestModels.SmallOdd();
        var detector = new DetectorNetwork(DetectorKind.Discriminator, 784, [8], seed: 1);
        var report = TestModels.Report(layers);
        Assert.Contains("no detector section", Assert.Throws<ArgumentException>(() =>
            OnnxExporter.Serialize(layers, report, detector: detector.GetParameters())).Message);
        Assert.Contains("no detector layers", Assert.Throws<ArgumentException>(() =>
            OnnxExporter.Serialize(layers, report with { Detector = Calibration(detector) })).Message);
    }

    [Fact]
    public void A_model_without_detector_reads_with_none()
    {
        var layers = TestModels.SmallOdd();
        var file = OnnxModelReader.Read(OnnxExporter.Serialize(layers, TestModels.Report(layers)));
        Assert.Null(file.Detector);
        Assert.Null(file.Report.Detector);
    }
}
