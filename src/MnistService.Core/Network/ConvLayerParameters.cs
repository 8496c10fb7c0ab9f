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
    public float[] WeightsOutInRowColumn()
    {
        var onnx = new float[Weights.Length];
        for (var i = 0; i < Kernel; i++)
        {
            for (var j = 0; j < Kernel; j++)
            {
                for (var c = 0; c < InChannels; c++)
                {
                    for (var o = 0; o < OutChannels; o++)
                    {
                        onnx[((o * InChannels + c) * Kernel + i) * Kernel + j] = Weights[((i * Kernel + j) * InChannels + c) * OutChannels + o];
                    }
                }
            }
        }
        return onnx;
    }

    /// <summary>The parameters from weights stored as ONNX's Conv takes them, [out, in, k, k].</summary>
    public static ConvLayerParameters FromOutInRowColumn(int side, int inChannels, int outChannels, int kernel, float[] onnx, float[] bias)
    {
        var weights = new float[onnx.Length];
        for (var i = 0; i < kernel; i++)
        {
            for (var j = 0; j < kernel; j++)
            {
                for (var c = 0; c < inChannels; c++)
                {
                    for (var o = 0; o < outChannels; o++)
                    {
                        weights[((i * kernel + j) * inChannels + c) * outChannels + o] = onnx[((o * inChannels + c) * kernel + i) * kernel + j];
                    }
                }
            }
        }
        return new ConvLayerParameters(side, inChannels, outChannels, kernel, weights, bias);
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
