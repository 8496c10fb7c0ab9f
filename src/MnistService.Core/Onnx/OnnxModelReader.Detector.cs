using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Google.Protobuf;
using MnistService.Core.Network;

namespace MnistService.Core.Onnx;

// The digit detector's nodes after the classifier's.
public static partial class OnnxModelReader
{
    internal static partial class GraphReader
    {
        /// <summary>
        /// The nodes after the classifier, from <paramref name="first"/> on: the detector's Gemm + Relu pairs and its
        /// Gemm + Sigmoid on the flattened image (<paramref name="image"/>) or on the classifier's first product x·W₁ + b₁
        /// (<paramref name="classifierProduct"/>, <paramref name="classifierWidth"/> values), then ReduceMean (axis 1) into digit_score for a discriminator, or
        /// Sub, Mul, ReduceMean and Neg for an autoencoder.
        /// Null when there are none.
        /// </summary>
        private static (List<DenseLayerParameters> Layers, DetectorInput Input)? ReadDetector(Dictionary<string, TensorProto> initializers,
            IList<NodeProto> nodes, int first, string image, string classifierProduct, int classifierWidth, string notOurs)
        {
            if (first == nodes.Count)
            {
                return null;
            }
            var reads = nodes[first].Input.Count > 0 && nodes[first].Input[0] == classifierProduct ? DetectorInput.Classifier : DetectorInput.Image;
            var input = reads == DetectorInput.Classifier ? classifierProduct : image;
            var layers = new List<DenseLayerParameters>();
            var x = input;
            var n = first;
            while (n + 1 < nodes.Count && nodes[n].OpType == "Gemm")
            {
                var layer = ReadDense(initializers, nodes[n], nodes[n + 1], x, layers.Count > 0 ? layers[^1].Outputs : reads == DetectorInput.Classifier ? classifierWidth : OnnxModelFormat.InputFeatures, notOurs);
                layers.Add(layer);
                x = Output(nodes[n + 1], notOurs);
                n += 2;
            }
            try
            {
                DetectorNetwork.FromParameters(layers);
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"{notOurs} its detector is not a detector network of its input: {e.Message}", e);
            }
            var tail = nodes.Skip(n).ToList();
            var discriminator = layers[^1].Outputs != OnnxModelFormat.InputFeatures;
            string[] expected = discriminator ? ["ReduceMean"] : ["Sub", "Mul", "ReduceMean", "Neg"];
            if (!tail.Select(d => d.OpType).SequenceEqual(expected))
            {
                throw new FormatException($"{notOurs} its detector should end in {string.Join(", ", expected)}, found {Names(tail.Select(d => d.OpType))}.");
            }
            var mean = tail[discriminator ? 0 : 2];
            if (!discriminator)
            {
                var (sub, mul) = (tail[0], tail[1]);
                Expect(sub, "Sub", x, notOurs);
                if (sub.Input.Count != 2 || sub.Input[1] != input)
                {
                    throw new FormatException($"{notOurs} its detector must compare the reconstruction with the image ('{input}').");
                }
                Expect(mul, "Mul", Output(sub, notOurs), notOurs);
                if (mul.Input.Count != 2 || mul.Input[1] != Output(sub, notOurs))
                {
                    throw new FormatException($"{notOurs} its detector must square the reconstruction error.");
                }
                x = Output(mul, notOurs);
            }
            Expect(mean, "ReduceMean", x, notOurs);
            var axes = mean.Attribute.FirstOrDefault(a => a.Name == "axes");
            if (axes is null || axes.Ints.Count != 1 || axes.Ints[0] is not (1 or -1) || IntAttribute(mean, "keepdims", 1, notOurs) != 0)
            {
                throw new FormatException($"{notOurs} its detector must reduce over axis 1 (ReduceMean, axes [1], keepdims 0).");
            }
            var last = tail[^1];
            if (!discriminator)
            {
                Expect(last, "Neg", Output(mean, notOurs), notOurs);
            }
            if (Output(last, notOurs) != OnnxModelFormat.DigitScoreName)
            {
                throw new FormatException($"{notOurs} its detector writes '{Output(last, notOurs)}', not '{OnnxModelFormat.DigitScoreName}'.");
            }
            return (layers, reads);
        }
    }
}
