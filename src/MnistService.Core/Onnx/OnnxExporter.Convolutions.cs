using MnistService.Core.Network;

namespace MnistService.Core.Onnx;

/// <summary>The convolution blocks of a convolutional network: Conv → activation → MaxPool per block, in ONNX's NCHW.</summary>
public static partial class OnnxExporter
{
    /// <summary>
    /// The blocks' nodes from the image to the last pooling; returns the name of its output [N, C, s, s]. The network
    /// computes in height × width × channels; ONNX's Conv takes NCHW and weights [out, in, k, k], so the weights are
    /// reordered here and the first dense layer's rows by <see cref="ConvLayerParameters.DenseRowsChannelsFirst"/>.
    /// </summary>
    private static string AddConvolutions(GraphProto graph, IReadOnlyList<ConvLayerParameters> convolutions, string activation)
    {
        var x = OnnxModelFormat.InputName;
        for (var b = 0; b < convolutions.Count; b++)
        {
            var conv = convolutions[b];
            var name = $"conv_{b + 1}";
            string weight = $"{name}.weight", bias = $"{name}.bias", linear = $"{name}.linear", output = $"{name}.output", pooled = $"{name}.pooled";
            var (k, pad, side) = (conv.Kernel, conv.Kernel / 2, conv.Side);
            graph.Initializer.Add(FloatTensor(weight, conv.WeightsOutInRowColumn(), conv.OutChannels, conv.InChannels, k, k));
            graph.Initializer.Add(FloatTensor(bias, conv.Bias, conv.OutChannels));
            graph.Node.Add(Node("Conv", $"{name}.conv", [x, weight, bias], linear,
                IntsAttribute("kernel_shape", k, k), IntsAttribute("pads", pad, pad, pad, pad)));
            graph.Node.Add(Node(OnnxModelFormat.OperatorOf(activation), $"{name}.{activation}", [linear], output));
            graph.Node.Add(Node("MaxPool", $"{name}.pool", [output], pooled, IntsAttribute("kernel_shape", 2, 2), IntsAttribute("strides", 2, 2)));
            foreach (var (value, size) in new[] { (linear, side), (output, side), (pooled, side / 2) })
            {
                graph.ValueInfo.Add(TensorValue(value, Symbolic(OnnxModelFormat.BatchDimension), Fixed(conv.OutChannels), Fixed(size), Fixed(size)));
            }
            x = pooled;
        }
        return x;
    }

    /// <summary>Checks that the blocks follow one another from a 28×28 image; returns the values into the first dense layer.</summary>
    private static int ValidateConvolutions(IReadOnlyList<ConvLayerParameters> convolutions, ModelReport report)
    {
        var (side, channels) = (OnnxModelFormat.ImageWidth, 1);
        for (var b = 0; b < convolutions.Count; b++)
        {
            var conv = convolutions[b];
            try
            {
                conv.Validate();
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Convolution conv_{b + 1}: {e.Message}", nameof(convolutions), e);
            }
            if (conv.Side != side || conv.InChannels != channels)
            {
                throw new ArgumentException(
                    $"Convolution conv_{b + 1} reads {conv.Side}x{conv.Side}x{conv.InChannels}, but gets {side}x{side}x{channels}.", nameof(convolutions));
            }
            if (!AllFinite(conv.Weights) || !AllFinite(conv.Bias))
            {
                throw new ArgumentException($"Convolution conv_{b + 1} holds NaN or infinite parameters (did training diverge?).", nameof(convolutions));
            }
            (side, channels) = (side / 2, conv.OutChannels);
        }
        if (convolutions.Count > 0 && report.Detector is { Input: DetectorInput.Image })
        {
            // The graph has no flattened image to compare a reconstruction with: only a discriminator of dense_1.linear.
            throw new ArgumentException("A convolutional network's digit detector must read the classifier's first dense product, not the image.", nameof(report));
        }
        return side * side * channels;
    }

    private static AttributeProto IntsAttribute(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.Add(values);
        return attribute;
    }
}
