using Microsoft.ML.OnnxRuntime;
using MnistService.Core.Network;
using MnistService.Core.Onnx;

namespace MnistService.Core.Tests.Onnx;

/// <summary>ONNX Runtime, an independent implementation, runs our files and agrees with the math.</summary>
public sealed class OnnxRuntimeTests
{
    public static TheoryData<string, int> Cases => new()
    {
        { "tutorial", 1 },
        { "tutorial", 37 },
        { "small-odd", 1 },
        { "small-odd", 37 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Probabilities_match_a_double_precision_reference_forward_pass(string network, int batch)
    {
        var layers = network == "tutorial" ? TestModels.Tutorial() : TestModels.SmallOdd();
        using var session = new InferenceSession(OnnxExporter.Serialize(layers, TestModels.Report(layers)));
        var images = RandomImages(batch, seed: batch);

        var probabilities = Run(session, images, batch);

        Assert.Equal(batch * 10, probabilities.Length);
        for (var n = 0; n < batch; n++)
        {
            var expected = ReferenceForward(layers, images.AsSpan(n * 784, 784));
            for (var k = 0; k < 10; k++)
            {
                double actual = probabilities[n * 10 + k];
                Assert.True(Math.Abs(actual - expected[k]) <= 1e-5,
                    $"image {n}, class {k}: ONNX Runtime {actual:R}, reference {expected[k]:R}");
            }
            Assert.Equal(1.0, probabilities.AsSpan(n * 10, 10).ToArray().Sum(p => (double)p), 5);
        }
    }

    [Fact]
    public void One_session_serves_different_batch_sizes()
    {
        var layers = TestModels.SmallOdd();
        using var session = new InferenceSession(OnnxExporter.Serialize(layers, TestModels.Report(layers)));
        var images = RandomImages(37, seed: 3);

        var all = Run(session, images, 37);
        var first = Run(session, images[..784], 1);

        for (var k = 0; k < 10; k++)
        {
            Assert.Equal(all[k], first[k], 6);
        }
    }

    [Fact]
    public void Input_and_output_names_and_shapes_are_as_documented()
    {
        var layers = TestModels.Tutorial();
        using var session = new InferenceSession(OnnxExporter.Serialize(layers, TestModels.Report(layers)));

        var input = Assert.Single(session.InputMetadata);
        Assert.Equal("image", input.Key);
        Assert.Equal(typeof(float), input.Value.ElementType);
        Assert.Equal([-1, 1, 28, 28], input.Value.Dimensions);
        Assert.Equal("N", input.Value.SymbolicDimensions[0]);

        var output = Assert.Single(session.OutputMetadata);
        Assert.Equal("probabilities", output.Key);
        Assert.Equal(typeof(float), output.Value.ElementType);
        Assert.Equal([-1, 10], output.Value.Dimensions);
        Assert.Equal("N", output.Value.SymbolicDimensions[0]);
    }

    [Fact]
    public void Metadata_is_readable_through_onnx_runtime()
    {
        var layers = TestModels.SmallOdd();
        var report = TestModels.Report(layers);
        using var dir = new TempDirectory();
        var path = dir.File("model.onnx");
        OnnxExporter.Write(path, layers, report, new OnnxExportOptions { ProducerVersion = "1.2.3", ModelVersion = 4 });

        using var session = new InferenceSession(path);
        var metadata = session.ModelMetadata;

        Assert.Equal("mnist-train", metadata.ProducerName);
        Assert.Equal(4, metadata.Version);
        Assert.Equal("mnist_mlp", metadata.GraphName);
        Assert.Contains("probabilities", metadata.Description);
        var stored = ModelReport.FromJson(metadata.CustomMetadataMap[ModelReport.MetadataKey]);
        Assert.Equal(report.ToJson(), stored.ToJson());
        Assert.Equal(report.Test.Confusion, stored.Test.Confusion);
    }

    private static float[] Run(InferenceSession session, float[] images, int batch)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(images, [batch, 1, 28, 28]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["image"], [input], ["probabilities"]);
        var output = Assert.Single(outputs);
        Assert.Equal([(long)batch, 10L], output.GetTensorTypeAndShape().Shape);
        return output.GetTensorDataAsSpan<float>().ToArray();
    }

    private static float[] RandomImages(int count, int seed)
    {
        var random = new Random(seed);
        var images = new float[count * 784];
        for (var i = 0; i < images.Length; i++)
        {
            images[i] = random.NextSingle();
        }

        return images;
    }

    /// <summary>y = activation(x·W + b) layer by layer, in double, the plainest way there is.</summary>
    private static double[] ReferenceForward(IReadOnlyList<DenseLayerParameters> layers, ReadOnlySpan<float> image)
    {
        var x = new double[image.Length];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = image[i];
        }

        foreach (var layer in layers)
        {
            var z = new double[layer.Outputs];
            for (var j = 0; j < layer.Outputs; j++)
            {
                double sum = layer.Bias[j];
                for (var i = 0; i < layer.Inputs; i++)
                {
                    sum += x[i] * layer.Weights[i * layer.Outputs + j];
                }

                z[j] = sum;
            }
            x = layer.Activation switch
            {
                "relu" => z.Select(v => Math.Max(0, v)).ToArray(),
                "sigmoid" => z.Select(v => 1 / (1 + Math.Exp(-v))).ToArray(),
                "tanh" => z.Select(Math.Tanh).ToArray(),
                "softmax" => Softmax(z),
                _ => throw new ArgumentException(layer.Activation),
            };
        }
        return x;
    }

    private static double[] Softmax(double[] z)
    {
        var max = z.Max();
        var e = z.Select(v => Math.Exp(v - max)).ToArray();
        var sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }
}
