namespace MnistService.Core.Network;

/// <summary>
/// Layers in a row with explicit forward and backward passes, and what they share: the activation and gradient
/// buffers for the batch size (no allocation per batch) and the dense layers' parameters, in a fixed order for the
/// optimizer. <see cref="Mlp"/> (the classifier) and <see cref="DetectorNetwork"/> are built on it.
/// Not thread-safe: one caller at a time.
/// </summary>
public abstract class LayerStack
{
    private protected readonly List<Layer> _layers = [];
    private protected readonly List<DenseLayer> _dense = [];
    private protected readonly List<Conv2dLayer> _convolutions = [];
    private readonly List<ParameterBuffer> _parameters = [];
    private protected float[][] _outputs = [], _gradients = [];
    private protected int _capacity;

    private protected void AddDense(DenseLayer d)
    {
        _layers.Add(d);
        _dense.Add(d);
        _parameters.Add(new ParameterBuffer(d.Weights, d.WeightGradient));
        _parameters.Add(new ParameterBuffer(d.Bias, d.BiasGradient));
    }

    private protected void AddConvolution(Conv2dLayer c)
    {
        _layers.Add(c);
        _convolutions.Add(c);
        _parameters.Add(new ParameterBuffer(c.Weights, c.WeightGradient));
        _parameters.Add(new ParameterBuffer(c.Bias, c.BiasGradient));
    }

    /// <summary>Values per row out of the last layer.</summary>
    public int Outputs => _layers[^1].Outputs;

    /// <summary>Trainable parameters: weights plus biases of every convolution and dense layer (235,146 for the tutorial's model).</summary>
    public int ParameterCount => _convolutions.Sum(c => c.ParameterCount) + _dense.Sum(d => d.ParameterCount);

    /// <summary>Every parameter buffer with its gradient buffer, in a fixed order (for the optimizer).</summary>
    public IReadOnlyList<ParameterBuffer> ParameterBuffers => _parameters;

    /// <summary>Copies of the dense layers' parameters (Keras layout), for export.</summary>
    public IReadOnlyList<DenseLayerParameters> GetParameters() =>
        _dense.Select(d => new DenseLayerParameters(d.Inputs, d.Outputs, (float[])d.Weights.Clone(), (float[])d.Bias.Clone(), d.Activation)).ToList();

    /// <summary>Copies of the convolutions' parameters, image side first, for export; empty for a multi-layer perceptron.</summary>
    public IReadOnlyList<ConvLayerParameters> GetConvolutions() =>
        _convolutions.Select(c => new ConvLayerParameters(c.Height, c.InChannels, c.OutChannels, c.Kernel, (float[])c.Weights.Clone(), (float[])c.Bias.Clone())).ToList();

    /// <summary>Copies every parameter into one flat buffer of <see cref="ParameterCount"/> floats.</summary>
    public void CopyParametersTo(Span<float> destination)
    {
        foreach (var p in _parameters)
        {
            p.Value.CopyTo(destination);
            destination = destination[p.Value.Length..];
        }
    }

    /// <summary>The inverse of <see cref="CopyParametersTo"/>.</summary>
    public void CopyParametersFrom(ReadOnlySpan<float> source)
    {
        foreach (var p in _parameters)
        {
            source[..p.Value.Length].CopyTo(p.Value);
            source = source[p.Value.Length..];
        }
    }

    /// <summary>Makes room for batches of up to <paramref name="rows"/> (allocates only when growing).</summary>
    public void EnsureCapacity(int rows)
    {
        if (rows <= _capacity)
        {
            return;
        }

        _outputs = _layers.Select(l => new float[rows * l.Outputs]).ToArray();
        _gradients = _layers.Select(l => new float[rows * l.Outputs]).ToArray();
        _capacity = rows;
    }

    /// <summary>Runs the batch through every layer; returns the last layer's output [rows, Outputs].</summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> x, int rows, bool training) => ForwardThrough(x, rows, training, _layers.Count - 1);

    /// <summary>Runs the batch through the layers up to <paramref name="last"/>; returns that layer's output.</summary>
    private protected ReadOnlySpan<float> ForwardThrough(ReadOnlySpan<float> x, int rows, bool training, int last)
    {
        if (rows > _capacity)
        {
            throw new InvalidOperationException($"Batch of {rows} exceeds the capacity {_capacity}; call EnsureCapacity first.");
        }

        var input = x;
        for (var i = 0; i <= last; i++)
        {
            _layers[i].Forward(input, _outputs[i], rows, training);
            input = _outputs[i];
        }
        return _outputs[last].AsSpan(0, rows * _layers[last].Outputs);
    }
}
