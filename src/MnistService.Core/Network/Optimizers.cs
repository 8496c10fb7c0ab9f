using System.Numerics;
using System.Runtime.InteropServices;

namespace MnistService.Core.Network;

/// <summary>A parameter buffer and the buffer its gradient is written to.</summary>
public readonly record struct ParameterBuffer(float[] Value, float[] Gradient);

/// <summary>
/// Updates parameters from their gradients, one <see cref="Step"/> per batch, as Keras's optimizers do.
/// State (momentum, moments) is allocated on the first step and reused after.
/// </summary>
public abstract class Optimizer
{
    /// <summary>Update steps taken so far (Keras's "iterations").</summary>
    public long Iterations { get; private set; }

    public void Step(IReadOnlyList<ParameterBuffer> parameters)
    {
        Iterations++;
        for (int i = 0; i < parameters.Count; i++) Update(i, parameters[i].Value, parameters[i].Gradient);
    }

    /// <summary>Updates buffer number <paramref name="index"/> (stable across steps).</summary>
    protected abstract void Update(int index, Span<float> value, ReadOnlySpan<float> gradient);

    protected static float[] State(List<float[]> states, int index, int length)
    {
        while (states.Count <= index) states.Add([]);
        if (states[index].Length != length) states[index] = new float[length];
        return states[index];
    }

    /// <param name="name">"adam", "sgd" or "rmsprop".</param>
    /// <param name="momentum">SGD only.</param>
    public static Optimizer Create(string name, double learningRate, double momentum = 0) => name switch
    {
        "sgd" => new SgdOptimizer(learningRate, momentum),
        "rmsprop" => new RmsPropOptimizer(learningRate),
        "adam" => new AdamOptimizer(learningRate),
        _ => throw new ArgumentException($"--optimizer must be adam, sgd or rmsprop, got '{name}'."),
    };
}

/// <summary>
/// Stochastic gradient descent, Keras's SGD: without momentum w ← w - lr·g;
/// with momentum v ← μ·v - lr·g, w ← w + v.
/// </summary>
public sealed class SgdOptimizer(double learningRate = 0.01, double momentum = 0) : Optimizer
{
    private readonly List<float[]> _velocity = [];
    public double LearningRate { get; } = learningRate;
    public double Momentum { get; } = momentum;

    protected override void Update(int index, Span<float> w, ReadOnlySpan<float> g)
    {
        float lr = (float)LearningRate, mu = (float)Momentum;
        if (mu == 0f)
        {
            for (int i = 0; i < w.Length; i++) w[i] -= lr * g[i];
            return;
        }
        float[] v = State(_velocity, index, w.Length);
        for (int i = 0; i < w.Length; i++)
        {
            v[i] = mu * v[i] - lr * g[i];
            w[i] += v[i];
        }
    }
}

/// <summary>
/// RMSProp as Keras (lr 0.001, rho 0.9, epsilon 1e-7): a running mean of squared gradients
/// s ← ρ·s + (1 - ρ)·g², then w ← w - lr·g / sqrt(s + ε) (Keras puts ε inside the root).
/// </summary>
public sealed class RmsPropOptimizer(double learningRate = 0.001, double rho = 0.9, double epsilon = 1e-7) : Optimizer
{
    private readonly List<float[]> _meanSquare = [];
    public double LearningRate { get; } = learningRate;

    protected override void Update(int index, Span<float> w, ReadOnlySpan<float> g)
    {
        float[] s = State(_meanSquare, index, w.Length);
        var lr = new Vector<float>((float)LearningRate);
        var r = new Vector<float>((float)rho);
        var r1 = new Vector<float>((float)(1 - rho));
        var eps = new Vector<float>((float)epsilon);
        var vw = MemoryMarshal.Cast<float, Vector<float>>(w);
        var vg = MemoryMarshal.Cast<float, Vector<float>>(g);
        var vs = MemoryMarshal.Cast<float, Vector<float>>(s.AsSpan());
        for (int i = 0; i < vw.Length; i++)
        {
            vs[i] = r * vs[i] + r1 * (vg[i] * vg[i]);
            vw[i] -= lr * vg[i] / Vector.SquareRoot(vs[i] + eps);
        }
        for (int i = vw.Length * Vector<float>.Count; i < w.Length; i++)
        {
            s[i] = r[0] * s[i] + r1[0] * (g[i] * g[i]);
            w[i] -= lr[0] * g[i] / MathF.Sqrt(s[i] + eps[0]);
        }
    }
}

/// <summary>
/// Adam (Kingma and Ba 2015) in Keras's formulation (lr 0.001, β1 0.9, β2 0.999, ε 1e-7), at step t:
/// m ← m + (g - m)·(1 - β1), v ← v + (g² - v)·(1 - β2),
/// α = lr·sqrt(1 - β2^t) / (1 - β1^t) (the bias corrections folded into the step size),
/// w ← w - α·m / (sqrt(v) + ε) (ε is the paper's "epsilon hat", outside the root and not bias-corrected).
/// </summary>
public sealed class AdamOptimizer(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7) : Optimizer
{
    private readonly List<float[]> _m = [], _v = [];
    public double LearningRate { get; } = learningRate;

    protected override void Update(int index, Span<float> w, ReadOnlySpan<float> g)
    {
        float[] m = State(_m, index, w.Length), v = State(_v, index, w.Length);
        long t = Iterations;
        float alpha = (float)(LearningRate * Math.Sqrt(1 - Math.Pow(beta2, t)) / (1 - Math.Pow(beta1, t)));
        float b1 = (float)(1 - beta1), b2 = (float)(1 - beta2), eps = (float)epsilon;
        var va = new Vector<float>(alpha);
        var vb1 = new Vector<float>(b1);
        var vb2 = new Vector<float>(b2);
        var veps = new Vector<float>(eps);
        var vw = MemoryMarshal.Cast<float, Vector<float>>(w);
        var vg = MemoryMarshal.Cast<float, Vector<float>>(g);
        var vm = MemoryMarshal.Cast<float, Vector<float>>(m.AsSpan());
        var vv = MemoryMarshal.Cast<float, Vector<float>>(v.AsSpan());
        for (int i = 0; i < vw.Length; i++)
        {
            Vector<float> gi = vg[i];
            vm[i] += (gi - vm[i]) * vb1;
            vv[i] += (gi * gi - vv[i]) * vb2;
            vw[i] -= va * vm[i] / (Vector.SquareRoot(vv[i]) + veps);
        }
        for (int i = vw.Length * Vector<float>.Count; i < w.Length; i++)
        {
            float gi = g[i];
            m[i] += (gi - m[i]) * b1;
            v[i] += (gi * gi - v[i]) * b2;
            w[i] -= alpha * m[i] / (MathF.Sqrt(v[i]) + eps);
        }
    }
}
