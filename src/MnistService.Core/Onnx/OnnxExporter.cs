using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Google.Protobuf;
using MnistService.Core.IO;
using MnistService.Core.Network;

namespace MnistService.Core.Onnx;

/// <summary>
/// Writes a trained network as an ONNX model that carries its own evaluation:
/// <c>image [N,1,28,28] → (Conv → Relu|Sigmoid|Tanh → MaxPool)* → Flatten → (Gemm → Relu|Sigmoid|Tanh)* → Gemm → Softmax
/// → probabilities [N,10]</c>, IR version 8, opset 13, weights as named initializers (conv_1.weight, ..., dense_1.weight,
/// dense_1.bias, ...) and the <see cref="ModelReport"/> as JSON in <c>metadata_props["mnist.report"]</c>.
/// </summary>
public static partial class OnnxExporter
{
    /// <summary>Writes the model to <paramref name="path"/> atomically (temporary file, flush, rename).</summary>
    /// <exception cref="ArgumentException">The layers do not form our network, or the report does not describe them.</exception>
    /// <exception cref="IOException">The file could not be written; an existing file at <paramref name="path"/> is unchanged.</exception>
    /// <param name="detector">The autoencoder's layers, written as the second output <c>digit_score</c>; null = none.</param>
    /// <param name="convolutions">The convolution blocks before the dense layers; null = none.</param>
    public static void Write(string path, IReadOnlyList<DenseLayerParameters> layers, ModelReport report, OnnxExportOptions? options = null,
        IReadOnlyList<DenseLayerParameters>? detector = null, IReadOnlyList<ConvLayerParameters>? convolutions = null)
    {
        // Build and check everything before touching the file system.
        var model = BuildModel(layers, report, options ?? new OnnxExportOptions(), detector, convolutions);
        AtomicFile.Write(path, model.WriteTo);
    }

    /// <summary>The model file's bytes, exactly as <see cref="Write"/> stores them.</summary>
    /// <exception cref="ArgumentException">The layers do not form our network, or the report does not describe them.</exception>
    public static byte[] Serialize(IReadOnlyList<DenseLayerParameters> layers, ModelReport report, OnnxExportOptions? options = null,
        IReadOnlyList<DenseLayerParameters>? detector = null, IReadOnlyList<ConvLayerParameters>? convolutions = null) =>
        BuildModel(layers, report, options ?? new OnnxExportOptions(), detector, convolutions).ToByteArray();

    internal static ModelProto BuildModel(IReadOnlyList<DenseLayerParameters> layers, ModelReport report, OnnxExportOptions options,
        IReadOnlyList<DenseLayerParameters>? detector = null, IReadOnlyList<ConvLayerParameters>? convolutions = null)
    {
        convolutions ??= [];
        var features = ValidateConvolutions(convolutions, report);
        ValidateLayers(layers, features);
        ValidateReport(report, layers, convolutions);
        ValidateDetector(detector, report, layers);

        var graph = new GraphProto { Name = options.GraphName };
        graph.Input.Add(TensorValue(OnnxModelFormat.InputName,
            Symbolic(OnnxModelFormat.BatchDimension), Fixed(1), Fixed(OnnxModelFormat.ImageHeight), Fixed(OnnxModelFormat.ImageWidth)));

        // Flatten(axis = 1): [N,1,28,28] → [N,784] (or the last pooling's [N,C,s,s] → [N,C·s·s]), the Keras Flatten in
        // front of the first Dense layer.
        var x = "flatten.output";
        var image = convolutions.Count == 0 ? OnnxModelFormat.InputName : AddConvolutions(graph, convolutions, layers[0].Activation);
        graph.Node.Add(Node("Flatten", "flatten", [image], x, IntAttribute("axis", 1)));
        graph.ValueInfo.Add(TensorValue(x, Symbolic(OnnxModelFormat.BatchDimension), Fixed(features)));

        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var name = OnnxModelFormat.LayerName(i);
            string weight = $"{name}.weight", bias = $"{name}.bias", linear = $"{name}.linear";
            var last = i == layers.Count - 1;
            var output = last ? OnnxModelFormat.OutputName : $"{name}.output";

            var weights = i == 0 && convolutions.Count > 0 ? convolutions[^1].DenseRowsChannelsFirst(layer.Weights) : layer.Weights;
            graph.Initializer.Add(FloatTensor(weight, weights, layer.Inputs, layer.Outputs));
            graph.Initializer.Add(FloatTensor(bias, layer.Bias, layer.Outputs));

            // Gemm: Y = alpha·A·B + beta·C with the defaults alpha = beta = 1, transA = transB = 0,
            // so Y = x·W + b with W stored [inputs, outputs] as Keras does; b broadcasts over the batch.
            graph.Node.Add(Node("Gemm", $"{name}.gemm", [x, weight, bias], linear));
            graph.ValueInfo.Add(TensorValue(linear, Symbolic(OnnxModelFormat.BatchDimension), Fixed(layer.Outputs)));

            var op = OnnxModelFormat.OperatorOf(layer.Activation);
            graph.Node.Add(op == "Softmax"
                ? Node(op, $"{name}.{layer.Activation}", [linear], output, IntAttribute("axis", 1))
                : Node(op, $"{name}.{layer.Activation}", [linear], output));
            if (!last)
            {
                graph.ValueInfo.Add(TensorValue(output, Symbolic(OnnxModelFormat.BatchDimension), Fixed(layer.Outputs)));
            }

            x = output;
        }

        graph.Output.Add(TensorValue(OnnxModelFormat.OutputName,
            Symbolic(OnnxModelFormat.BatchDimension), Fixed(OnnxModelFormat.Classes)));
        if (detector is not null)
        {
            // The detector reads the flattened image, or the classifier's first product x·W₁ + b₁ (before its relu).
            var reads = report.Detector!.Input == DetectorInput.Classifier ? $"{OnnxModelFormat.LayerName(0)}.linear" : "flatten.output";
            AddDetector(graph, detector, reads);
        }

        var model = new ModelProto
        {
            IrVersion = OnnxModelFormat.IrVersion,
            ProducerName = options.ProducerName,
            ProducerVersion = options.ProducerVersion,
            ModelVersion = options.ModelVersion,
            DocString = options.DocString ?? Describe(layers, report, convolutions),
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxModelFormat.OpsetVersion });
        model.MetadataProps.Add(new StringStringEntryProto { Key = ModelReport.MetadataKey, Value = report.ToJson() });
        return model;
    }

    /// <summary>
    /// The detector on <paramref name="input"/>, then its score, float32 [N]: the discriminator's σ(z), or the
    /// autoencoder's digit_score = Neg(ReduceMean((x̂ - x)², axis 1)).
    /// </summary>
    private static void AddDetector(GraphProto graph, IReadOnlyList<DenseLayerParameters> detector, string input)
    {
        var x = input;
        for (var i = 0; i < detector.Count; i++)
        {
            var layer = detector[i];
            var name = OnnxModelFormat.DetectorLayerName(i);
            string weight = $"{name}.weight", bias = $"{name}.bias", linear = $"{name}.linear", output = $"{name}.output";
            graph.Initializer.Add(FloatTensor(weight, layer.Weights, layer.Inputs, layer.Outputs));
            graph.Initializer.Add(FloatTensor(bias, layer.Bias, layer.Outputs));
            graph.Node.Add(Node("Gemm", $"{name}.gemm", [x, weight, bias], linear));
            graph.Node.Add(Node(OnnxModelFormat.OperatorOf(layer.Activation), $"{name}.{layer.Activation}", [linear], output));
            graph.ValueInfo.Add(TensorValue(linear, Symbolic(OnnxModelFormat.BatchDimension), Fixed(layer.Outputs)));
            graph.ValueInfo.Add(TensorValue(output, Symbolic(OnnxModelFormat.BatchDimension), Fixed(layer.Outputs)));
            x = output;
        }
        if (detector[^1].Outputs != OnnxModelFormat.InputFeatures)
        {
            // The discriminators' σ(z) [N,K] averaged into [N] (for one, ReduceMean over one value is that value).
            graph.Node.Add(Node("ReduceMean", "detector.score", [x], OnnxModelFormat.DigitScoreName, Axis1(), IntAttribute("keepdims", 0)));
        }
        else
        {
            graph.Node.Add(Node("Sub", "detector.error", [x, input], "detector.error"));
            graph.Node.Add(Node("Mul", "detector.squared", ["detector.error", "detector.error"], "detector.squared"));
            graph.Node.Add(Node("ReduceMean", "detector.mean", ["detector.squared"], "detector.mean", Axis1(), IntAttribute("keepdims", 0)));
            graph.Node.Add(Node("Neg", "detector.score", ["detector.mean"], OnnxModelFormat.DigitScoreName));
            foreach (var name in new[] { "detector.error", "detector.squared" })
            {
                graph.ValueInfo.Add(TensorValue(name, Symbolic(OnnxModelFormat.BatchDimension), Fixed(OnnxModelFormat.InputFeatures)));
            }
            graph.ValueInfo.Add(TensorValue("detector.mean", Symbolic(OnnxModelFormat.BatchDimension)));
        }
        graph.Output.Add(TensorValue(OnnxModelFormat.DigitScoreName, Symbolic(OnnxModelFormat.BatchDimension)));

        // opset 13 takes ReduceMean's axes as an attribute (an input from opset 18).
        static AttributeProto Axis1() => new() { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1 } };
    }

    /// <summary>
    /// A detector must be a <see cref="DetectorNetwork"/> of what the report says it reads (the image, or the classifier's
    /// first layer), finite, and described by the report (and only then).
    /// </summary>
    private static void ValidateDetector(IReadOnlyList<DenseLayerParameters>? detector, ModelReport report, IReadOnlyList<DenseLayerParameters> layers)
    {
        if (detector is null)
        {
            if (report.Detector is not null)
            {
                throw new ArgumentException("The report describes a detector, but no detector layers were given.", nameof(report));
            }
            return;
        }
        if (report.Detector is null)
        {
            throw new ArgumentException("Detector layers were given, but the report has no detector section.", nameof(report));
        }
        try
        {
            var network = DetectorNetwork.FromParameters(detector);
            var expected = report.Detector.Input == DetectorInput.Classifier ? layers[0].Outputs : OnnxModelFormat.InputFeatures;
            if (network.Inputs != expected)
            {
                throw new ArgumentException(report.Detector.Input == DetectorInput.Classifier
                    ? $"It takes {network.Inputs} inputs, but the classifier's first layer gives {expected} values."
                    : $"It takes {network.Inputs} inputs, but an MNIST image has {OnnxModelFormat.InputFeatures} pixels.");
            }
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"The detector is not a detector network of its input: {e.Message}", nameof(detector), e);
        }
        if (detector.Any(l => !AllFinite(l.Weights) || !AllFinite(l.Bias)))
        {
            throw new ArgumentException("The detector holds NaN or infinite parameters (did training diverge?).", nameof(detector));
        }
    }

    /// <summary>The model's doc string: what it is, what goes in and out, how well it does.</summary>
    private static string Describe(IReadOnlyList<DenseLayerParameters> layers, ModelReport report, IReadOnlyList<ConvLayerParameters> convolutions)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"MNIST handwritten-digit classifier: a ");
        text.Append(convolutions.Count == 0 ? "multilayer perceptron " : "convolutional network ");
        text.Append(CultureInfo.InvariantCulture, $"{OnnxModelFormat.InputFeatures}");
        foreach (var conv in convolutions)
        {
            text.Append(CultureInfo.InvariantCulture,
                $" → {conv.Kernel}x{conv.Kernel} convolution to {conv.OutChannels} channels ({layers[0].Activation}) → 2x2 max pooling");
        }
        foreach (var layer in layers)
        {
            text.Append(CultureInfo.InvariantCulture, $" → {layer.Outputs} ({layer.Activation})");
        }

        var parameters = convolutions.Sum(c => c.ParameterCount) + layers.Sum(l => l.ParameterCount);
        text.Append(CultureInfo.InvariantCulture, $", {parameters:N0} parameters.\n");
        text.Append("Input 'image': float32 [N,1,28,28], pixel values in [0,1], white ink on black as in MNIST.\n");
        text.Append("Output 'probabilities': float32 [N,10], softmax probabilities of the digits 0-9.\n");
        if (report.Detector is { } detector)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"Output '{OnnxModelFormat.DigitScoreName}': float32 [N], higher = more digit-like ({detector.Method}); below {detector.Threshold:G6} it is not a digit.\n");
        }
        text.Append(CultureInfo.InvariantCulture, $"Test accuracy {report.Test.Accuracy:P2} on the MNIST test set.\n");
        text.Append(CultureInfo.InvariantCulture, $"The training report (settings, history, test, data set) is JSON in metadata_props['{ModelReport.MetadataKey}'].");
        return text.ToString();
    }

    /// <param name="features">Values into the first dense layer: the image's pixels, or the last pooling's outputs.</param>
    private static void ValidateLayers(IReadOnlyList<DenseLayerParameters> layers, int features)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0)
        {
            throw new ArgumentException("A model needs at least one dense layer.", nameof(layers));
        }

        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var name = OnnxModelFormat.LayerName(i);
            try
            {
                layer.Validate();
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Layer {name}: {e.Message}", nameof(layers), e);
            }
            var expectedInputs = i == 0 ? features : layers[i - 1].Outputs;
            if (layer.Inputs != expectedInputs)
            {
                throw new ArgumentException(i == 0
                    ? $"Layer {name} takes {layer.Inputs} inputs, but {(features == OnnxModelFormat.InputFeatures ? "an MNIST image has" : "the last convolution block gives")} {features} {(features == OnnxModelFormat.InputFeatures ? "pixels" : "values")}."
                    : $"Layer {name} takes {layer.Inputs} inputs, but {OnnxModelFormat.LayerName(i - 1)} gives {expectedInputs}.", nameof(layers));
            }

            var last = i == layers.Count - 1;
            OnnxModelFormat.OperatorOf(layer.Activation); // throws for unknown names
            if (last && layer.Activation != "softmax")
            {
                throw new ArgumentException($"The output layer {name} must use softmax, not {layer.Activation}.", nameof(layers));
            }

            if (!last && layer.Activation == "softmax")
            {
                throw new ArgumentException($"Hidden layer {name} uses softmax; hidden layers use relu, sigmoid or tanh.", nameof(layers));
            }

            if (last && layer.Outputs != OnnxModelFormat.Classes)
            {
                throw new ArgumentException($"The output layer {name} has {layer.Outputs} units; MNIST has {OnnxModelFormat.Classes} classes.", nameof(layers));
            }

            // A diverged network (NaN/∞) would load fine and answer nonsense; refuse to ship it.
            if (!AllFinite(layer.Weights) || !AllFinite(layer.Bias))
            {
                throw new ArgumentException($"Layer {name} holds NaN or infinite parameters (did training diverge?).", nameof(layers));
            }
        }
    }

    /// <summary>The report must describe these layers, or the file would contradict itself.</summary>
    private static void ValidateReport(ModelReport report, IReadOnlyList<DenseLayerParameters> layers, IReadOnlyList<ConvLayerParameters> convolutions)
    {
        ArgumentNullException.ThrowIfNull(report);
        var architecture = report.Architecture;
        var inputs = convolutions.Count == 0 ? layers[0].Inputs : OnnxModelFormat.InputFeatures;
        if (architecture.Inputs != inputs)
        {
            throw new ArgumentException($"The report says {architecture.Inputs} inputs, the network takes {inputs}.", nameof(report));
        }

        var parameters = convolutions.Sum(c => c.ParameterCount) + layers.Sum(l => l.ParameterCount);
        if (architecture.Parameters != parameters)
        {
            throw new ArgumentException($"The report says {architecture.Parameters:N0} parameters, the layers hold {parameters:N0}.", nameof(report));
        }

        var reportedUnits = architecture.Layers.Where(l => l.Kind == "dense").Select(l => l.Units);
        if (!reportedUnits.SequenceEqual(layers.Select(l => l.Outputs)))
        {
            throw new ArgumentException(
                $"The report's dense layers ({string.Join(", ", reportedUnits)}) differ from the model's ({string.Join(", ", layers.Select(l => l.Outputs))}).",
                nameof(report));
        }

        var confusion = report.Test.Confusion;
        if (confusion is null || confusion.Length != OnnxModelFormat.Classes || confusion.Any(row => row is null || row.Length != OnnxModelFormat.Classes))
        {
            throw new ArgumentException("The report's confusion matrix must be 10 rows of 10 counts.", nameof(report));
        }
        // Accuracies are fractions as Keras reports them (0.9811, not 98.11), so every reader formats them alike.
        if (report.Test.Accuracy is < 0 or > 1 || report.History.Any(e => e.Accuracy is < 0 or > 1 || e.ValAccuracy is < 0 or > 1))
        {
            throw new ArgumentException("Accuracies in the report must be fractions in [0, 1], as Keras reports them.", nameof(report));
        }

        if (report.Misread is { } misread)
        {
            var errors = confusion.Select((row, t) => row.Sum() - row[t]).Sum();
            if (misread.Count != errors || misread.Any(m => m.Label == m.Digit || m.Label is < 0 or > 9 || m.Digit is < 0 or > 9
                || m.Index < 0 || m.Probabilities is not { Length: OnnxModelFormat.Classes }))
            {
                throw new ArgumentException(
                    $"The report's misread list must hold one entry (two different digits 0-9, ten probabilities) per test error: {misread.Count} entries for {errors} errors.",
                    nameof(report));
            }
        }

        if (report.Created.Offset != TimeSpan.Zero)
        {
            throw new ArgumentException($"The report's creation time must be UTC, got offset {report.Created.Offset}.", nameof(report));
        }
    }

    private static bool AllFinite(float[] values)
    {
        foreach (var v in values)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }

        return true;
    }

    private static TensorProto FloatTensor(string name, float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.Add(dims);
        // ONNX raw_data is little-endian IEEE 754: the in-memory layout on every platform .NET runs on here.
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Writing ONNX raw_data needs a little-endian machine.");
        }

        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        return tensor;
    }

    private static NodeProto Node(string op, string name, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.Add(inputs);
        node.Output.Add(output);
        node.Attribute.Add(attributes);
        return node;
    }

    private static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static TensorShapeProto.Types.Dimension Symbolic(string name) => new() { DimParam = name };

    private static TensorShapeProto.Types.Dimension Fixed(long size) => new() { DimValue = size };

    private static ValueInfoProto TensorValue(string name, params TensorShapeProto.Types.Dimension[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(dims);
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape },
            },
        };
    }
}
