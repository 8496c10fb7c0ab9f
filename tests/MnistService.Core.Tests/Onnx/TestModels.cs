using MnistService.Core.Network;
using MnistService.Core.Onnx;
using MnistService.Core.Training;

namespace MnistService.Core.Tests.Onnx;

/// <summary>Random networks and a complete report, as the trainer would hand them to the exporter.</summary>
internal static class TestModels
{
    /// <summary>The tutorial's network: 784 → 256 (relu) → 128 (relu) → 10 (softmax).</summary>
    public static List<DenseLayerParameters> Tutorial(int seed = 42) =>
        RandomLayers(seed, (256, "relu"), (128, "relu"), (10, "softmax"));

    /// <summary>A small network with odd sizes and the other activations: 784 → 13 (tanh) → 7 (sigmoid) → 10.</summary>
    public static List<DenseLayerParameters> SmallOdd(int seed = 7) =>
        RandomLayers(seed, (13, "tanh"), (7, "sigmoid"), (10, "softmax"));

    /// <summary>Glorot-uniform weights and small non-zero biases (zero biases would hide a bias mix-up).</summary>
    public static List<DenseLayerParameters> RandomLayers(int seed, params (int Units, string Activation)[] shape)
    {
        var random = new Random(seed);
        var layers = new List<DenseLayerParameters>();
        var inputs = OnnxModelFormat.InputFeatures;
        foreach (var (units, activation) in shape)
        {
            var limit = MathF.Sqrt(6f / (inputs + units));
            var weights = new float[inputs * units];
            for (var i = 0; i < weights.Length; i++)
            {
                weights[i] = (float)(random.NextDouble() * 2 - 1) * limit;
            }

            var bias = new float[units];
            for (var i = 0; i < bias.Length; i++)
            {
                bias[i] = (float)(random.NextDouble() - 0.5) * 0.2f;
            }

            layers.Add(new DenseLayerParameters(inputs, units, weights, bias, activation));
            inputs = units;
        }
        return layers;
    }

    /// <summary>A report describing <paramref name="layers"/>, with every field filled and awkward values in it.</summary>
    public static ModelReport Report(IReadOnlyList<DenseLayerParameters> layers, int seed = 1)
    {
        var random = new Random(seed);
        var architectureLayers = new List<LayerInfo>();
        for (var i = 0; i < layers.Count; i++)
        {
            architectureLayers.Add(new LayerInfo(OnnxModelFormat.LayerName(i), "dense", layers[i].Outputs, layers[i].Activation, layers[i].ParameterCount));
            if (i < layers.Count - 1)
            {
                architectureLayers.Add(new LayerInfo($"dropout_{i + 1}", "dropout", layers[i].Outputs, null, 0, 0.3));
            }
        }
        var confusion = new int[10][];
        for (var t = 0; t < 10; t++)
        {
            confusion[t] = new int[10];
            for (var p = 0; p < 10; p++)
            {
                confusion[t][p] = t == p ? 950 + random.Next(50) : random.Next(6);
            }
        }
        return new ModelReport
        {
            Created = new DateTimeOffset(2026, 11, 26, 16, 24, 55, TimeSpan.Zero).AddTicks(1234567),
            Hyperparameters = new TrainingSettings
            {
                Hidden = layers.Take(layers.Count - 1).Select(l => l.Outputs).ToList(),
                Activation = Enum.Parse<ActivationKind>(layers[0].Activation, ignoreCase: true),
                Dropout = 0.3,
                Optimizer = OptimizerKind.Adam,
                LearningRate = 0.001,
                BatchSize = 128,
                Epochs = 50,
                Patience = 10,
                ValidationSplit = 0.2,
                Loss = LossKind.CrossEntropy,
                Seed = 42,
                Threads = 2,
            },
            Architecture = new ArchitectureInfo
            {
                Inputs = OnnxModelFormat.InputFeatures,
                Layers = architectureLayers,
                Parameters = layers.Sum(l => l.ParameterCount),
            },
            History = Enumerable.Range(1, 3)
                .Select(e => new EpochRecord(e, 1.0 / (e + 2), 0.9 + e / 100.0 + 1e-9, 0.1 / e, 0.95 + e / 1000.0, 0.8123456789 * e))
                .ToList(),
            Test = new TestResult(0.9811, 0.06123456789012345, confusion),
            Dataset = new DatasetInfo("mnist", new Dictionary<string, string>
            {
                ["train-images-idx3-ubyte"] = new string('a', 64),
                ["train-labels-idx1-ubyte"] = new string('b', 64),
            }, 48000, 12000, 10000),
            Producer = "mnist-train 1.0.0",
        };
    }
}
