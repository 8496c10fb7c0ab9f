using MnistService.Core.Network;
using MnistService.Core.Onnx;

namespace MnistService.Core.Tests.Onnx;

/// <summary>The exporter refuses layers and reports that would make a broken or self-contradicting model.</summary>
public sealed class OnnxExporterValidationTests
{
    [Fact]
    public void Rejects_no_layers() =>
        AssertRejected([], TestModels.Report(TestModels.SmallOdd()), "at least one dense layer");

    [Fact]
    public void Rejects_a_first_layer_that_does_not_take_784_pixels()
    {
        var layers = TestModels.SmallOdd();
        layers[0] = new DenseLayerParameters(100, 13, new float[1300], new float[13], "tanh");
        AssertRejected(layers, TestModels.Report(TestModels.SmallOdd()), "784 pixels");
    }

    [Fact]
    public void Rejects_layers_that_do_not_chain()
    {
        var layers = TestModels.SmallOdd();
        layers[1] = new DenseLayerParameters(12, 7, new float[84], new float[7], "sigmoid");
        AssertRejected(layers, TestModels.Report(TestModels.SmallOdd()), "dense_1 gives 13");
    }

    [Fact]
    public void Rejects_buffers_that_do_not_match_the_shape()
    {
        var layers = TestModels.SmallOdd();
        layers[2] = layers[2] with { Bias = new float[9] };
        AssertRejected(layers, TestModels.Report(TestModels.SmallOdd()), "dense_3");
    }

    [Theory]
    [InlineData(2, "relu", "must use softmax")]
    [InlineData(0, "softmax", "hidden layers use relu")]
    [InlineData(0, "gelu", "Unknown activation 'gelu'")]
    public void Rejects_wrong_activations(int layer, string activation, string message)
    {
        var layers = TestModels.SmallOdd();
        layers[layer] = layers[layer] with { Activation = activation };
        AssertRejected(layers, TestModels.Report(TestModels.SmallOdd()), message);
    }

    [Fact]
    public void Rejects_an_output_layer_without_ten_classes()
    {
        var layers = TestModels.RandomLayers(1, (13, "tanh"), (11, "softmax"));
        var report = TestModels.Report(layers);
        AssertRejected(layers, report, "10 classes");
    }

    [Fact]
    public void Rejects_nan_weights_of_a_diverged_training()
    {
        var layers = TestModels.SmallOdd();
        layers[1].Weights[5] = float.NaN;
        AssertRejected(layers, TestModels.Report(layers), "NaN");
    }

    [Fact]
    public void Rejects_a_report_that_describes_another_network()
    {
        var layers = TestModels.SmallOdd();
        var tutorial = TestModels.Report(TestModels.Tutorial());
        AssertRejected(layers, tutorial, "parameters");

        var report = TestModels.Report(layers);
        AssertRejected(layers, report with { Architecture = report.Architecture with { Inputs = 100 } }, "100 inputs");
    }

    [Fact]
    public void Rejects_a_confusion_matrix_that_is_not_10_by_10()
    {
        var layers = TestModels.SmallOdd();
        var report = TestModels.Report(layers);
        AssertRejected(layers, report with { Test = report.Test with { Confusion = report.Test.Confusion[..9] } }, "10 rows of 10");
    }

    [Fact]
    public void Rejects_accuracies_given_in_percent()
    {
        var layers = TestModels.SmallOdd();
        var report = TestModels.Report(layers);
        AssertRejected(layers, report with { Test = report.Test with { Accuracy = 98.11 } }, "fractions in [0, 1]");
        AssertRejected(layers, report with { History = [report.History[0] with { ValAccuracy = 97.5 }] }, "fractions in [0, 1]");
    }

    [Fact]
    public void Rejects_a_creation_time_that_is_not_utc()
    {
        var layers = TestModels.SmallOdd();
        var report = TestModels.Report(layers);
        AssertRejected(layers, report with { Created = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.FromHours(1)) }, "UTC");
    }

    private static void AssertRejected(List<DenseLayerParameters> layers, ModelReport report, string message)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => OnnxExporter.Serialize(layers, report));
        Assert.Contains(message, e.Message);
    }
}
