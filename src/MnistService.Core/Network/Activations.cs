using System.Numerics;
using System.Runtime.InteropServices;

namespace MnistService.Core.Network;

/// <summary>ReLU: y = max(0, x); dy/dx = 1 for x &gt; 0, else 0 (as Keras, 0 at x = 0).</summary>
public sealed class ReluLayer(int width) : Layer(width, width)
{
    public override void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, bool training)
    {
        var n = rows * Inputs;
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x[..n]);
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y[..n]);
        for (var i = 0; i < vx.Length; i++)
        {
            vy[i] = Vector.Max(vx[i], Vector<float>.Zero);
        }

        for (var i = vx.Length * Vector<float>.Count; i < n; i++)
        {
            y[i] = MathF.Max(x[i], 0f);
        }
    }

    public override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows)
    {
        var n = rows * Inputs;
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x[..n]);
        var vdy = MemoryMarshal.Cast<float, Vector<float>>(dy[..n]);
        var vdx = MemoryMarshal.Cast<float, Vector<float>>(dx[..n]);
        for (var i = 0; i < vx.Length; i++)
        {
            vdx[i] = Vector.ConditionalSelect(Vector.GreaterThan(vx[i], Vector<float>.Zero), vdy[i], Vector<float>.Zero);
        }

        for (var i = vx.Length * Vector<float>.Count; i < n; i++)
        {
            dx[i] = x[i] > 0f ? dy[i] : 0f;
        }
    }
}

/// <summary>Logistic sigmoid: y = 1 / (1 + e^-x); dy/dx = y·(1 - y).</summary>
public sealed class SigmoidLayer(int width) : Layer(width, width)
{
    public override void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, bool training)
    {
        for (var i = 0; i < rows * Inputs; i++)
        {
            y[i] = 1f / (1f + MathF.Exp(-x[i]));
        }
    }

    public override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows)
    {
        for (var i = 0; i < rows * Inputs; i++)
        {
            dx[i] = dy[i] * y[i] * (1f - y[i]);
        }
    }
}

/// <summary>Hyperbolic tangent: y = tanh(x); dy/dx = 1 - y².</summary>
public sealed class TanhLayer(int width) : Layer(width, width)
{
    public override void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, bool training)
    {
        for (var i = 0; i < rows * Inputs; i++)
        {
            y[i] = MathF.Tanh(x[i]);
        }
    }

    public override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows)
    {
        for (var i = 0; i < rows * Inputs; i++)
        {
            dx[i] = dy[i] * (1f - y[i] * y[i]);
        }
    }
}

/// <summary>
/// Softmax over each row: y_j = e^(x_j - max x) / Σ_k e^(x_k - max x) (shifting by the max avoids overflow).
/// Backward is the full Jacobian product dx_j = y_j·(dy_j - Σ_k dy_k·y_k); with cross-entropy the loss
/// skips it and uses the fused gradient p - y instead.
/// </summary>
public sealed class SoftmaxLayer(int width) : Layer(width, width)
{
    public override void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, bool training)
    {
        var n = Inputs;
        for (var r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * n, n);
            var yr = y.Slice(r * n, n);
            var max = float.NegativeInfinity;
            for (var j = 0; j < n; j++)
            {
                max = MathF.Max(max, xr[j]);
            }

            var sum = 0f;
            for (var j = 0; j < n; j++)
            {
                sum += yr[j] = MathF.Exp(xr[j] - max);
            }

            var inv = 1f / sum;
            for (var j = 0; j < n; j++)
            {
                yr[j] *= inv;
            }
        }
    }

    public override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows) =>
        JacobianProduct(y, dy, dx, rows, Inputs);

    /// <summary>dx = y ⊙ (dy - (dy·y)), row by row.</summary>
    public static void JacobianProduct(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows, int width)
    {
        for (var r = 0; r < rows; r++)
        {
            var o = r * width;
            var dot = 0f;
            for (var j = 0; j < width; j++)
            {
                dot += dy[o + j] * y[o + j];
            }

            for (var j = 0; j < width; j++)
            {
                dx[o + j] = y[o + j] * (dy[o + j] - dot);
            }
        }
    }
}

/// <summary>
/// Inverted dropout (as Keras): while training, each value is kept with probability 1 - rate and scaled
/// by 1 / (1 - rate), so the expected output equals the input and inference needs no rescaling.
/// At inference it is the identity. The mask comes from a seeded <see cref="Rng"/>.
/// </summary>
public sealed class DropoutLayer : Layer
{
    private readonly Rng _rng;
    private float[] _mask = [];
    private uint[] _random = [];

    public DropoutLayer(int width, double rate, Rng rng) : base(width, width)
    {
        if (rate is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The dropout rate must be in [0, 1).");
        }

        Rate = rate;
        _rng = rng;
    }

    public double Rate { get; }

    /// <summary>The scale of the last training forward pass per value: 0 (dropped) or 1 / (1 - rate).</summary>
    internal ReadOnlySpan<float> Mask => _mask;

    public override void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, bool training)
    {
        var n = rows * Inputs;
        if (!training || Rate == 0)
        {
            x[..n].CopyTo(y);
            return;
        }
        if (_mask.Length < n) // grows once to the batch size, then reused
        {
            _mask = new float[n];
            _random = new uint[n];
        }
        // Keep a value when a uniform 32-bit word u < (1 - rate)·2³², i.e. with probability 1 - rate.
        var threshold = (uint)Math.Min(uint.MaxValue, Math.Round((1 - Rate) * 4294967296.0));
        var scale = (float)(1 / (1 - Rate));
        var u = _random.AsSpan(0, n);
        _rng.NextUInt32s(u);
        var vu = MemoryMarshal.Cast<uint, Vector<uint>>(u);
        var vm = MemoryMarshal.Cast<float, Vector<float>>(_mask.AsSpan(0, n));
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x[..n]);
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y[..n]);
        var vt = new Vector<uint>(threshold);
        var vs = new Vector<float>(scale);
        for (var i = 0; i < vu.Length; i++)
        {
            vm[i] = Vector.ConditionalSelect(Vector.AsVectorInt32(Vector.LessThan(vu[i], vt)), vs, Vector<float>.Zero);
            vy[i] = vx[i] * vm[i];
        }
        for (var i = vu.Length * Vector<uint>.Count; i < n; i++)
        {
            _mask[i] = u[i] < threshold ? scale : 0f;
            y[i] = x[i] * _mask[i];
        }
    }

    /// <summary>dx = dy ⊙ mask (the same values that were kept and scaled).</summary>
    public override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows)
    {
        var n = rows * Inputs;
        if (Rate == 0)
        {
            dy[..n].CopyTo(dx);
            return;
        }
        for (var i = 0; i < n; i++)
        {
            dx[i] = dy[i] * _mask[i];
        }
    }
}
