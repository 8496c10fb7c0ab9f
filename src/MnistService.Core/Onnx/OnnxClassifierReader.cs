using System.Runtime.InteropServices;
using MnistService.Core.Network;
using static MnistService.Core.Onnx.OnnxModelReader.GraphReader;

namespace MnistService.Core.Onnx;

/// <summary>The dense network behind a model's <c>probabilities</c> output, and its report when it carries one.</summary>
/// <param name="Layers">The dense layers in order, weights [Inputs, Outputs] row-major, the last one softmax.</param>
/// <param name="Report">The stored report; null for a file without one (e.g. one exported by another tool).</param>
/// <param name="Sha256">SHA-256 of the file's bytes, lower-case hex.</param>
public sealed record OnnxClassifier(IReadOnlyList<DenseLayerParameters> Layers, ModelReport? Report, string Sha256);

/// <summary>
/// Reads the classifier of any ONNX file whose output <c>probabilities</c> is a dense network over the image:
/// it follows the graph back from that output, so other outputs (a detector's score) and the exact node
/// layout do not matter. Understood on the way: Softmax, Relu/Sigmoid/Tanh, Gemm (W as [in,out] or, with
/// transB, [out,in]; bias optional), MatMul followed by Add, and Flatten or Reshape of the image. The report
/// is read when present and must then be valid; a file without one is still read (its figures can be measured).
/// </summary>
public static class OnnxClassifierReader
{
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="FormatException">Not an ONNX model, or its <c>probabilities</c> are not a dense network of the image.</exception>
    public static OnnxClassifier Read(string path) => Read(File.ReadAllBytes(path), Path.GetFileName(path));

    /// <inheritdoc cref="Read(string)"/>
    public static OnnxClassifier Read(byte[] bytes, string source = "the model")
    {
        var what = $"'{source}'";
        var model = OnnxModelReader.Parse(bytes, what);
        ModelReport? report = null;
        if (OnnxModelReader.ReadMetadata(model, what).TryGetValue(ModelReport.MetadataKey, out var json))
        {
            try
            {
                report = ModelReport.FromJson(json);
            }
            catch (FormatException e)
            {
                throw new FormatException($"{what} has a broken '{ModelReport.MetadataKey}' report: {e.Message}", e);
            }
        }

        return new OnnxClassifier(Layers(model, what), report, OnnxModelFormat.Sha256(bytes));
    }

    /// <summary>
    /// The dense layers alone, for a caller that has the file's hash and report already: the service's model store,
    /// where hashing the 1.8 MB default model again cost 1.4-1.8 ms of a 7-8 ms load (BenchmarkDotNet, ServingOverheadBenchmarks).
    /// </summary>
    /// <exception cref="FormatException">Not an ONNX model, or its <c>probabilities</c> are not a dense network of the image.</exception>
    public static IReadOnlyList<DenseLayerParameters> ReadLayers(byte[] bytes, string source) =>
        Layers(OnnxModelReader.Parse(bytes, $"'{source}'"), $"'{source}'");

    private static IReadOnlyList<DenseLayerParameters> Layers(ModelProto model, string what) => model.Graph.Node.Any(n => n.OpType == "Conv")
        ? throw new FormatException($"{what} is a convolutional network: its layers are read here as a multi-layer perceptron's dense layers only.")
        : new GraphWalk(model.Graph, $"{what} has no dense network behind '{OnnxModelFormat.OutputName}' that can be read here:").Layers();

    /// <summary>One walk from the output back to the image.</summary>
    private sealed class GraphWalk
    {
        private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
        private readonly string _image;
        private readonly string _cannot;

        public GraphWalk(GraphProto graph, string cannot)
        {
            _cannot = cannot;
            foreach (var tensor in graph.Initializer)
            {
                _initializers.TryAdd(tensor.Name, tensor);
            }

            foreach (var node in graph.Node)
            {
                foreach (var output in node.Output)
                {
                    _producers[output] = node;
                }
            }

            var inputs = graph.Input.Where(i => !_initializers.ContainsKey(i.Name)).ToList();
            if (inputs.Count != 1)
            {
                throw Cannot($"it has {inputs.Count} image inputs, expected one.");
            }

            _image = inputs[0].Name;
            if (!graph.Output.Any(o => o.Name == OnnxModelFormat.OutputName))
            {
                throw Cannot($"it has no output '{OnnxModelFormat.OutputName}'.");
            }
        }

        /// <summary>Softmax ← linear ← (activation ← linear)* ← image: the layers, first to last.</summary>
        public List<DenseLayerParameters> Layers()
        {
            var softmax = Producer(OnnxModelFormat.OutputName);
            if (softmax.OpType != "Softmax" || IntAttribute(softmax, "axis", -1, _cannot) is not (1 or -1))
            {
                throw Cannot($"'{OnnxModelFormat.OutputName}' should come from a Softmax over the classes, not {softmax.OpType}.");
            }

            var reversed = new List<(float[] Weights, float[] Bias, int Inputs, int Outputs, string Activation)>();
            var x = softmax.Input[0];
            var activation = "softmax";
            while (true)
            {
                var (input, weights, bias, inputs, outputs) = Linear(x);
                reversed.Add((weights, bias, inputs, outputs, activation));
                if (IsImage(input))
                {
                    break;
                }

                var node = Producer(input);
                activation = OnnxModelFormat.ActivationOf(node.OpType) is { } name and not "softmax"
                    ? name
                    : throw Cannot($"a hidden layer's activation should be Relu, Sigmoid or Tanh, found {node.OpType} ('{node.Name}').");
                x = node.Input[0];
                if (reversed.Count > 64)
                {
                    throw Cannot("it has more than 64 dense layers.");
                }
            }

            reversed.Reverse();
            var layers = new List<DenseLayerParameters>();
            var width = OnnxModelFormat.InputFeatures;
            foreach (var (weights, bias, inputs, outputs, name) in reversed)
            {
                if (inputs != width)
                {
                    throw Cannot($"a dense layer takes {inputs} inputs where {width} arrive.");
                }

                layers.Add(new DenseLayerParameters(inputs, outputs, weights, bias, name));
                width = outputs;
            }

            return width == OnnxModelFormat.Classes ? layers : throw Cannot($"the last dense layer has {width} units, expected {OnnxModelFormat.Classes}.");
        }

        /// <summary>y = x·W + b as Gemm, or as MatMul then Add: returns x's name and the parameters with W as [in, out].</summary>
        private (string Input, float[] Weights, float[] Bias, int Inputs, int Outputs) Linear(string y)
        {
            var node = Producer(y);
            if (node.OpType == "Gemm")
            {
                if (node.Input.Count < 2 || IntAttribute(node, "transA", 0, _cannot) != 0
                    || FloatAttribute(node, "alpha", 1f, _cannot) != 1f || FloatAttribute(node, "beta", 1f, _cannot) != 1f)
                {
                    throw Cannot($"Gemm '{node.Name}' must compute x·W + b (alpha = beta = 1, no transA).");
                }

                var (weights, inputs, outputs) = Matrix(node.Input[1], IntAttribute(node, "transB", 0, _cannot) != 0);
                var bias = node.Input.Count > 2 && node.Input[2].Length > 0 ? Vector(node.Input[2], outputs) : new float[outputs];
                return (node.Input[0], weights, bias, inputs, outputs);
            }

            if (node.OpType == "Add" && node.Input.Count == 2)
            {
                var biasFirst = _initializers.ContainsKey(node.Input[0]);
                var matMul = Producer(node.Input[biasFirst ? 1 : 0]);
                if (matMul.OpType == "MatMul" && matMul.Input.Count == 2)
                {
                    var (weights, inputs, outputs) = Matrix(matMul.Input[1], transposed: false);
                    return (matMul.Input[0], weights, Vector(node.Input[biasFirst ? 0 : 1], outputs), inputs, outputs);
                }
            }

            throw Cannot($"expected a dense layer (Gemm, or MatMul then Add) to produce '{y}', found {node.OpType} ('{node.Name}').");
        }

        /// <summary>The image itself when it is [N,784], or Flatten/Reshape of it to [N,784].</summary>
        private bool IsImage(string name)
        {
            if (name == _image)
            {
                return true;
            }

            if (!_producers.TryGetValue(name, out var node) || node.Input.Count == 0 || node.Input[0] != _image)
            {
                return false;
            }

            return node.OpType switch
            {
                "Flatten" => IntAttribute(node, "axis", 1, _cannot) == 1,
                "Reshape" => node.Input.Count == 2 && ReshapesToRows(node.Input[1]),
                _ => false,
            };
        }

        private bool ReshapesToRows(string shapeName)
        {
            if (!_initializers.TryGetValue(shapeName, out var shape) || shape.DataType != (int)TensorProto.Types.DataType.Int64)
            {
                return false;
            }

            var dims = shape.RawData.Length > 0 ? MemoryMarshal.Cast<byte, long>(shape.RawData.Span).ToArray() : [.. shape.Int64Data];
            return dims is [-1 or 0, OnnxModelFormat.InputFeatures];
        }

        private (float[] Weights, int Inputs, int Outputs) Matrix(string name, bool transposed)
        {
            var tensor = Initializer(_initializers, name, _cannot);
            if (tensor.Dims.Count != 2 || tensor.Dims[0] is < 1 or > 65536 || tensor.Dims[1] is < 1 or > 65536)
            {
                throw Cannot($"weight '{name}' has shape [{string.Join(",", tensor.Dims)}], expected a matrix.");
            }

            int rows = (int)tensor.Dims[0], columns = (int)tensor.Dims[1];
            var values = Floats(tensor, (long)rows * columns, _cannot);
            if (!transposed)
            {
                return (values, rows, columns);
            }

            // Stored [out, in] (transB = 1, PyTorch's layout): W[i, o] = stored[o, i].
            var weights = new float[values.Length];
            for (var o = 0; o < rows; o++)
            {
                for (var i = 0; i < columns; i++)
                {
                    weights[i * rows + o] = values[o * columns + i];
                }
            }

            return (weights, columns, rows);
        }

        private float[] Vector(string name, int length)
        {
            var tensor = Initializer(_initializers, name, _cannot);
            var count = tensor.Dims.Aggregate(1L, (a, d) => a * d);
            return tensor.Dims.Count > 0 && count == length && tensor.Dims[^1] == length
                ? Floats(tensor, length, _cannot)
                : throw Cannot($"bias '{name}' has shape [{string.Join(",", tensor.Dims)}], expected [{length}].");
        }

        private NodeProto Producer(string name) =>
            _producers.TryGetValue(name, out var node) && node.Input.Count > 0 && node.Domain is ("" or "ai.onnx")
                ? node
                : throw Cannot($"nothing the reader understands produces '{name}'.");

        private FormatException Cannot(string why) => new($"{_cannot} {why}");
    }
}
