using MnistService.Core.Network;

namespace MnistService.Core.Onnx;

public static partial class OnnxModelReader
{
    internal static partial class GraphReader
    {
        /// <summary>
        /// The convolution blocks the exporter writes before Flatten (Conv → activation → MaxPool, from the image), from
        /// node <paramref name="next"/> on; their weights back in the network's layout. Leaves <paramref name="next"/> on
        /// the first node after them and returns, with the blocks, the tensor the last one writes (the image when none) and
        /// their activation (null when none).
        /// </summary>
        private static (List<ConvLayerParameters> Blocks, string Output, string? Activation) ReadConvolutions(Dictionary<string, TensorProto> initializers,
            IList<NodeProto> nodes, ref int next, string notOurs)
        {
            var blocks = new List<ConvLayerParameters>();
            var (x, side, channels) = (OnnxModelFormat.InputName, OnnxModelFormat.ImageWidth, 1);
            string? activationName = null;
            while (next + 2 < nodes.Count && nodes[next].OpType == "Conv")
            {
                var (conv, activation, pool) = (nodes[next], nodes[next + 1], nodes[next + 2]);
                Expect(conv, "Conv", x, notOurs);
                if (conv.Input.Count != 3)
                {
                    throw new FormatException($"{notOurs} Conv node '{conv.Name}' needs inputs x, W and b.");
                }
                var weight = Initializer(initializers, conv.Input[1], notOurs);
                if (weight.Dims.Count != 4 || weight.Dims[1] != channels || weight.Dims[2] != weight.Dims[3] || weight.Dims[2] % 2 == 0
                    || weight.Dims[0] is < 1 or > int.MaxValue)
                {
                    throw new FormatException(
                        $"{notOurs} weight '{weight.Name}' has shape [{string.Join(",", weight.Dims)}], expected [out, {channels}, k, k] with an odd k.");
                }
                var (outChannels, kernel) = ((int)weight.Dims[0], (int)weight.Dims[2]);
                var pad = kernel / 2;
                if (!Ints(conv, "kernel_shape").SequenceEqual([kernel, kernel]) || !Ints(conv, "pads").SequenceEqual([pad, pad, pad, pad])
                    || Ints(conv, "strides") is not ([] or [1, 1]) || Ints(conv, "dilations") is not ([] or [1, 1])
                    || IntAttribute(conv, "group", 1, notOurs) != 1)
                {
                    throw new FormatException($"{notOurs} Conv node '{conv.Name}' must be a {kernel}x{kernel} convolution padded by {pad}, stride 1.");
                }
                var bias = Initializer(initializers, conv.Input[2], notOurs);
                if (bias.Dims.Count != 1 || bias.Dims[0] != outChannels)
                {
                    throw new FormatException($"{notOurs} bias '{bias.Name}' has shape [{string.Join(",", bias.Dims)}], expected [{outChannels}].");
                }
                Expect(activation, activation.OpType, Output(conv, notOurs), notOurs);
                var name = OnnxModelFormat.ActivationOf(activation.OpType);
                if (name is null or "softmax" || (activationName is not null && name != activationName))
                {
                    throw new FormatException($"{notOurs} a convolution's activation must be Relu, Sigmoid or Tanh, the same for every block, found {activation.OpType}.");
                }
                Expect(pool, "MaxPool", Output(activation, notOurs), notOurs);
                if (!Ints(pool, "kernel_shape").SequenceEqual([2, 2]) || !Ints(pool, "strides").SequenceEqual([2, 2])
                    || Ints(pool, "pads").Any(p => p != 0) || pool.Output.Count != 1)
                {
                    throw new FormatException($"{notOurs} MaxPool node '{pool.Name}' must pool 2x2 blocks with stride 2, unpadded, into one output.");
                }
                var onnx = Floats(weight, (long)outChannels * channels * kernel * kernel, notOurs);
                blocks.Add(ConvLayerParameters.FromOutInRowColumn(side, channels, outChannels, kernel, onnx, Floats(bias, outChannels, notOurs)));
                (x, side, channels, activationName) = (pool.Output[0], side / 2, outChannels, name);
                next += 3;
                if (side < 2 && next < nodes.Count && nodes[next].OpType == "Conv")
                {
                    throw new FormatException($"{notOurs} more convolution blocks than the image can be halved.");
                }
            }
            return (blocks, x, activationName);
        }

        private static long[] Ints(NodeProto node, string name) =>
            node.Attribute.FirstOrDefault(a => a.Name == name) is { } attribute ? [.. attribute.Ints] : [];
    }
}
