namespace MnistService.Core.Network;

/// <summary>
/// Fully connected layer y = x·W + b, with W stored [Inputs, Outputs] row-major as Keras stores it.
/// The activation is a separate layer; <see cref="Activation"/> only names it for export.
/// </summary>
public sealed class DenseLayer : Layer
{
    private readonly Gemm _gemm;

    public DenseLayer(int inputs, int outputs, string activation, int threads = 0, GemmPath? path = null)
        : base(inputs, outputs)
    {
        Weights = new float[inputs * outputs];
        Bias = new float[outputs];
        WeightGradient = new float[inputs * outputs];
        BiasGradient = new float[outputs];
        Activation = activation;
        _gemm = new Gemm(threads, path);
    }

    public float[] Weights { get; }
    public float[] Bias { get; }
    public float[] WeightGradient { get; }
    public float[] BiasGradient { get; }
    public string Activation { get; }
    public int ParameterCount => Weights.Length + Bias.Length;

    /// <summary>
    /// Glorot (Xavier) uniform, Keras's default kernel initializer: W ~ U(-l, l) with
    /// l = sqrt(6 / (fan_in + fan_out)), which keeps the activation variance about equal across layers.
    /// Biases start at zero (Keras's "zeros").
    /// </summary>
    public void InitializeGlorotUniform(Rng rng)
    {
        var limit = GlorotLimit(Inputs, Outputs);
        for (var i = 0; i < Weights.Length; i++)
        {
            Weights[i] = rng.NextFloat(-limit, limit);
        }

        Array.Clear(Bias);
    }

    public static float GlorotLimit(int fanIn, int fanOut) => MathF.Sqrt(6f / (fanIn + fanOut));

    /// <summary>y = x·W + b.</summary>
    public override void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, bool training) =>
        _gemm.Forward(x, Weights, Bias, y, rows, Inputs, Outputs);

    /// <summary>dW = xᵀ·dy, db = Σ_rows dy, dx = dy·Wᵀ.</summary>
    public override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows)
    {
        _gemm.WeightGradient(x, dy, WeightGradient, rows, Inputs, Outputs);
        // Summed row by row in order: a fixed order, so deterministic.
        Span<float> db = BiasGradient;
        db.Clear();
        for (var r = 0; r < rows; r++)
        {
            Elementwise.Add(db, dy.Slice(r * Outputs, Outputs));
        }

        if (!dx.IsEmpty)
        {
            _gemm.InputGradient(dy, Weights, dx, rows, Inputs, Outputs);
        }
    }
}
