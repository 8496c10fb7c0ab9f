using System.Security.Cryptography;
using MnistService.Core.Network;
using MnistService.Core.Onnx;

namespace MnistService.Core.Tests.Onnx;

public sealed class OnnxRoundTripTests
{
    public static TheoryData<string> Networks => ["tutorial", "small-odd"];

    private static List<DenseLayerParameters> Network(string name) => name == "tutorial" ? TestModels.Tutorial() : TestModels.SmallOdd();

    [Theory]
    [MemberData(nameof(Networks))]
    public void Written_model_reads_back_with_identical_weights_and_report(string network)
    {
        var layers = Network(network);
        var report = TestModels.Report(layers);
        using var dir = new TempDirectory();
        var path = dir.File("model.onnx");

        OnnxExporter.Write(path, layers, report, new OnnxExportOptions { ProducerVersion = "9.8.7", ModelVersion = 3 });
        var model = OnnxModelReader.Read(path);

        Assert.Equal(layers.Count, model.Layers.Count);
        for (var i = 0; i < layers.Count; i++)
        {
            Assert.Equal(layers[i].Inputs, model.Layers[i].Inputs);
            Assert.Equal(layers[i].Outputs, model.Layers[i].Outputs);
            Assert.Equal(layers[i].Activation, model.Layers[i].Activation);
            // Bit for bit, not approximately.
            Assert.Equal(BitsOf(layers[i].Weights), BitsOf(model.Layers[i].Weights));
            Assert.Equal(BitsOf(layers[i].Bias), BitsOf(model.Layers[i].Bias));
        }

        Assert.Equal(report.ToJson(), model.ReportJson);
        Assert.Equal(report.ToJson(), model.Report.ToJson());
        Assert.Equal(report.Created, model.Report.Created);
        Assert.Equal(report.Hyperparameters.Hidden, model.Report.Hyperparameters.Hidden);
        Assert.Equal(report.Hyperparameters.DetectorHidden, model.Report.Hyperparameters.DetectorHidden);
        Assert.Equal(report.Hyperparameters with { Hidden = model.Report.Hyperparameters.Hidden, DetectorHidden = model.Report.Hyperparameters.DetectorHidden, Convolutions = model.Report.Hyperparameters.Convolutions },
            model.Report.Hyperparameters);
        Assert.Equal(report.History, model.Report.History);
        Assert.Equal(report.Architecture.Layers, model.Report.Architecture.Layers);
        Assert.Equal(report.Test.Confusion, model.Report.Test.Confusion);
        Assert.Equal(report.Test.Accuracy, model.Report.Test.Accuracy);
        Assert.Equal(report.Dataset.Sha256, model.Report.Dataset.Sha256);

        Assert.Equal("mnist-train", model.ProducerName);
        Assert.Equal("9.8.7", model.ProducerVersion);
        Assert.Equal(3, model.ModelVersion);
        Assert.Equal(8, model.IrVersion);
        Assert.Equal(13, model.OpsetVersion);
        Assert.Equal(layers.Sum(l => l.ParameterCount), model.ParameterCount);
        Assert.Contains("MNIST", model.DocString);
        Assert.Contains("98.11", model.DocString);
        Assert.Equal(report.ToJson(), model.Metadata[ModelReport.MetadataKey]);

        var bytes = File.ReadAllBytes(path);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), model.Sha256);
        Assert.Equal(bytes.Length, model.SizeBytes);
    }

    [Fact]
    public void Tutorial_network_has_235146_parameters_and_a_file_of_about_a_megabyte()
    {
        var layers = TestModels.Tutorial();
        var bytes = OnnxExporter.Serialize(layers, TestModels.Report(layers));
        var model = OnnxModelReader.Read(bytes);

        Assert.Equal(235_146, model.ParameterCount);
        // 235,146 float32 = 940,584 bytes of weights; the graph and report add a few kilobytes.
        Assert.InRange(bytes.Length, 940_584, 960_000);
    }

    [Fact]
    public async Task ReadAsync_reads_what_Read_reads()
    {
        var layers = TestModels.SmallOdd();
        using var dir = new TempDirectory();
        var path = dir.File("model.onnx");
        OnnxExporter.Write(path, layers, TestModels.Report(layers));

        var model = await OnnxModelReader.ReadAsync(path);

        Assert.Equal(OnnxModelReader.Read(path).Sha256, model.Sha256);
        Assert.Equal(layers[2].Weights, model.Layers[2].Weights);
        await Assert.ThrowsAsync<FileNotFoundException>(() => OnnxModelReader.ReadAsync(dir.File("other.onnx")));
    }

    [Fact]
    public void Same_inputs_give_the_same_bytes()
    {
        var layers = TestModels.SmallOdd();
        var report = TestModels.Report(layers);

        Assert.Equal(OnnxExporter.Serialize(layers, report), OnnxExporter.Serialize(TestModels.SmallOdd(), TestModels.Report(layers)));
    }

    [Fact]
    public void Graph_uses_named_initializers_and_the_documented_nodes()
    {
        var layers = TestModels.SmallOdd();
        var model = OnnxExporter.BuildModel(layers, TestModels.Report(layers), new OnnxExportOptions());

        Assert.Equal(
            ["dense_1.weight", "dense_1.bias", "dense_2.weight", "dense_2.bias", "dense_3.weight", "dense_3.bias"],
            model.Graph.Initializer.Select(t => t.Name));
        Assert.Equal(["Flatten", "Gemm", "Tanh", "Gemm", "Sigmoid", "Gemm", "Softmax"], model.Graph.Node.Select(n => n.OpType));
        Assert.Equal([784L, 13L], model.Graph.Initializer[0].Dims);
        Assert.Equal("image", Assert.Single(model.Graph.Input).Name);
        Assert.Equal("probabilities", Assert.Single(model.Graph.Output).Name);
        Assert.Equal("probabilities", model.Graph.Node[^1].Output.Single());
        var opset = Assert.Single(model.OpsetImport);
        Assert.Equal(("", 13L), (opset.Domain, opset.Version));
        Assert.Equal("mnist.report", Assert.Single(model.MetadataProps).Key);
    }

    private static int[] BitsOf(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
