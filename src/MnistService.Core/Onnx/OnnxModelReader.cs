using System.Runtime.InteropServices;
using Google.Protobuf;
using MnistService.Core.Network;

namespace MnistService.Core.Onnx;

/// <summary>
/// Reads a model written by <see cref="OnnxExporter"/> back into dense layers and its report, and checks
/// that the graph is one of ours (Flatten, then Gemm + activation per layer) so the parameters mean
/// what the network expects. Anything else is a <see cref="FormatException"/> that says what is wrong.
/// </summary>
public static partial class OnnxModelReader
{
    /// <exception cref="IOException">The file cannot be read (<see cref="FileNotFoundException"/>, <see cref="DirectoryNotFoundException"/>...).</exception>
    /// <exception cref="FormatException">The file is not an ONNX model, is truncated, or is not one of ours.</exception>
    public static OnnxModelFile Read(string path) => Read(File.ReadAllBytes(path), path);

    /// <inheritdoc cref="Read(string)"/>
    public static async Task<OnnxModelFile> ReadAsync(string path, CancellationToken cancellationToken = default) =>
        Read(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false), path);

    /// <param name="bytes">The model file's content.</param>
    /// <param name="source">Where the bytes came from, for error messages (a path or an upload's name).</param>
    /// <exception cref="FormatException">The bytes are not an ONNX model, are truncated, or are not one of ours.</exception>
    public static OnnxModelFile Read(byte[] bytes, string source = "the model")
    {
        var what = $"'{source}'";
        var model = Parse(bytes, what);
        var notOurs = $"{what} is an ONNX model, but not an MNIST model of ours:";
        var opset = ReadOpset(model, notOurs);
        var metadata = ReadMetadata(model, what);
        if (!metadata.TryGetValue(ModelReport.MetadataKey, out var reportJson))
        {
            throw new FormatException($"{notOurs} it carries no '{ModelReport.MetadataKey}' report in its metadata.");
        }

        ModelReport report;
        try
        {
            report = ModelReport.FromJson(reportJson);
        }
        catch (FormatException e)
        {
            throw new FormatException($"{what} has a broken '{ModelReport.MetadataKey}' report: {e.Message}", e);
        }

        var (layers, convolutions, detector) = GraphReader.ReadLayers(model.Graph, notOurs);
        if ((detector is null) != (report.Detector is null))
        {
            throw new FormatException(detector is null
                ? $"{notOurs} its report describes a detector that the graph does not have."
                : $"{notOurs} its graph has a detector that its report does not describe.");
        }
        if (detector is { Input: var reads } && reads != report.Detector!.Input)
        {
            throw new FormatException(
                $"{notOurs} its detector reads the {ChoiceNames.Of(reads)}, but its report says the {ChoiceNames.Of(report.Detector.Input)}.");
        }

        return new OnnxModelFile
        {
            Layers = layers,
            Convolutions = convolutions,
            Detector = detector?.Layers,
            Report = report,
            ReportJson = reportJson,
            ProducerName = model.ProducerName,
            ProducerVersion = model.ProducerVersion,
            IrVersion = model.IrVersion,
            OpsetVersion = opset,
            ModelVersion = model.ModelVersion,
            GraphName = model.Graph.Name,
            DocString = model.DocString,
            Metadata = metadata,
            Sha256 = OnnxModelFormat.Sha256(bytes),
            SizeBytes = bytes.Length,
        };
    }

    /// <summary>Whether the bytes are an ONNX model whose graph convolves (a convolutional network, of ours or not).</summary>
    /// <exception cref="FormatException">Not an ONNX model.</exception>
    public static bool IsConvolutional(byte[] bytes, string source) =>
        Parse(bytes, $"'{source}'").Graph.Node.Any(n => n.OpType == "Conv");

    /// <summary>The bytes as an ONNX model with an IR version and a graph.</summary>
    /// <param name="what">The source, quoted, for error messages.</param>
    internal static ModelProto Parse(byte[] bytes, string what)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length == 0)
        {
            throw new FormatException($"{what} is empty (0 bytes), not an ONNX model.");
        }

        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new FormatException($"{what} is not an ONNX model, or it is truncated: its protobuf encoding is broken ({e.Message})", e);
        }

        // Protobuf has no magic number: arbitrary bytes can parse. A real model names its IR version and graph.
        if (model.IrVersion <= 0 || model.Graph is null)
        {
            throw new FormatException($"{what} is not an ONNX model: it has no {(model.IrVersion <= 0 ? "IR version" : "graph")}.");
        }

        return model;
    }

    private static long ReadOpset(ModelProto model, string notOurs)
    {
        long? opset = null;
        foreach (var import in model.OpsetImport)
        {
            if (import.Domain is not ("" or "ai.onnx"))
            {
                throw new FormatException($"{notOurs} it imports the operator set '{import.Domain}'.");
            }

            opset = import.Version;
        }
        if (opset is not { } version)
        {
            throw new FormatException($"{notOurs} it imports no ONNX operator set.");
        }

        if (version < OnnxModelFormat.MinOpsetVersion || version > OnnxModelFormat.MaxOpsetVersion)
        {
            throw new FormatException(
                $"{notOurs} it uses opset {version}, expected {OnnxModelFormat.MinOpsetVersion} to {OnnxModelFormat.MaxOpsetVersion}.");
        }

        return version;
    }

    internal static Dictionary<string, string> ReadMetadata(ModelProto model, string what)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in model.MetadataProps)
        {
            if (!metadata.TryAdd(entry.Key, entry.Value))
            {
                throw new FormatException($"{what} has the metadata key '{entry.Key}' twice.");
            }
        }

        return metadata;
    }

    /// <summary>Walks the graph the exporter writes and takes the dense layers out of it.</summary>
    internal static partial class GraphReader
    {
        public static (List<DenseLayerParameters> Layers, List<ConvLayerParameters> Convolutions, (List<DenseLayerParameters> Layers, DetectorInput Input)? Detector)
            ReadLayers(GraphProto graph, string notOurs)
        {
            var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
            foreach (var tensor in graph.Initializer)
            {
                if (!initializers.TryAdd(tensor.Name, tensor))
                {
                    throw new FormatException($"{notOurs} the initializer '{tensor.Name}' appears twice.");
                }
            }

            // IR >= 4 may list initializers among the inputs too; the one real input is the image.
            var inputs = graph.Input.Where(i => !initializers.ContainsKey(i.Name)).ToList();
            if (inputs.Count != 1 || inputs[0].Name != OnnxModelFormat.InputName)
            {
                throw new FormatException(
                    $"{notOurs} expected one input '{OnnxModelFormat.InputName}', found {Names(inputs.Select(i => i.Name))}.");
            }

            CheckShape(inputs[0], notOurs, 1, OnnxModelFormat.ImageHeight, OnnxModelFormat.ImageWidth);
            var hasDetector = graph.Output.Count == 2 && graph.Output[1].Name == OnnxModelFormat.DigitScoreName;
            if (graph.Output.Count is < 1 or > 2 || graph.Output[0].Name != OnnxModelFormat.OutputName || (graph.Output.Count == 2 && !hasDetector))
            {
                throw new FormatException(
                    $"{notOurs} expected the output '{OnnxModelFormat.OutputName}' (and optionally '{OnnxModelFormat.DigitScoreName}'), found {Names(graph.Output.Select(o => o.Name))}.");
            }

            CheckShape(graph.Output[0], notOurs, OnnxModelFormat.Classes);
            if (hasDetector)
            {
                CheckShape(graph.Output[1], notOurs);
            }

            var nodes = graph.Node;
            var first = 0;
            var (convolutions, image, convolutionActivation) = ReadConvolutions(initializers, nodes, ref first, notOurs);
            if (nodes.Count < first + 3)
            {
                throw new FormatException(
                    $"{notOurs} expected Flatten followed by Gemm and an activation per layer, found {nodes.Count} nodes ({Names(nodes.Select(n => n.OpType))}).");
            }

            var flatten = nodes[first];
            Expect(flatten, "Flatten", image, notOurs);
            if (IntAttribute(flatten, "axis", 1, notOurs) != 1)
            {
                throw new FormatException($"{notOurs} Flatten must keep the batch axis (axis = 1).");
            }

            var layers = new List<DenseLayerParameters>();
            var input = Output(flatten, notOurs);
            var x = input;
            var n = first + 1;
            var features = convolutions.Count == 0 ? OnnxModelFormat.InputFeatures : convolutions[^1].PooledOutputs;
            for (; n + 1 < nodes.Count && x != OnnxModelFormat.OutputName; n += 2)
            {
                var activation = nodes[n + 1];
                var last = n + 2 == nodes.Count || activation.Output.Contains(OnnxModelFormat.OutputName);
                var layer = ReadDense(initializers, nodes[n], activation, x, layers.Count == 0 ? features : layers[^1].Outputs, notOurs);
                if ((layer.Activation == "softmax") != last)
                {
                    throw new FormatException(last
                        ? $"{notOurs} the last node must be Softmax, found {activation.OpType}."
                        : $"{notOurs} hidden layer activation must be Relu, Sigmoid or Tanh, found {activation.OpType}.");
                }

                if (last && IntAttribute(activation, "axis", -1, notOurs) is not (1 or -1))
                {
                    throw new FormatException($"{notOurs} Softmax must run over the classes (axis 1).");
                }

                layers.Add(layer);
                x = Output(activation, notOurs);
            }

            if (x != OnnxModelFormat.OutputName)
            {
                throw new FormatException($"{notOurs} the last node writes '{x}', not the output '{OnnxModelFormat.OutputName}'.");
            }

            if (convolutionActivation is not null && layers.Count > 1 && convolutionActivation != layers[0].Activation)
            {
                // Our network has one activation for every block and hidden layer; read otherwise it would compute another function.
                throw new FormatException(
                    $"{notOurs} its convolutions use {convolutionActivation} and its dense layers {layers[0].Activation}: one activation for both is expected.");
            }

            if (layers[^1].Outputs != OnnxModelFormat.Classes)
            {
                throw new FormatException($"{notOurs} the last layer has {layers[^1].Outputs} units, expected {OnnxModelFormat.Classes}.");
            }

            if (!hasDetector && n < nodes.Count)
            {
                throw new FormatException(
                    $"{notOurs} found {Names(nodes.Skip(n).Select(d => d.OpType))} after the classifier, but the model has no '{OnnxModelFormat.DigitScoreName}' output.");
            }
            var detector = ReadDetector(initializers, nodes, n, input, nodes[first + 1].Output[0], layers[0].Outputs, notOurs);
            if (hasDetector && detector is null)
            {
                throw new FormatException($"{notOurs} it declares the output '{OnnxModelFormat.DigitScoreName}' but no detector computes it.");
            }
            if (convolutions.Count > 0 && detector is { Input: DetectorInput.Image })
            {
                throw new FormatException($"{notOurs} the detector of a convolutional network must read '{nodes[first + 1].Output[0]}', not the convolutions' flattened output.");
            }
            if (convolutions.Count > 0)
            {
                layers[0] = layers[0] with { Weights = convolutions[^1].DenseRowsChannelsFirst(layers[0].Weights, back: true) };
            }
            return (layers, convolutions, detector);
        }

        /// <summary>One dense layer: a Gemm computing x·W + b on <paramref name="x"/>, then its activation.</summary>
        private static DenseLayerParameters ReadDense(Dictionary<string, TensorProto> initializers, NodeProto gemm, NodeProto activation,
            string x, int inputs, string notOurs)
        {
            Expect(gemm, "Gemm", x, notOurs);
            if (gemm.Input.Count != 3)
            {
                throw new FormatException($"{notOurs} Gemm node '{gemm.Name}' needs inputs x, W and b.");
            }

            if (IntAttribute(gemm, "transA", 0, notOurs) != 0 || IntAttribute(gemm, "transB", 0, notOurs) != 0
                || FloatAttribute(gemm, "alpha", 1f, notOurs) != 1f || FloatAttribute(gemm, "beta", 1f, notOurs) != 1f)
            {
                throw new FormatException($"{notOurs} Gemm node '{gemm.Name}' must compute x·W + b (no transposes, alpha = beta = 1).");
            }

            var weightTensor = Initializer(initializers, gemm.Input[1], notOurs);
            var biasTensor = Initializer(initializers, gemm.Input[2], notOurs);
            if (weightTensor.Dims.Count != 2 || weightTensor.Dims[0] != inputs || weightTensor.Dims[1] is < 1 or > int.MaxValue)
            {
                throw new FormatException(
                    $"{notOurs} weight '{weightTensor.Name}' has shape [{string.Join(",", weightTensor.Dims)}], expected [{inputs}, units].");
            }

            var units = (int)weightTensor.Dims[1];
            if (biasTensor.Dims.Count != 1 || biasTensor.Dims[0] != units)
            {
                throw new FormatException(
                    $"{notOurs} bias '{biasTensor.Name}' has shape [{string.Join(",", biasTensor.Dims)}], expected [{units}].");
            }

            Expect(activation, activation.OpType, Output(gemm, notOurs), notOurs);
            var name = OnnxModelFormat.ActivationOf(activation.OpType)
                ?? throw new FormatException($"{notOurs} activation must be Relu, Sigmoid or Tanh, found {activation.OpType} (or Softmax for the output layer).");
            return new DenseLayerParameters(inputs, units, Floats(weightTensor, (long)inputs * units, notOurs), Floats(biasTensor, units, notOurs), name);
        }

        private static void Expect(NodeProto node, string op, string input, string notOurs)
        {
            if (node.OpType != op || node.Domain is not ("" or "ai.onnx"))
            {
                throw new FormatException($"{notOurs} expected a {op} node, found {node.OpType} ('{node.Name}').");
            }

            if (node.Input.Count == 0 || node.Input[0] != input)
            {
                throw new FormatException($"{notOurs} {op} node '{node.Name}' should read '{input}'.");
            }
        }

        private static string Output(NodeProto node, string notOurs) =>
            node.Output.Count == 1 ? node.Output[0] : throw new FormatException($"{notOurs} node '{node.Name}' must have one output.");

        internal static long IntAttribute(NodeProto node, string name, long fallback, string notOurs)
        {
            var attribute = node.Attribute.FirstOrDefault(a => a.Name == name);
            if (attribute is null)
            {
                return fallback;
            }
            // proto3 leaves a zero value out, so an INT attribute without a value reads as 0, as ONNX means it.
            if (attribute.Type != AttributeProto.Types.AttributeType.Int)
            {
                throw new FormatException($"{notOurs} attribute '{name}' of '{node.Name}' should be an integer.");
            }

            return attribute.I;
        }

        internal static float FloatAttribute(NodeProto node, string name, float fallback, string notOurs)
        {
            var attribute = node.Attribute.FirstOrDefault(a => a.Name == name);
            if (attribute is null)
            {
                return fallback;
            }

            if (attribute.Type != AttributeProto.Types.AttributeType.Float)
            {
                throw new FormatException($"{notOurs} attribute '{name}' of '{node.Name}' should be a float.");
            }

            return attribute.F;
        }

        internal static TensorProto Initializer(Dictionary<string, TensorProto> initializers, string name, string notOurs)
        {
            if (!initializers.TryGetValue(name, out var tensor))
            {
                throw new FormatException($"{notOurs} '{name}' is not a stored weight (initializer).");
            }

            if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
            {
                throw new FormatException(
                    $"{notOurs} weight '{name}' is {(TensorProto.Types.DataType)tensor.DataType}, expected float32.");
            }

            if (tensor.DataLocation == TensorProto.Types.DataLocation.External || tensor.ExternalData.Count > 0)
            {
                throw new FormatException($"{notOurs} weight '{name}' is stored in an external file; we read self-contained models only.");
            }

            return tensor;
        }

        internal static float[] Floats(TensorProto tensor, long count, string notOurs)
        {
            // Sizes are checked against the data actually present before allocating, so a forged shape cannot ask for gigabytes.
            if (tensor.RawData.Length > 0)
            {
                if (tensor.RawData.Length != count * sizeof(float))
                {
                    throw new FormatException(
                        $"{notOurs} weight '{tensor.Name}' holds {tensor.RawData.Length} bytes, expected {count} floats ({count * sizeof(float)} bytes).");
                }
                // raw_data is little-endian IEEE 754.
                if (!BitConverter.IsLittleEndian)
                {
                    throw new PlatformNotSupportedException("Reading ONNX raw_data needs a little-endian machine.");
                }

                return MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();
            }
            if (tensor.FloatData.Count != count)
            {
                throw new FormatException(
                    $"{notOurs} weight '{tensor.Name}' holds {tensor.FloatData.Count} values, expected {count}.");
            }

            return [.. tensor.FloatData];
        }

        private static void CheckShape(ValueInfoProto value, string notOurs, params long[] trailing)
        {
            var tensor = value.Type?.TensorType;
            var dims = tensor?.Shape?.Dim;
            var expected = trailing.Length == 0 ? "float32 [N]" : $"float32 [N,{string.Join(",", trailing)}]";
            if (tensor is null || tensor.ElemType != (int)TensorProto.Types.DataType.Float || dims is null || dims.Count != trailing.Length + 1)
            {
                throw new FormatException($"{notOurs} '{value.Name}' should be {expected}.");
            }

            for (var i = 0; i < trailing.Length; i++)
            {
                if (dims[i + 1].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || dims[i + 1].DimValue != trailing[i])
                {
                    throw new FormatException($"{notOurs} '{value.Name}' should be {expected}.");
                }
            }
        }

        private static string Names(IEnumerable<string> names)
        {
            var list = names.ToList();
            return list.Count == 0 ? "none" : string.Join(", ", list);
        }
    }
}
