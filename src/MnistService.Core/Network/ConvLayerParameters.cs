namespace MnistService.Core.Network;

/// <summary>
/// The trained parameters of one convolution block's convolution (<see cref="Conv2dLayer"/>), on square images of
/// <see cref="Side"/> pixels: <see cref="Weights"/> is [k·k·InChannels, OutChannels] row-major, row (i·k + j)·InChannels + c
/// for kernel offset (i, j) and input channel c, as the layer computes with it.
/// </summary>
public sealed record ConvLayerParameters(int Side, int InChannels, int OutChannels, int Kernel, float[] Weights, float[] Bias)
{
    public int ParameterCount => Weights.Length + Bias.Length;

    /// <summary>Values out of the block, after its 2×2 pooling: (Side / 2)² · OutChannels.</summary>
    public int PooledOutputs => Side / 2 * (Side / 2) * OutChannels;

    /// <summary>The weights as ONNX's Conv takes them: [OutChannels, InChannels, k, k].</summary>
    public float[] WeightsOutInRowColumn() => Reorder(Weights, Kernel, InChannels, OutChannels, toOnnx: true);

    /// <summary>The parameters from weights stored as ONNX's Conv takes them, [out, in, k, k].</summary>
    public static ConvLayerParameters FromOutInRowColumn(int side, int inChannels, int outChannels, int kernel, float[] onnx, float[] bias) =>
        new(side, inChannels, outChannels, kernel, Reorder(onnx, kernel, inChannels, outChannels, toOnnx: false), bias);

    /// <summary>Between the network's [k·k·in, out] (index ((i·k + j)·in + c)·out + o) and ONNX's [out, in, k, k].</summary>
    private static float[] Reorder(float[] weights, int kernel, int inChannels, int outChannels, bool toOnnx)
    {
        var reordered = new float[weights.Length];
        for (var i = 0; i < kernel; i++)
        {
            for (var j = 0; j < kernel; j++)
            {
                for (var c = 0; c < inChannels; c++)
                {
                    for (var o = 0; o < outChannels; o++)
                    {
                        var (network, onnx) = (((i * kernel + j) * inChannels + c) * outChannels + o, ((o * inChannels + c) * kernel + i) * kernel + j);
                        reordered[toOnnx ? onnx : network] = weights[toOnnx ? network : onnx];
                    }
                }
            }
        }
        return reordered;
    }

    /// <summary>
    /// The weights of the dense layer after this block, with their rows moved from the network's flattening of the pooled
    /// [s, s, C] (row p·C + c) to ONNX's flattening of [C, s, s] (row c·s² + p); <paramref name="back"/> moves them back.
    /// </summary>
    public float[] DenseRowsChannelsFirst(float[] weights, bool back = false)
    {
        var (area, channels) = (Side / 2 * (Side / 2), OutChannels);
        var outputs = weights.Length / (area * channels);
        var reordered = new float[weights.Length];
        for (var p = 0; p < area; p++)
        {
            for (var c = 0; c < channels; c++)
            {
                var (network, onnx) = ((p * channels + c) * outputs, (c * area + p) * outputs);
                weights.AsSpan(back ? onnx : network, outputs).CopyTo(reordered.AsSpan(back ? network : onnx, outputs));
            }
        }
        return reordered;
    }

    /// <exception cref="ArgumentException">The buffers do not match the declared shape.</exception>
    public void Validate()
    {
        if (Side < 2 || InChannels < 1 || OutChannels < 1 || Kernel < 1 || Kernel % 2 == 0)
        {
            throw new ArgumentException($"A convolution needs an image of 2 pixels or more, channels and an odd kernel, got {Side}x{Side}x{InChannels} -> {OutChannels}, {Kernel}x{Kernel}.");
        }
        if (Weights.Length != Kernel * Kernel * InChannels * OutChannels || Bias.Length != OutChannels)
        {
            throw new ArgumentException($"Weights hold {Weights.Length} values and bias {Bias.Length}, expected {Kernel * Kernel * InChannels * OutChannels} and {OutChannels}.");
        }
    }
}
