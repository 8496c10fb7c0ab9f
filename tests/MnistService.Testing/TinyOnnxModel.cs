using System.Text;

namespace MnistService.Testing;

/// <summary>
/// Small hand-written ONNX models that declare what the service expects (input "image" [N,784], output
/// "probabilities" [N,10]) and load in ONNX Runtime, but answer wrongly when they run: the files an
/// attacker or a broken exporter would drop into the models directory. Written as protobuf bytes directly
/// (ModelProto field numbers of onnx.proto), so the tests need no ONNX library.
/// </summary>
public static class TinyOnnxModel
{
    /// <summary>
    /// Gemm → Softmax → Reshape to [5,-1]: at run time the output is [5,2] for one image, not the declared
    /// [N,10], so every prediction through a pre-shaped output buffer fails.
    /// </summary>
    public static byte[] ReshapesWrongly => Build(bias: Enumerable.Range(0, 10).Select(i => i * 0.1f).ToArray(), softmax: true, reshapeTo: [5, -1]);

    /// <summary>Gemm with no Softmax: ten finite scores, each in [0,1], that do not sum to 1.</summary>
    public static byte[] AnswersScores => Build(bias: Enumerable.Range(1, 10).Select(i => 0.1f + i * 0.05f).ToArray(), softmax: false);

    /// <summary>A NaN bias: Softmax of NaN is NaN.</summary>
    public static byte[] AnswersNaN => Build(bias: Enumerable.Repeat(float.NaN, 10).ToArray(), softmax: true);

    /// <summary>A well-behaved tiny model (Gemm → Softmax), the control for the ones above.</summary>
    public static byte[] Valid => Build(bias: Enumerable.Range(0, 10).Select(i => i * 0.1f).ToArray(), softmax: true);

    private static byte[] Build(float[] bias, bool softmax, long[]? reshapeTo = null)
    {
        var graph = new List<byte>();
        var weights = new float[784 * 10];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = (i % 7 - 3) * 0.001f;
        }
        graph.AddRange(Field(5, Tensor("w", 1, [784, 10], FloatBytes(weights))));
        graph.AddRange(Field(5, Tensor("b", 1, [10], FloatBytes(bias))));
        var scores = softmax || reshapeTo is not null ? "scores" : "probabilities";
        graph.AddRange(Field(1, Node("Gemm", ["image", "w", "b"], scores)));
        var last = scores;
        if (softmax)
        {
            last = reshapeTo is null ? "probabilities" : "softmax";
            graph.AddRange(Field(1, Node("Softmax", [scores], last, Field(5, [.. Text(1, "axis"), .. Varint(3, 1), .. Varint(20, 2)]))));
        }
        if (reshapeTo is not null)
        {
            graph.AddRange(Field(5, Tensor("shape", 7, [reshapeTo.Length], reshapeTo.SelectMany(BitConverter.GetBytes).ToArray())));
            graph.AddRange(Field(1, Node("Reshape", [last, "shape"], "probabilities")));
        }
        graph.AddRange(Text(2, "tiny"));
        graph.AddRange(Field(11, Value("image", 784)));
        graph.AddRange(Field(12, Value("probabilities", 10)));

        return
        [
            .. Varint(1, 8), // ir_version
            .. Text(2, "tiny-onnx-model"), // producer_name
            .. Field(7, [.. graph]),
            .. Field(8, [.. Text(1, ""), .. Varint(2, 13)]), // opset_import: ai.onnx 13
        ];
    }

    private static byte[] Tensor(string name, int dataType, long[] dims, byte[] raw) =>
        [.. dims.SelectMany(d => Varint(1, d)), .. Varint(2, dataType), .. Text(8, name), .. Field(9, raw)];

    private static byte[] Node(string op, string[] inputs, string output, byte[]? attribute = null) =>
        [.. inputs.SelectMany(i => Text(1, i)), .. Text(2, output), .. Text(3, op.ToLowerInvariant()), .. Text(4, op), .. attribute ?? []];

    /// <summary>A float tensor [N, <paramref name="width"/>] graph input or output.</summary>
    private static byte[] Value(string name, long width)
    {
        byte[] shape = [.. Field(1, Text(2, "N")), .. Field(1, Varint(1, width))];
        byte[] tensorType = [.. Varint(1, 1), .. Field(2, shape)];
        return [.. Text(1, name), .. Field(2, Field(1, tensorType))];
    }

    private static byte[] FloatBytes(float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    private static byte[] Text(int field, string value) => Field(field, Encoding.UTF8.GetBytes(value));

    private static byte[] Field(int field, byte[] bytes) => [.. Tag(field, 2), .. VarintBytes((ulong)bytes.Length), .. bytes];

    private static byte[] Varint(int field, long value) => [.. Tag(field, 0), .. VarintBytes((ulong)value)];

    private static byte[] Tag(int field, int wireType) => VarintBytes((ulong)(field << 3 | wireType));

    private static byte[] VarintBytes(ulong value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }
        bytes.Add((byte)value);
        return [.. bytes];
    }
}
