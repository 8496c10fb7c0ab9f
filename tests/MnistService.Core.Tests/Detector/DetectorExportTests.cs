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
    private static DetectorReport Calibration(DetectorNetwork network, DetectorInput input = DetectorInput.Image) => new(ChoiceNames.Of(network.Kind),
        network.Hidden, network.ParameterCount, [new DetectorEpoch(1, 0.5, 0.9, 1.0)], 0.25, 0.005, [new ScorePercentile(50, 0.9)], 0.004, Input: input);

    [Theory]
    [InlineData(DetectorKind.Discriminator, 1, DetectorInput.Image)]
    [InlineData(DetectorKind.Discriminator, 3, DetectorInput.Image)]
    [InlineData(DetectorKind.Autoencoder, 1, DetectorInput.Image)]
    [InlineData(DetectorKind.Discriminator, 1, DetectorInput.Classifier)]
    [InlineData(DetectorKind.Discriminator, 3, DetectorInput.Classifier)]
    public void Digit_score_from_onnx_runtime_is_our_networks_score(DetectorKind kind, int members, DetectorInput reads)
    {
        // Odd sizes, one activation: our network computes the classifier's first dense product the detector reads.
        var layers = TestModels.RandomLayers(7, (13, "tanh"), (7, "tanh"), (10, "softmax"));
        var inputs = reads == DetectorInput.Classifier ? layers[0].Outputs : 784;
        var networks = Enumerable.Range(9, members).Select(seed => new DetectorNetwork(kind, inputs, [16], seed, threads: 1)).ToList();
        var detector = members == 1 ? networks[0] : DetectorNetwork.Average(networks, threads: 1);
        var report = TestModels.Report(layers) with { Detector = Calibration(detector, reads) };
        using var dir = new TempDirectory();
        var path = dir.File("detector.onnx");
        OnnxExporter.Write(path, layers, report, detector: detector.GetParameters());

        var file = OnnxModelReader.Read(path);
        Assert.NotNull(file.Detector);
        Assert.Equal(detector.GetParameters().Select(l => l.Weights), file.Detector!.Select(l => l.Weights));
        Assert.Equal(report.Detector!.Threshold, file.Report.Detector!.Threshold);
        Assert.Equal(reads, file.Report.Detector.Input);

        AssertOnnxRuntimeScoresAsWeDo(path, file);
    }

    [Fact]
    public void A_convolutional_networks_digit_score_from_onnx_runtime_is_our_networks_score()
    {
        // The discriminator reads dense_1.linear, which in the graph follows the convolutions (NCHW) and a channels-first
        // flattening: our network must get the same values from its own layout.
        var classifier = new Mlp(new MlpSpec(784, [12], ActivationKind.Relu, 0, 10, [3, 5]), seed: 5, threads: 1);
        var random = new Random(3);
        for (var b = 1; b < classifier.ParameterBuffers.Count; b += 2)
        {
            // Biases follow each weight buffer; zero biases would hide a bias mix-up.
            var bias = classifier.ParameterBuffers[b].Value;
            for (var i = 0; i < bias.Length; i++)
            {
                bias[i] = (random.NextSingle() - 0.5f) * 0.2f;
            }
        }
        var detector = DetectorNetwork.Average([new DetectorNetwork(DetectorKind.Discriminator, 12, [8], 1, threads: 1),
            new DetectorNetwork(DetectorKind.Discriminator, 12, [8], 2, threads: 1)], threads: 1);
        var layers = classifier.GetParameters();
        var report = TestModels.Report(layers) with { Architecture = ArchitectureInfo.Of(classifier), Detector = Calibration(detector, DetectorInput.Classifier) };
        using var dir = new TempDirectory();
        var path = dir.File("convolutional-detector.onnx");
        OnnxExporter.Write(path, layers, report, detector: detector.GetParameters(), convolutions: classifier.GetConvolutions());

        var file = OnnxModelReader.Read(path);
        Assert.Equal(2, file.Convolutions.Count);
        Assert.Equal(detector.GetParameters().Select(l => l.Weights), file.Detector!.Select(l => l.Weights));
        Assert.Equal(DetectorInput.Classifier, file.Report.Detector!.Input);
        AssertOnnxRuntimeScoresAsWeDo(path, file);

        // A file whose detector reads the convolutions' flattened output, as if it were the image, is not one of ours.
        var onFlatten = OnnxExporter.BuildModel(layers, report, new OnnxExportOptions(), detector.GetParameters(), classifier.GetConvolutions());
        var first = OnnxModelFormat.DetectorLayerName(0);
        onFlatten.Graph.Node.Single(n => n.Name == $"{first}.gemm").Input[0] = "flatten.output";
        var weight = onFlatten.Graph.Initializer.Single(t => t.Name == $"{first}.weight");
        weight.Dims[0] = OnnxModelFormat.InputFeatures;
        weight.RawData = Google.Protobuf.ByteString.CopyFrom(new byte[OnnxModelFormat.InputFeatures * (int)weight.Dims[1] * sizeof(float)]);
        onFlatten.MetadataProps.Single(p => p.Key == ModelReport.MetadataKey).Value = (report with { Detector = Calibration(detector) }).ToJson();
        Assert.Contains("the detector of a convolutional network must read 'dense_1.linear'", Assert.Throws<FormatException>(() =>
            OnnxModelReader.Read(Google.Protobuf.MessageExtensions.ToByteArray(onFlatten))).Message);

        // An autoencoder compares its output with the flattened image, which a convolutional graph does not have.
        var autoencoder = new DetectorNetwork(DetectorKind.Autoencoder, 784, [8], 1, threads: 1);
        Assert.Contains("must read the classifier's first dense product, not the image", Assert.Throws<ArgumentException>(() => OnnxExporter.Serialize(layers,
            report with { Detector = Calibration(autoencoder) }, detector: autoencoder.GetParameters(), convolutions: classifier.GetConvolutions())).Message);
    }

    /// <summary>digit_score of a few MNIST test digits from ONNX Runtime equals <see cref="OnnxModelFile.DigitDetector"/>'s.</summary>
    private static void AssertOnnxRuntimeScoresAsWeDo(string path, OnnxModelFile file)
    {
        const int n = 8;
        var images = MnistTestSet.Images.Take(n).SelectMany(p => p.Select(v => v / 255f)).ToArray();
        var ours = new float[n];
        file.DigitDetector(threads: 1)!.Score(images, n, ours);
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
    public void A_detector_reads_what_its_report_says()
    {
        var layers = TestModels.SmallOdd();
        var onPixels = new DetectorNetwork(DetectorKind.Discriminator, 784, [8], seed: 1);
        Assert.Contains("the classifier's first layer gives", Assert.Throws<ArgumentException>(() => OnnxExporter.Serialize(layers,
            TestModels.Report(layers) with { Detector = Calibration(onPixels, DetectorInput.Classifier) }, detector: onPixels.GetParameters())).Message);

        // A file whose report says the image while its graph reads the classifier's first layer is not one of ours.
        var onClassifier = new DetectorNetwork(DetectorKind.Discriminator, layers[0].Outputs, [8], seed: 1);
        var model = OnnxExporter.BuildModel(layers, TestModels.Report(layers) with { Detector = Calibration(onClassifier, DetectorInput.Classifier) },
            new OnnxExportOptions(), onClassifier.GetParameters());
        var entry = model.MetadataProps.Single(p => p.Key == ModelReport.MetadataKey);
        entry.Value = (TestModels.Report(layers) with { Detector = Calibration(onClassifier) }).ToJson();
        Assert.Contains("its detector reads the classifier, but its report says the image",
            Assert.Throws<FormatException>(() => OnnxModelReader.Read(Google.Protobuf.MessageExtensions.ToByteArray(model))).Message);
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
