namespace MnistService.Core.Network;

/// <summary>
/// The trained parameters of one dense layer, y = activation(x·W + b), in the layout Keras uses:
/// <see cref="Weights"/> is [Inputs, Outputs] row-major, so ONNX <c>Gemm</c> takes it with transB = 0.
/// This is how the network hands its weights to the ONNX exporter and gets them back from a model file.
/// </summary>
/// <param name="Activation">"relu", "sigmoid", "tanh" or "softmax" (the output layer).</param>
public sealed record DenseLayerParameters(int Inputs, int Outputs, float[] Weights, float[] Bias, string Activation)
{
    public int ParameterCount => Weights.Length + Bias.Length;

    /// <exception cref="ArgumentException">The buffers do not match the declared shape.</exception>
    public void Validate()
    {
        if (Inputs <= 0 || Outputs <= 0)
        {
            throw new ArgumentException($"A dense layer needs positive sizes, got {Inputs}x{Outputs}.");
        }

        if (Weights.Length != Inputs * Outputs)
        {
            throw new ArgumentException($"Weights hold {Weights.Length} values, expected {Inputs}x{Outputs} = {Inputs * Outputs}.");
        }

        if (Bias.Length != Outputs)
        {
            throw new ArgumentException($"Bias holds {Bias.Length} values, expected {Outputs}.");
        }
    }
}
