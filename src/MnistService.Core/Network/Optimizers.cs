using System.Numerics;
using System.Runtime.InteropServices;

namespace MnistService.Core.Network;

/// <summary>A parameter buffer and the buffer its gradient is written to.</summary>
public readonly record struct ParameterBuffer(float[] Value, float[] Gradient);

/// <summary>
/// Updates parameters from their gradients, one <see cref="Step"/> per batch, as Keras's optimizers do.
/// The update is element-wise, so buffers are cut into fixed chunks updated in parallel: the result does
/// not depend on the thread count. State (momentum, moments) is allocated on the first step and reused.
/// </summary>
public abstract class Optimizer
{
    private const int ChunkSize = 16 * 1024; // a multiple of every vector width
    private readonly Action<int> _chunkBody;
    private ParallelOptions _parallel = new();
    private IReadOnlyList<ParameterBuffer>? _parameters;
    private (int Buffer, int Start, int Length)[] _chunks = [];

    protected Optimizer(double learningRate)
    {
        _chunkBody = UpdateChunk;
        LearningRate = learningRate;
    }

    /// <summary>The step size of the next <see cref="Step"/>; a learning-rate schedule changes it between steps.</summary>
    public double LearningRate { get; set; }

    /// <summary>Update steps taken so far (Keras's "iterations").</summary>
    public long Iterations { get; private set; }

    /// <summary>Worker threads; 0 = all cores. Does not change the result.</summary>
    public int Threads
    {
        get => _parallel.MaxDegreeOfParallelism is var t && t > 0 ? t : 0;
        set => _parallel = new ParallelOptions { MaxDegreeOfParallelism = value > 0 ? value : -1 };
    }

    public void Step(IReadOnlyList<ParameterBuffer> parameters)
    {
        Iterations++;
        BeginStep();
        if (!ReferenceEquals(parameters, _parameters))
        {
            Plan(parameters);
        }

        if (_chunks.Length == 1 || Threads == 1)
        {
            for (var c = 0; c < _chunks.Length; c++)
            {
                UpdateChunk(c);
            }
        }
        else
        {
            Parallel.For(0, _chunks.Length, _parallel, _chunkBody);
        }
    }

    private void Plan(IReadOnlyList<ParameterBuffer> parameters)
    {
        var chunks = new List<(int, int, int)>();
        for (var i = 0; i < parameters.Count; i++)
        {
            var n = parameters[i].Value.Length;
            if (parameters[i].Gradient.Length != n)
            {
                throw new ArgumentException($"Parameter buffer {i} holds {n} values but its gradient {parameters[i].Gradient.Length}.");
            }

            Allocate(i, n);
            for (var start = 0; start < n; start += ChunkSize)
            {
                chunks.Add((i, start, Math.Min(ChunkSize, n - start)));
            }
        }
        _chunks = chunks.ToArray();
        _parameters = parameters;
    }

    private void UpdateChunk(int c)
    {
        var (buffer, start, length) = _chunks[c];
        var p = _parameters![buffer];
        Update(buffer, p.Value.AsSpan(start, length), p.Gradient.AsSpan(start, length), start);
    }

    /// <summary>Called once per step before the updates (e.g. for Adam's bias corrections).</summary>
    protected virtual void BeginStep() { }

    /// <summary>Makes the state for buffer number <paramref name="index"/> (called once, before the first update).</summary>
    protected abstract void Allocate(int index, int length);

    /// <summary>Updates a chunk of buffer number <paramref name="index"/> starting at <paramref name="start"/>.</summary>
    protected abstract void Update(int index, Span<float> value, ReadOnlySpan<float> gradient, int start);

    protected static float[] State(List<float[]> states, int index, int length)
    {
        while (states.Count <= index)
        {
            states.Add([]);
        }

        if (states[index].Length != length)
        {
            states[index] = new float[length];
        }

        return states[index];
    }

    /// <param name="momentum">SGD only.</param>
    /// <param name="threads">Worker threads; 0 = all cores.</param>
    public static Optimizer Create(OptimizerKind kind, double learningRate, double momentum = 0, int threads = 0)
    {
        Optimizer optimizer = kind switch
        {
            OptimizerKind.Sgd => new SgdOptimizer(learningRate, momentum),
            OptimizerKind.RmsProp => new RmsPropOptimizer(learningRate),
            OptimizerKind.Adam => new AdamOptimizer(learningRate),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown optimizer."),
        };
        optimizer.Threads = threads;
        return optimizer;
    }
}

/// <summary>
/// Stochastic gradient descent, Keras's SGD: without momentum w ← w - lr·g;
/// with momentum v ← μ·v - lr·g, w ← w + v.
/// </summary>
public sealed class SgdOptimizer(double learningRate = 0.01, double momentum = 0) : Optimizer(learningRate)
{
    private readonly List<float[]> _velocity = [];
    public double Momentum { get; } = momentum;

    protected override void Allocate(int index, int length)
    {
        if (Momentum != 0)
        {
            State(_velocity, index, length);
        }
    }

    protected override void Update(int index, Span<float> w, ReadOnlySpan<float> g, int start)
    {
        float lr = (float)LearningRate, mu = (float)Momentum;
        if (mu == 0f)
        {
            for (var i = 0; i < w.Length; i++)
            {
                w[i] -= lr * g[i];
            }

            return;
        }
        var v = _velocity[index].AsSpan(start, w.Length);
        for (var i = 0; i < w.Length; i++)
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
public sealed class RmsPropOptimizer(double learningRate = 0.001, double rho = 0.9, double epsilon = 1e-7) : Optimizer(learningRate)
{
    private readonly List<float[]> _meanSquare = [];

    protected override void Allocate(int index, int length) => State(_meanSquare, index, length);

    protected override void Update(int index, Span<float> w, ReadOnlySpan<float> g, int start)
    {
        var s = _meanSquare[index].AsSpan(start, w.Length);
        var lr = new Vector<float>((float)LearningRate);
        var r = new Vector<float>((float)rho);
        var r1 = new Vector<float>((float)(1 - rho));
        var eps = new Vector<float>((float)epsilon);
        var vw = MemoryMarshal.Cast<float, Vector<float>>(w);
        var vg = MemoryMarshal.Cast<float, Vector<float>>(g);
        var vs = MemoryMarshal.Cast<float, Vector<float>>(s);
        for (var i = 0; i < vw.Length; i++)
        {
            vs[i] = r * vs[i] + r1 * (vg[i] * vg[i]);
            vw[i] -= lr * vg[i] / Vector.SquareRoot(vs[i] + eps);
        }
        for (var i = vw.Length * Vector<float>.Count; i < w.Length; i++)
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
public sealed class AdamOptimizer(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7) : Optimizer(learningRate)
{
    private readonly List<float[]> _m = [], _v = [];

    private float _alpha;

    protected override void Allocate(int index, int length)
    {
        State(_m, index, length);
        State(_v, index, length);
    }

    protected override void BeginStep()
    {
        var t = Iterations;
        _alpha = (float)(LearningRate * Math.Sqrt(1 - Math.Pow(beta2, t)) / (1 - Math.Pow(beta1, t)));
    }

    protected override void Update(int index, Span<float> w, ReadOnlySpan<float> g, int start)
    {
        Span<float> m = _m[index].AsSpan(start, w.Length), v = _v[index].AsSpan(start, w.Length);
        var alpha = _alpha;
        float b1 = (float)(1 - beta1), b2 = (float)(1 - beta2), eps = (float)epsilon;
        var va = new Vector<float>(alpha);
        var vb1 = new Vector<float>(b1);
        var vb2 = new Vector<float>(b2);
        var veps = new Vector<float>(eps);
        var vw = MemoryMarshal.Cast<float, Vector<float>>(w);
        var vg = MemoryMarshal.Cast<float, Vector<float>>(g);
        var vm = MemoryMarshal.Cast<float, Vector<float>>(m);
        var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
        for (var i = 0; i < vw.Length; i++)
        {
            var gi = vg[i];
            vm[i] += (gi - vm[i]) * vb1;
            vv[i] += (gi * gi - vv[i]) * vb2;
            vw[i] -= va * vm[i] / (Vector.SquareRoot(vv[i]) + veps);
        }
        for (var i = vw.Length * Vector<float>.Count; i < w.Length; i++)
        {
            var gi = g[i];
            m[i] += (gi - m[i]) * b1;
            v[i] += (gi * gi - v[i]) * b2;
            w[i] -= alpha * m[i] / (MathF.Sqrt(v[i]) + eps);
        }
    }
}
