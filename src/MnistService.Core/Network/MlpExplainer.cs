namespace MnistService.Core.Network;

/// <summary>What a network computed for one image, layer by layer, and where the image mattered.</summary>
/// <param name="Activations">Each hidden layer's output after its activation (which units fire).</param>
/// <param name="Logits">The output layer's scores before softmax, z = h·W + b.</param>
/// <param name="Probabilities">softmax(z).</param>
/// <param name="Digit">The most probable digit.</param>
/// <param name="Saliency">∂p_digit/∂x for each of the 784 input pixels.</param>
public sealed record Explanation(float[][] Activations, float[] Logits, float[] Probabilities, int Digit, float[] Saliency);

/// <summary>
/// Runs one image through a network made from stored parameters, keeping every layer's output, then
/// backpropagates the chosen class's probability to the pixels with the layers' own backward passes:
/// the softmax's Jacobian product with the one-hot dy = e_c gives ∂p_c/∂z_j = p_c(δ_cj − p_j), each
/// activation multiplies by its derivative, each dense layer gives dx = dy·Wᵀ. For an MLP that is exact and
/// costs a few forward passes (the dense layers' backward also fills their weight gradients, unused here).
/// Thread-safe: one explanation at a time, since the layers keep those gradient buffers.
/// </summary>
public sealed class MlpExplainer
{
    private readonly Mlp _network;
    private readonly Lock _lock = new();

    /// <exception cref="ArgumentException">The layers do not form a network <see cref="Mlp.FromParameters"/> runs.</exception>
    public MlpExplainer(IReadOnlyList<DenseLayerParameters> layers)
    {
        _network = Mlp.FromParameters(layers, threads: 1);
    }

    /// <param name="image">The network's input (784 values in [0, 1] for MNIST).</param>
    public Explanation Explain(ReadOnlySpan<float> image)
    {
        if (image.Length != _network.Inputs)
        {
            throw new ArgumentException($"Expected {_network.Inputs} inputs, got {image.Length}.", nameof(image));
        }

        var layers = _network.Layers;
        var outputs = layers.Select(l => new float[l.Outputs]).ToArray();
        var gradients = layers.Select(l => new float[l.Outputs]).ToArray();
        var saliency = new float[image.Length];
        lock (_lock)
        {
            var x = image;
            for (var i = 0; i < layers.Count; i++)
            {
                layers[i].Forward(x, outputs[i], 1, training: false);
                x = outputs[i];
            }

            var probabilities = outputs[^1];
            var digit = Training.Trainer.ArgMax(probabilities);
            gradients[^1][digit] = 1f; // dp_c/dp = e_c
            for (var i = layers.Count - 1; i >= 0; i--)
            {
                var input = i == 0 ? image : outputs[i - 1];
                var dx = i == 0 ? saliency : gradients[i - 1];
                layers[i].Backward(input, outputs[i], gradients[i], dx, 1);
            }

            // Hidden activations are the outputs of the activation layers between dense layers (not the softmax).
            var activations = layers.Select((layer, i) => (layer, i))
                .Where(p => p.i < layers.Count - 1 && p.layer is ReluLayer or SigmoidLayer or TanhLayer)
                .Select(p => outputs[p.i]).ToArray();
            return new Explanation(activations, outputs[^2], probabilities, digit, saliency);
        }
    }
}
