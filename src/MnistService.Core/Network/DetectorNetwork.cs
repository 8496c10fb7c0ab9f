namespace MnistService.Core.Network;

/// <summary>
/// The digit detector: dense layers 784 → Hidden[0] (relu) → ... → Outputs (sigmoid), in one of two kinds.
/// <list type="bullet">
/// <item><see cref="DetectorKind.Autoencoder"/> (Outputs = 784) is trained to reproduce MNIST digits; it reproduces
/// digits well and other things less well: digit_score = -(1/784)·Σ (x̂ - x)².</item>
/// <item><see cref="DetectorKind.Discriminator"/> (Outputs = 1) is trained with binary cross-entropy to answer 1 for
/// digits and 0 for generated non-digits: digit_score = σ(z), the probability that the image is a digit. Several
/// trained discriminators make one network of Outputs = K (<see cref="Average"/>): their hidden layers side by side,
/// each output seeing only its own member's units, digit_score = (1/K)·Σ_k σ(z_k).</item>
/// </list>
/// Higher is more digit-like in both. Built from the same layers as <see cref="Mlp"/>, with the same explicit
/// forward and backward passes. Not thread-safe: one caller at a time.
/// </summary>
public sealed class DetectorNetwork : LayerStack
{
    private const int ScoreBatch = 256;

    /// <summary>A new detector with Glorot-uniform weights and zero biases drawn from <paramref name="seed"/>.</summary>
    public DetectorNetwork(DetectorKind kind, int inputs, IReadOnlyList<int> hidden, int seed, int threads = 0)
        : this(inputs, hidden, OutputsOf(kind, inputs), threads)
    {
        var init = new Rng(unchecked((ulong)(uint)seed ^ 0x4445544543544FUL));
        foreach (var d in _dense)
        {
            d.InitializeGlorotUniform(init);
        }
    }

    private DetectorNetwork(int inputs, IReadOnlyList<int> hidden, int outputs, int threads)
    {
        if (inputs < 1 || hidden.Count == 0 || hidden.Any(h => h < 1))
        {
            throw new ArgumentException($"A detector needs inputs and hidden widths of at least 1, got {inputs} and [{string.Join(", ", hidden)}].");
        }
        Inputs = inputs;
        Kind = outputs == inputs ? DetectorKind.Autoencoder : DetectorKind.Discriminator;
        Hidden = [.. hidden];
        var width = inputs;
        foreach (var h in hidden)
        {
            AddDense(new DenseLayer(width, h, "relu", threads));
            _layers.Add(new ReluLayer(h));
            width = h;
        }
        AddDense(new DenseLayer(width, outputs, "sigmoid", threads));
        _layers.Add(new SigmoidLayer(outputs));
    }

    private static int OutputsOf(DetectorKind kind, int inputs) => kind switch
    {
        DetectorKind.Autoencoder => inputs,
        DetectorKind.Discriminator => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a detector network."),
    };

    public DetectorKind Kind { get; }
    public int Inputs { get; }
    public IReadOnlyList<int> Hidden { get; }

    /// <summary>
    /// A detector from stored parameters: dense layers whose hidden ones use relu and whose last one uses sigmoid
    /// and gives one value (a discriminator) or as many as the first takes (an autoencoder).
    /// </summary>
    /// <exception cref="ArgumentException">The layers do not form such a network.</exception>
    public static DetectorNetwork FromParameters(IReadOnlyList<DenseLayerParameters> layers, int threads = 0)
    {
        if (layers.Count < 2)
        {
            throw new ArgumentException($"A detector needs at least two dense layers, got {layers.Count}.");
        }
        for (var i = 0; i < layers.Count; i++)
        {
            layers[i].Validate();
            var expected = i == layers.Count - 1 ? "sigmoid" : "relu";
            if (layers[i].Activation != expected)
            {
                throw new ArgumentException($"Detector layer {i} must use {expected}, not '{layers[i].Activation}'.");
            }
            if (i > 0 && layers[i].Inputs != layers[i - 1].Outputs)
            {
                throw new ArgumentException($"Detector layer {i} takes {layers[i].Inputs} inputs but layer {i - 1} gives {layers[i - 1].Outputs}.");
            }
        }
        if (layers[^1].Outputs > layers[0].Inputs)
        {
            throw new ArgumentException(
                $"A detector gives one score per discriminator (fewer than it takes) or back what it takes (an autoencoder, {layers[0].Inputs} values), not {layers[^1].Outputs} values.");
        }
        var network = new DetectorNetwork(layers[0].Inputs, layers.Take(layers.Count - 1).Select(l => l.Outputs).ToArray(), layers[^1].Outputs, threads);
        for (var i = 0; i < layers.Count; i++)
        {
            layers[i].Weights.CopyTo(network._dense[i].Weights, 0);
            layers[i].Bias.CopyTo(network._dense[i].Bias, 0);
        }
        return network;
    }

    /// <summary>
    /// The discriminators <paramref name="members"/> (one output each, the same hidden widths) as one network whose
    /// score is the mean of theirs: the first layer's units side by side (every member reads the image), every later
    /// layer block-diagonal (zeros between members), so one Gemm per layer computes them all.
    /// </summary>
    public static DetectorNetwork Average(IReadOnlyList<DetectorNetwork> members, int threads = 0)
    {
        if (members.Count == 0 || members.Any(m => m.Kind != DetectorKind.Discriminator || m.Outputs != 1 || !m.Hidden.SequenceEqual(members[0].Hidden)))
        {
            throw new ArgumentException("Only discriminators of one output and the same hidden widths average into one network.");
        }
        var k = members.Count;
        var parts = members.Select(m => m.GetParameters()).ToList();
        var layers = new List<DenseLayerParameters>();
        for (var i = 0; i < parts[0].Count; i++)
        {
            var (inputs, outputs) = (parts[0][i].Inputs, parts[0][i].Outputs);
            var wide = i == 0 ? inputs : inputs * k;
            var weights = new float[wide * outputs * k];
            var bias = new float[outputs * k];
            for (var m = 0; m < k; m++)
            {
                var part = parts[m][i];
                var row0 = i == 0 ? 0 : m * inputs; // W[r, c] at r·(K·outputs) + c; member m owns columns m·outputs...
                for (var r = 0; r < inputs; r++)
                {
                    part.Weights.AsSpan(r * outputs, outputs).CopyTo(weights.AsSpan((row0 + r) * outputs * k + m * outputs));
                }
                part.Bias.CopyTo(bias.AsSpan(m * outputs));
            }
            layers.Add(new DenseLayerParameters(wide, outputs * k, weights, bias, parts[0][i].Activation));
        }
        return FromParameters(layers, threads);
    }

    /// <summary>The output [rows, Outputs] of the batch <paramref name="x"/>: the reconstruction, or σ(z).</summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> x, int rows) => Forward(x, rows, training: true);

    /// <summary>
    /// The loss of the preceding <see cref="Forward"/>, summed over the rows (not averaged), and its backward pass
    /// through every layer, filling the parameter gradients.
    /// Autoencoder: L = (1/n)·Σ_j (x̂_j - x_j)² per row, dL/dx̂ = 2·(x̂ - x) / (n·rows), then through the sigmoid.
    /// Discriminator: L = -[y·log p + (1 - y)·log(1 - p)] per row (p clipped to [1e-7, 1 - 1e-7]); fused with the
    /// sigmoid, dL/dz = (p - y) / rows. <paramref name="digit"/> is y (1 digit, 0 not), unused by the autoencoder.
    /// </summary>
    public double Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> digit, int rows)
    {
        var output = _outputs[^1];
        var top = _layers.Count - 1;
        double sum = 0;
        if (Kind == DetectorKind.Autoencoder)
        {
            var n = Inputs;
            var dOut = _gradients[top];
            var scale = 2f / (n * rows);
            for (var i = 0; i < rows * n; i++)
            {
                var d = output[i] - x[i];
                sum += d * d;
                dOut[i] = scale * d;
            }
            sum /= n;
        }
        else
        {
            if (Outputs != 1)
            {
                throw new InvalidOperationException("An averaged discriminator scores; its members train one by one.");
            }
            top--; // the sigmoid is fused into the loss: start at the last dense layer
            var dz = _gradients[top];
            for (var r = 0; r < rows; r++)
            {
                var p = Math.Clamp(output[r], 1e-7f, 1 - 1e-7f);
                sum -= digit[r] > 0.5f ? Math.Log(p) : Math.Log(1 - p);
                dz[r] = (output[r] - digit[r]) / rows;
            }
        }
        for (var i = top; i >= 0; i--)
        {
            var input = i == 0 ? x : _outputs[i - 1];
            var dx = i == 0 ? Span<float>.Empty : _gradients[i - 1].AsSpan(0, rows * _layers[i].Inputs);
            _layers[i].Backward(input, _outputs[i], _gradients[i], dx, rows);
        }
        return sum;
    }

    /// <summary>digit_score of each of <paramref name="count"/> images into <paramref name="scores"/>: higher = more digit-like.</summary>
    public void Score(ReadOnlySpan<float> images, int count, Span<float> scores)
    {
        if (images.Length < count * Inputs || scores.Length < count)
        {
            throw new ArgumentException($"{count} images need {count * Inputs} values and {count} scores.");
        }
        EnsureCapacity(Math.Min(Math.Max(count, 1), Math.Max(ScoreBatch, _capacity)));
        for (var start = 0; start < count; start += _capacity)
        {
            var rows = Math.Min(_capacity, count - start);
            var x = images.Slice(start * Inputs, rows * Inputs);
            var output = Forward(x, rows);
            for (var r = 0; r < rows; r++)
            {
                scores[start + r] = Kind == DetectorKind.Discriminator
                    ? Mean(output.Slice(r * Outputs, Outputs))
                    : -MeanSquaredError(output.Slice(r * Inputs, Inputs), x.Slice(r * Inputs, Inputs));
            }
        }
    }

    private static float Mean(ReadOnlySpan<float> values)
    {
        var sum = 0f;
        foreach (var v in values)
        {
            sum += v;
        }
        return sum / values.Length;
    }

    private static float MeanSquaredError(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = 0f;
        for (var j = 0; j < a.Length; j++)
        {
            var d = a[j] - b[j];
            sum += d * d;
        }
        return sum / a.Length;
    }
}
