using MnistService.Core.Network;
using MnistService.Core.Tests.Onnx;

namespace MnistService.Core.Tests.Network;

/// <summary>
/// The explanation against an independent double-precision forward pass written here from the equations:
/// the same activations and scores, and a saliency equal to central finite differences of the probability.
/// </summary>
public sealed class MlpExplainerTests
{
    public static TheoryData<string> Networks => ["relu", "tanh", "sigmoid"];

    private static List<DenseLayerParameters> Layers(string activation) =>
        TestModels.RandomLayers(3, (32, activation), (13, activation), (10, "softmax"));

    private static float[] Image(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, 784).Select(_ => random.NextDouble() < 0.3 ? (float)random.NextDouble() : 0f).ToArray();
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Activations_and_scores_are_the_layers_outputs(string network)
    {
        var layers = Layers(network);
        var image = Image(1);
        var explanation = new MlpExplainer(layers).Explain(image);

        var reference = Forward(layers, image.Select(v => (double)v).ToArray());
        Assert.Equal(layers.Count - 1, explanation.Activations.Length);
        for (var l = 0; l < layers.Count - 1; l++)
        {
            Assert.Equal(layers[l].Outputs, explanation.Activations[l].Length);
            AssertClose(reference.Outputs[l], explanation.Activations[l], 1e-5);
        }

        AssertClose(reference.Logits, explanation.Logits, 1e-5);
        AssertClose(reference.Probabilities, explanation.Probabilities, 1e-6);
        var predicted = new float[10];
        Mlp.FromParameters(layers).Predict(image, 1, predicted);
        AssertClose(predicted.Select(p => (double)p).ToArray(), explanation.Probabilities, 1e-6);
        Assert.Equal(Array.IndexOf(predicted, predicted.Max()), explanation.Digit);
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Saliency_is_the_gradient_of_the_answered_probability(string network)
    {
        var layers = Layers(network);
        var image = Image(2);
        var explanation = new MlpExplainer(layers).Explain(image);

        var x = image.Select(v => (double)v).ToArray();
        const double h = 1e-5;
        var numeric = new double[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var keep = x[i];
            x[i] = keep + h;
            var up = Forward(layers, x).Probabilities[explanation.Digit];
            x[i] = keep - h;
            var down = Forward(layers, x).Probabilities[explanation.Digit];
            x[i] = keep;
            numeric[i] = (up - down) / (2 * h);
        }

        var scale = numeric.Max(Math.Abs);
        Assert.True(scale > 1e-4, $"The test image should move the probability (largest gradient {scale}).");
        for (var i = 0; i < x.Length; i++)
        {
            Assert.True(Math.Abs(numeric[i] - explanation.Saliency[i]) <= 1e-3 * scale,
                $"pixel {i}: finite difference {numeric[i]}, saliency {explanation.Saliency[i]} (largest {scale})");
        }
    }

    [Fact]
    public void Refuses_an_image_of_the_wrong_size()
    {
        var explainer = new MlpExplainer(Layers("relu"));
        Assert.Throws<ArgumentException>(() => explainer.Explain(new float[783]));
    }

    /// <summary>y = f(x·W + b) per layer in double, softmax at the end.</summary>
    private static (List<double[]> Outputs, double[] Logits, double[] Probabilities) Forward(List<DenseLayerParameters> layers, double[] x)
    {
        var outputs = new List<double[]>();
        double[] z = [];
        foreach (var layer in layers)
        {
            z = new double[layer.Outputs];
            for (var o = 0; o < layer.Outputs; o++)
            {
                var sum = (double)layer.Bias[o];
                for (var i = 0; i < layer.Inputs; i++)
                {
                    sum += x[i] * layer.Weights[i * layer.Outputs + o];
                }

                z[o] = sum;
            }

            x = layer.Activation switch
            {
                "relu" => z.Select(v => Math.Max(0, v)).ToArray(),
                "tanh" => z.Select(Math.Tanh).ToArray(),
                "sigmoid" => z.Select(v => 1 / (1 + Math.Exp(-v))).ToArray(),
                _ => Softmax(z),
            };
            if (layer.Activation != "softmax")
            {
                outputs.Add(x);
            }
        }

        return (outputs, z, x);
    }

    private static double[] Softmax(double[] z)
    {
        var max = z.Max();
        var e = z.Select(v => Math.Exp(v - max)).ToArray();
        var sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    private static void AssertClose(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"[{i}]: expected {expected[i]}, got {actual[i]}");
        }
    }
}
