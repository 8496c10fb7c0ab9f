using Google.Protobuf;
using MnistService.Core.Network;
using MnistService.Core.Onnx;
using MnistService.Core.Training;

namespace MnistService.Core.Tests.Onnx;

/// <summary>Anything that is not one of our models gives a FormatException that says what is wrong.</summary>
public sealed class OnnxModelReaderErrorTests
{
    private static readonly byte[] Valid = Serialize(m => { });

    [Fact]
    public void Empty_file()
    {
        using var dir = new TempDirectory();
        var path = dir.File("empty.onnx");
        File.WriteAllBytes(path, []);

        var e = Assert.Throws<FormatException>(() => OnnxModelReader.Read(path));
        Assert.Equal($"'{path}' is empty (0 bytes), not an ONNX model.", e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_bytes(int seed)
    {
        var bytes = new byte[4096];
        new Random(seed).NextBytes(bytes);

        var e = Assert.Throws<FormatException>(() => OnnxModelReader.Read(bytes, "noise.bin"));
        Assert.StartsWith("'noise.bin' is not an ONNX model", e.Message);
    }

    [Theory]
    [InlineData("hello, I am a text file\n")]
    [InlineData("\u0089PNG\r\n\u001a\n")]
    public void Text_and_other_formats(string content)
    {
        var e = Assert.Throws<FormatException>(() => OnnxModelReader.Read(System.Text.Encoding.Latin1.GetBytes(content), "x"));
        Assert.StartsWith("'x' is not an ONNX model", e.Message);
    }

    [Theory]
    [InlineData(0.999)]
    [InlineData(0.5)]
    [InlineData(0.01)]
    public void Truncated_file(double fraction)
    {
        var truncated = Valid[..(int)(Valid.Length * fraction)];

        var e = Assert.Throws<FormatException>(() => OnnxModelReader.Read(truncated, "model.onnx"));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Every_truncation_is_refused()
    {
        // Cut at every byte of the graph-less prefix and at a spread of points beyond it: never a silent half model.
        for (var length = 1; length < Valid.Length; length += length < 2000 ? 1 : 997)
        {
            var cut = length;
            Assert.Throws<FormatException>(() => OnnxModelReader.Read(Valid[..cut], "model.onnx"));
        }
    }

    [Fact]
    public void Missing_file_is_not_a_format_problem()
    {
        using var dir = new TempDirectory();
        Assert.Throws<FileNotFoundException>(() => OnnxModelReader.Read(dir.File("missing.onnx")));
    }

    public static TheoryData<string, string> Tampered => new()
    {
        { "no-report", "carries no 'mnist.report' report" },
        { "bad-report", "broken 'mnist.report' report" },
        { "opset-9", "uses opset 9, expected 13 to 17" },
        { "custom-domain", "imports the operator set 'com.example'" },
        { "relu-output", "the last node must be Softmax, found Relu" },
        { "gelu-hidden", "must be Relu, Sigmoid or Tanh, found Gelu" },
        { "input-name", "expected one input 'image', found pixels" },
        { "input-shape", "'image' should be float32 [N,1,28,28]" },
        { "output-name", "expected the output 'probabilities'" },
        { "transposed", "must compute x·W + b" },
        { "double-weights", "is Double, expected float32" },
        { "short-weights", "expected 10192 floats" },
        { "external-weights", "stored in an external file" },
        { "missing-weights", "'dense_2.weight' is not a stored weight" },
        { "no-flatten", "expected a Flatten node, found Reshape" },
        { "missing-layer", "expected a Flatten node, found Gemm" },
        { "extra-node", "found Identity after the classifier" },
    };

    [Theory]
    [MemberData(nameof(Tampered))]
    public void Graphs_that_are_not_ours(string change, string message)
    {
        var bytes = Serialize(model =>
        {
            var graph = model.Graph;
            switch (change)
            {
                case "no-report": model.MetadataProps.Clear(); break;
                case "bad-report": model.MetadataProps[0].Value = "{ \"test\": "; break;
                case "opset-9": model.OpsetImport[0].Version = 9; break;
                case "custom-domain": model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.example", Version = 1 }); break;
                case "relu-output": graph.Node[^1].OpType = "Relu"; graph.Node[^1].Attribute.Clear(); break;
                case "gelu-hidden": graph.Node[2].OpType = "Gelu"; break;
                case "input-name": graph.Input[0].Name = "pixels"; break;
                case "input-shape": graph.Input[0].Type.TensorType.Shape.Dim[2].DimValue = 32; break;
                case "output-name": graph.Output[0].Name = "logits"; break;
                case "transposed":
                    graph.Node[1].Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
                    break;
                case "double-weights": graph.Initializer[0].DataType = (int)TensorProto.Types.DataType.Double; break;
                case "short-weights": graph.Initializer[0].RawData = ByteString.CopyFrom(new byte[40]); break;
                case "external-weights":
                    graph.Initializer[0].DataLocation = TensorProto.Types.DataLocation.External;
                    graph.Initializer[0].ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
                    break;
                case "missing-weights": graph.Initializer.RemoveAt(2); break;
                case "no-flatten": graph.Node[0].OpType = "Reshape"; break;
                case "missing-layer": graph.Node.RemoveAt(0); break;
                case "extra-node": graph.Node.Add(new NodeProto { OpType = "Identity", Input = { "probabilities" }, Output = { "p2" } }); break;
                default: throw new ArgumentException(change);
            }
        });

        var e = Assert.Throws<FormatException>(() => OnnxModelReader.Read(bytes, "tampered.onnx"));
        Assert.Contains(message, e.Message);
        Assert.StartsWith("'tampered.onnx'", e.Message);
    }

    [Fact]
    public void Weights_stored_as_float_data_instead_of_raw_data_are_read_too()
    {
        var layers = TestModels.SmallOdd();
        var bytes = Serialize(model =>
        {
            foreach (var tensor in model.Graph.Initializer)
            {
                var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();
                tensor.RawData = ByteString.Empty;
                tensor.FloatData.Add(values);
            }
        });

        var read = OnnxModelReader.Read(bytes);

        Assert.Equal(layers[0].Weights, read.Layers[0].Weights);
        Assert.Equal(layers[2].Bias, read.Layers[2].Bias);
    }

    [Theory]
    [InlineData("activations-differ", "its convolutions use tanh and its dense layers relu: one activation for both is expected")]
    [InlineData("stride-2", "Conv node 'conv_1.conv' must be a 5x5 convolution padded by 2, stride 1")]
    [InlineData("unpadded", "Conv node 'conv_1.conv' must be a 5x5 convolution padded by 2, stride 1")]
    [InlineData("pool-3x3", "MaxPool node 'conv_2.pool' must pool 2x2 blocks with stride 2")]
    [InlineData("weights-of-two-channels", "weight 'conv_1.weight' has shape [3,2,5,5], expected [out, 1, k, k] with an odd k")]
    [InlineData("bias-too-long", "bias 'conv_2.bias' has shape [6], expected [5]")]
    [InlineData("tanh-in-one-block", "a convolution's activation must be Relu, Sigmoid or Tanh, the same for every block, found Tanh")]
    public void Convolution_blocks_that_are_not_ours(string change, string message)
    {
        // conv 5x5 to 3 channels, relu, pool, conv to 5, relu, pool, then 12 relu units and 10.
        var network = new Mlp(new MlpSpec(784, [12], ActivationKind.Relu, 0, 10, [3, 5]), seed: 2, threads: 1);
        var layers = network.GetParameters();
        var model = OnnxExporter.BuildModel(layers, TestModels.Report(layers) with { Architecture = ArchitectureInfo.Of(network) },
            new OnnxExportOptions(), convolutions: network.GetConvolutions());
        NodeProto Node(string name) => model.Graph.Node.Single(n => n.Name == name);
        TensorProto Tensor(string name) => model.Graph.Initializer.Single(t => t.Name == name);
        AttributeProto Attribute(string node, string name) => Node(node).Attribute.Single(a => a.Name == name);
        switch (change)
        {
            case "activations-differ": Node("conv_1.relu").OpType = "Tanh"; Node("conv_2.relu").OpType = "Tanh"; break;
            case "tanh-in-one-block": Node("conv_2.relu").OpType = "Tanh"; break;
            case "stride-2": Node("conv_1.conv").Attribute.Add(new AttributeProto { Name = "strides", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 2, 2 } }); break;
            case "unpadded": Attribute("conv_1.conv", "pads").Ints.Clear(); break;
            case "pool-3x3": Attribute("conv_2.pool", "kernel_shape").Ints[0] = 3; break;
            case "weights-of-two-channels": Tensor("conv_1.weight").Dims[1] = 2; break;
            case "bias-too-long": Tensor("conv_2.bias").Dims[0] = 6; break;
            default: throw new ArgumentException(change);
        }

        var e = Assert.Throws<FormatException>(() => OnnxModelReader.Read(model.ToByteArray(), "tampered.onnx"));
        Assert.Contains(message, e.Message);
    }

    private static byte[] Serialize(Action<ModelProto> change)
    {
        var layers = TestModels.SmallOdd();
        var model = OnnxExporter.BuildModel(layers, TestModels.Report(layers), new OnnxExportOptions());
        change(model);
        return model.ToByteArray();
    }
}
