using System.Text.Json;
using MnistService.Core.Network;
using MnistService.Core.Onnx;
using MnistService.Testing;

namespace MnistService.Core.Tests.Onnx;

/// <summary>
/// The classifier behind 'probabilities', read from our files and from files another tool wrote
/// (Debian's python3-onnx): other node layouts, a second output, no report.
/// </summary>
public sealed class OnnxClassifierReaderTests
{
    [Fact]
    public void Reads_our_model_as_the_strict_reader_does_with_its_report()
    {
        var layers = TestModels.Tutorial();
        var bytes = OnnxExporter.Serialize(layers, TestModels.Report(layers));

        var classifier = OnnxClassifierReader.Read(bytes, "ours.onnx");
        var strict = OnnxModelReader.Read(bytes);

        Assert.Equal(strict.Sha256, classifier.Sha256);
        Assert.Equal(strict.Report.ToJson(), classifier.Report?.ToJson());
        Assert.Equal(strict.Layers.Count, classifier.Layers.Count);
        for (var i = 0; i < layers.Count; i++)
        {
            Assert.Equal(strict.Layers[i].Activation, classifier.Layers[i].Activation);
            Assert.Equal(strict.Layers[i].Weights, classifier.Layers[i].Weights);
            Assert.Equal(strict.Layers[i].Bias, classifier.Layers[i].Bias);
            Assert.Equal(classifier.Layers[i].Weights, OnnxClassifierReader.ReadLayers(bytes, "ours.onnx")[i].Weights);
        }
    }

    /// <summary>
    /// Reshape → MatMul + Add → Relu → Gemm (W stored [out, in], transB) → Relu → Gemm → Softmax, plus a second
    /// output computed from the image, and no report: our network computes what numpy computes for that graph.
    /// </summary>
    [Fact]
    public void Reads_a_foreign_model_with_another_layout_a_second_output_and_no_report()
    {
        DebianOnnx.Require();
        using var directory = new TempDirectory("foreign-onnx");
        var model = directory.File("foreign.onnx");
        var expected = directory.File("expected.json");
        var (exit, output) = DebianOnnx.Run(ForeignModelScript, model, expected);
        Assert.True(exit == 0, output);

        var classifier = OnnxClassifierReader.Read(model);

        Assert.Null(classifier.Report);
        Assert.Equal([(784, 24, "relu"), (24, 12, "relu"), (12, 10, "softmax")],
            classifier.Layers.Select(l => (l.Inputs, l.Outputs, l.Activation)));
        using var json = JsonDocument.Parse(File.ReadAllText(expected));
        var images = json.RootElement.GetProperty("images").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        var probabilities = json.RootElement.GetProperty("probabilities").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        var network = Mlp.FromParameters(classifier.Layers);
        var actual = new float[10];
        for (var n = 0; n < images.Length; n++)
        {
            network.Predict(images[n], 1, actual);
            for (var d = 0; d < 10; d++)
            {
                Assert.True(Math.Abs(probabilities[n][d] - actual[d]) < 1e-5, $"image {n}, digit {d}: numpy {probabilities[n][d]}, ours {actual[d]}");
            }
        }
    }

    [Fact]
    public void A_probabilities_output_that_is_not_a_dense_network_is_refused_with_the_reason()
    {
        var error = Assert.Throws<FormatException>(() => OnnxClassifierReader.Read(TinyOnnxModel.ReshapesWrongly, "reshaped.onnx"));
        Assert.Contains("'reshaped.onnx' has no dense network behind 'probabilities'", error.Message);
        Assert.Contains("Softmax", error.Message);
    }

    [Fact]
    public void Not_an_onnx_file_is_refused()
    {
        var error = Assert.Throws<FormatException>(() => OnnxClassifierReader.Read(ModelFiles.Garbage, "garbage.onnx"));
        Assert.Contains("garbage.onnx", error.Message);
    }

    private const string ForeignModelScript = """
        import sys, json
        import numpy as np
        import onnx
        from onnx import helper, numpy_helper, TensorProto

        rng = np.random.default_rng(5)
        w1 = rng.normal(0, 0.08, (784, 24)).astype(np.float32); b1 = rng.normal(0, 0.1, 24).astype(np.float32)
        w2t = rng.normal(0, 0.3, (12, 24)).astype(np.float32); b2 = rng.normal(0, 0.1, 12).astype(np.float32)
        w3 = rng.normal(0, 0.4, (12, 10)).astype(np.float32); b3 = rng.normal(0, 0.1, 10).astype(np.float32)
        init = [numpy_helper.from_array(a, n) for a, n in
                [(w1, "w1"), (b1, "b1"), (w2t, "w2t"), (b2, "b2"), (w3, "w3"), (b3, "b3"), (np.array([-1, 784], np.int64), "shape")]]
        nodes = [
            helper.make_node("Reshape", ["image", "shape"], ["flat"]),
            helper.make_node("MatMul", ["flat", "w1"], ["mm1"]),
            helper.make_node("Add", ["b1", "mm1"], ["z1"]),
            helper.make_node("Relu", ["z1"], ["h1"]),
            helper.make_node("Gemm", ["h1", "w2t", "b2"], ["z2"], transB=1),
            helper.make_node("Relu", ["z2"], ["h2"]),
            helper.make_node("Gemm", ["h2", "w3", "b3"], ["z3"]),
            helper.make_node("Softmax", ["z3"], ["probabilities"], axis=1),
            helper.make_node("ReduceMean", ["flat"], ["digit_score"], axes=[1], keepdims=0),
        ]
        graph = helper.make_graph(nodes, "foreign",
            [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 28, 28])],
            [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 10]),
             helper.make_tensor_value_info("digit_score", TensorProto.FLOAT, ["N"])], init)
        model = helper.make_model(graph, producer_name="numpy-by-hand", opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, sys.argv[1])

        x = rng.uniform(0, 1, (3, 784)).astype(np.float32) * (rng.uniform(0, 1, (3, 784)) < 0.25)
        h1 = np.maximum(0, x @ w1 + b1); h2 = np.maximum(0, h1 @ w2t.T + b2); z = h2 @ w3 + b3
        p = np.exp(z - z.max(axis=1, keepdims=True)); p /= p.sum(axis=1, keepdims=True)
        json.dump({"images": x.tolist(), "probabilities": p.tolist()}, open(sys.argv[2], "w"))
        """;
}
