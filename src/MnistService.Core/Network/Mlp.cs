namespace MnistService.Core.Network;

/// <summary>
/// The multi-layer perceptron: a stack of <see cref="Layer"/>s with explicit forward and backward passes,
/// [Dense → activation (→ dropout after the first)] per hidden size, then Dense → softmax.
/// It owns the activation and gradient buffers for its batch size (no allocation per batch).
/// Not thread-safe: one caller at a time.
/// </summary>
public sealed class Mlp : LayerStack
{
    /// <summary>Rows per internal batch of <see cref="Predict"/>.</summary>
    private const int PredictBatch = 256;


    /// <summary>A new network with Glorot-uniform weights and zero biases drawn from <paramref name="seed"/>.</summary>
    /// <param name="threads">Threads for the matrix products; 0 = all cores. Does not change any result.</param>
    public Mlp(MlpSpec spec, int seed, int threads = 0, GemmPath? path = null)
        : this(spec, threads, path, new Rng(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + 1)))
    {
        var init = new Rng((ulong)(uint)seed);
        foreach (var c in _convolutions)
        {
            c.InitializeGlorotUniform(init);
        }
        foreach (var d in _dense)
        {
            d.InitializeGlorotUniform(init);
        }
    }

    private Mlp(MlpSpec spec, int threads, GemmPath? path, Rng dropoutRng)
    {
        spec.Validate();
        Spec = spec;
        var width = spec.Inputs;
        var (side, channels) = (spec.ImageSide, 1);
        foreach (var c in spec.Convolutions)
        {
            AddConvolution(new Conv2dLayer(side, side, channels, c, MlpSpec.KernelSize, threads, path));
            _layers.Add(ActivationLayer(spec.Activation, side * side * c));
            _layers.Add(new MaxPool2dLayer(side, side, c));
            (side, channels) = (side / 2, c);
            width = side * side * channels;
        }
        for (var i = 0; i < spec.Hidden.Count; i++)
        {
            var h = spec.Hidden[i];
            AddDense(new DenseLayer(width, h, ChoiceNames.Of(spec.Activation), threads, path));
            _layers.Add(ActivationLayer(spec.Activation, h));
            if (i == 0 && spec.Dropout > 0)
            {
                _layers.Add(new DropoutLayer(h, spec.Dropout, dropoutRng));
            }

            width = h;
        }
        AddDense(new DenseLayer(width, spec.Outputs, "softmax", threads, path));
        _layers.Add(new SoftmaxLayer(spec.Outputs));
    }

    private static Layer ActivationLayer(ActivationKind activation, int width) => activation switch
    {
        ActivationKind.Relu => new ReluLayer(width),
        ActivationKind.Sigmoid => new SigmoidLayer(width),
        ActivationKind.Tanh => new TanhLayer(width),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown hidden-layer activation."),
    };

    public MlpSpec Spec { get; }
    public int Inputs => Spec.Inputs;
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>
    /// A network for inference from stored parameters (e.g. a loaded model): consecutive dense layers,
    /// hidden ones with one shared activation, the last one "softmax", after the <paramref name="convolutions"/>
    /// (5×5, from a 28×28 image) when given. Dropout is not needed for inference.
    /// </summary>
    /// <exception cref="ArgumentException">The layers do not form such a network.</exception>
    public static Mlp FromParameters(IReadOnlyList<DenseLayerParameters> layers, int threads = 0, IReadOnlyList<ConvLayerParameters>? convolutions = null)
    {
        convolutions ??= [];
        if (layers.Count < 2)
        {
            throw new ArgumentException($"A model needs at least two dense layers, got {layers.Count}.");
        }

        for (var i = 0; i < layers.Count; i++)
        {
            layers[i].Validate();
            if (i > 0 && layers[i].Inputs != layers[i - 1].Outputs)
            {
                throw new ArgumentException($"Dense layer {i} takes {layers[i].Inputs} inputs but layer {i - 1} gives {layers[i - 1].Outputs}.");
            }
        }
        if (layers[^1].Activation != "softmax")
        {
            throw new ArgumentException($"The last layer must use softmax, got '{layers[^1].Activation}'.");
        }

        var activation = layers[0].Activation;
        for (var i = 0; i < layers.Count - 1; i++)
        {
            if (layers[i].Activation != activation)
            {
                throw new ArgumentException($"All hidden layers must share one activation; layer 0 uses '{activation}', layer {i} '{layers[i].Activation}'.");
            }
        }

        if (!ChoiceNames.TryParse(activation, out ActivationKind kind))
        {
            throw new ArgumentException(
                $"Unknown hidden-layer activation '{activation}'; expected {string.Join(", ", ChoiceNames.All<ActivationKind>())}.");
        }
        var spec = new MlpSpec(convolutions.Count == 0 ? layers[0].Inputs : convolutions[0].Side * convolutions[0].Side,
            layers.Take(layers.Count - 1).Select(l => l.Outputs).ToArray(), kind, 0, layers[^1].Outputs, [.. convolutions.Select(c => c.OutChannels)]);
        var mlp = new Mlp(spec, threads, null, new Rng(0));
        for (var i = 0; i < convolutions.Count; i++)
        {
            var (stored, layer) = (convolutions[i], mlp._convolutions[i]);
            stored.Validate();
            if (stored.Side != layer.Height || stored.InChannels != layer.InChannels || stored.Kernel != layer.Kernel)
            {
                throw new ArgumentException(
                    $"Convolution {i} reads {stored.Side}x{stored.Side}x{stored.InChannels} with a {stored.Kernel}x{stored.Kernel} kernel, expected {layer.Height}x{layer.Width}x{layer.InChannels} and {layer.Kernel}x{layer.Kernel}.");
            }
            stored.Weights.CopyTo(layer.Weights, 0);
            stored.Bias.CopyTo(layer.Bias, 0);
        }
        mlp.SetParameters(layers);
        return mlp;
    }

    /// <summary>Overwrites the weights and biases with copies of <paramref name="layers"/> (same shapes).</summary>
    public void SetParameters(IReadOnlyList<DenseLayerParameters> layers)
    {
        if (layers.Count != _dense.Count)
        {
            throw new ArgumentException($"Expected {_dense.Count} dense layers, got {layers.Count}.");
        }

        for (var i = 0; i < layers.Count; i++)
        {
            var d = _dense[i];
            if (layers[i].Inputs != d.Inputs || layers[i].Outputs != d.Outputs)
            {
                throw new ArgumentException($"Layer {i} is {layers[i].Inputs}x{layers[i].Outputs}, expected {d.Inputs}x{d.Outputs}.");
            }

            layers[i].Validate();
            layers[i].Weights.CopyTo(d.Weights, 0);
            layers[i].Bias.CopyTo(d.Bias, 0);
        }
    }

    /// <summary>
    /// Class probabilities for <paramref name="count"/> images (row-major [count, Inputs], pixels in [0, 1])
    /// into <paramref name="probabilities"/> ([count, Outputs]). Inference: dropout is off.
    /// </summary>
    public void Predict(ReadOnlySpan<float> images, int count, Span<float> probabilities) =>
        InferInto(images, count, probabilities, _layers.Count - 1, nameof(probabilities));

    /// <summary>Units of the first dense layer: the values of <see cref="FirstDenseProduct"/> per image.</summary>
    public int FirstDenseWidth => _dense[0].Outputs;

    /// <summary>
    /// The first dense layer's product x·W₁ + b₁ (before its activation, after any convolution blocks) for
    /// <paramref name="count"/> images into <paramref name="products"/> ([count, <see cref="FirstDenseWidth"/>]): what the
    /// model file's graph names <c>dense_1.linear</c>, which a discriminator reads. Inference: dropout is off.
    /// </summary>
    public void FirstDenseProduct(ReadOnlySpan<float> images, int count, Span<float> products) =>
        InferInto(images, count, products, _layers.IndexOf(_dense[0]), nameof(products));

    /// <summary>The output of layer <paramref name="last"/> for each image, in batches of the buffers' capacity.</summary>
    private void InferInto(ReadOnlySpan<float> images, int count, Span<float> destination, int last, string destinationName)
    {
        if (count < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "The count cannot be negative.");
        }

        if (images.Length < count * Inputs)
        {
            throw new ArgumentException($"{count} images need {count * Inputs} values, got {images.Length}.", nameof(images));
        }

        var width = _layers[last].Outputs;
        if (destination.Length < count * width)
        {
            throw new ArgumentException($"{count} images give {count * width} values, got room for {destination.Length}.", destinationName);
        }

        EnsureCapacity(Math.Min(Math.Max(count, 1), Math.Max(PredictBatch, _capacity)));
        for (var start = 0; start < count; start += _capacity)
        {
            var rows = Math.Min(_capacity, count - start);
            var output = ForwardThrough(images.Slice(start * Inputs, rows * Inputs), rows, training: false, last);
            output.CopyTo(destination.Slice(start * width, rows * width));
        }
    }

    /// <summary>
    /// Backpropagates from dL/dz (the gradient at the softmax's input, from <see cref="Loss.Gradient"/>)
    /// through the layers below the softmax, filling every dense layer's gradients.
    /// <paramref name="x"/> must be the batch of the preceding training <see cref="Forward"/>.
    /// </summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> logitGradient, int rows)
    {
        var last = _layers.Count - 2; // the output dense layer; the softmax is fused into the loss
        logitGradient[..(rows * Outputs)].CopyTo(_gradients[last]);
        for (var i = last; i >= 0; i--)
        {
            var input = i == 0 ? x : _outputs[i - 1];
            // The first layer's input gradient is never needed (it would be dL/d(pixels)).
            var dx = i == 0 ? Span<float>.Empty : _gradients[i - 1].AsSpan(0, rows * _layers[i].Inputs);
            _layers[i].Backward(input, _outputs[i], _gradients[i], dx, rows);
        }
    }
}
