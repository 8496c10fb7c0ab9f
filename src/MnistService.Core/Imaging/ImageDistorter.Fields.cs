using System.Numerics;
using System.Runtime.InteropServices;
using MnistService.Core.Network;

namespace MnistService.Core.Imaging;

public sealed partial class ImageDistorter
{
    /// <summary>Row stride of the smoothing buffers: 28 pixels and 4 zeros, a whole number of vectors of 8 or 16.</summary>
    private const int FieldStride = 32;

    /// <summary>
    /// The inverse map from an output pixel to its source point, q = A⁻¹(p − c − t) + c with A = s·R(θ)·Sh(φ):
    /// q_x = a·x + b·y + c, q_y = d·x + e·y + f.
    /// </summary>
    internal readonly record struct AffineMap(float A, float B, float C, float D, float E, float F)
    {
        private const double Centre = (Side - 1) / 2.0;

        /// <summary>Draws rotation, scale, shear and the two shifts, in that order, always five numbers.</summary>
        public static AffineMap Draw(DistortionRanges ranges, Rng rng)
        {
            var angle = Uniform(rng, ranges.Rotation) * Math.PI / 180;
            var scale = 1 + Uniform(rng, ranges.Scale);
            var shear = Math.Tan(Uniform(rng, ranges.Shear) * Math.PI / 180);
            double tx = Uniform(rng, ranges.Shift), ty = Uniform(rng, ranges.Shift);

            // R·Sh = [[cos, cos·k − sin], [sin, sin·k + cos]] has determinant 1, so its inverse is its adjugate.
            double cos = Math.Cos(angle), sin = Math.Sin(angle);
            double a = (sin * shear + cos) / scale, b = -(cos * shear - sin) / scale;
            double d = -sin / scale, e = cos / scale;
            double ox = Centre + tx, oy = Centre + ty;
            return new AffineMap((float)a, (float)b, (float)(Centre - a * ox - b * oy),
                (float)d, (float)e, (float)(Centre - d * ox - e * oy));
        }

        /// <summary>Uniform in [−range, range].</summary>
        private static double Uniform(Rng rng, double range) => range * (2.0 * rng.NextFloat() - 1.0);

        public void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> sourceX, Span<float> sourceY)
        {
            var i = 0;
            var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
            var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
            var vsx = MemoryMarshal.Cast<float, Vector<float>>(sourceX);
            var vsy = MemoryMarshal.Cast<float, Vector<float>>(sourceY);
            for (; i < vx.Length; i++)
            {
                vsx[i] = vx[i] * A + vy[i] * B + new Vector<float>(C);
                vsy[i] = vx[i] * D + vy[i] * E + new Vector<float>(F);
            }
            for (i *= Vector<float>.Count; i < x.Length; i++)
            {
                sourceX[i] = x[i] * A + y[i] * B + C;
                sourceY[i] = x[i] * D + y[i] * E + F;
            }
        }
    }

    /// <summary>q += α·(G_σ * u) for two fields u of uniform [−1, 1] values, the Gaussian applied separably with zero outside.</summary>
    private void AddElasticField(Span<float> sourceX, Span<float> sourceY, Rng rng, Scratch scratch)
    {
        AddField(sourceX);
        AddField(sourceY);

        void AddField(Span<float> source)
        {
            var field = scratch.Field;
            for (var i = 0; i < Pixels; i++)
            {
                field[i] = 2f * rng.NextFloat() - 1f;
            }
            Smooth(field, scratch.Smoothing, _kernel);
            var alpha = (float)_ranges.ElasticAlpha;
            for (var i = 0; i < Pixels; i++)
            {
                source[i] += alpha * field[i];
            }
        }
    }

    /// <summary>The normalised Gaussian exp(−t²/2σ²) for t = −r … r, r = ⌈3σ⌉.</summary>
    internal static float[] GaussianKernel(double sigma)
    {
        var radius = (int)Math.Ceiling(3 * sigma);
        var weights = Enumerable.Range(-radius, 2 * radius + 1).Select(t => Math.Exp(-t * t / (2 * sigma * sigma))).ToArray();
        var sum = weights.Sum();
        return [.. weights.Select(w => (float)(w / sum))];
    }

    /// <summary>field ← G * field (28x28, zero outside): a horizontal pass, then a vertical one into <paramref name="work"/>, copied back.</summary>
    internal static void Smooth(Span<float> field, Span<float> work, float[] kernel)
    {
        var radius = kernel.Length / 2;
        Span<float> line = stackalloc float[FieldStride + 2 * radius];
        Span<float> horizontal = stackalloc float[Side * FieldStride];
        Span<float> sum = stackalloc float[FieldStride];
        for (var y = 0; y < Side; y++)
        {
            line.Clear();
            field.Slice(y * Side, Side).CopyTo(line[radius..]);
            sum.Clear();
            for (var t = 0; t < kernel.Length; t++)
            {
                AddScaled(sum, line.Slice(t, FieldStride), kernel[t]);
            }
            sum.CopyTo(horizontal.Slice(y * FieldStride, FieldStride));
        }
        for (var y = 0; y < Side; y++)
        {
            sum.Clear();
            for (var t = Math.Max(0, radius - y); t < kernel.Length && y + t - radius < Side; t++)
            {
                AddScaled(sum, horizontal.Slice((y + t - radius) * FieldStride, FieldStride), kernel[t]);
            }
            sum[..Side].CopyTo(work.Slice(y * Side, Side));
        }
        work[..Pixels].CopyTo(field);
    }

    /// <summary>sum += weight·values, FieldStride values (a whole number of vectors).</summary>
    private static void AddScaled(Span<float> sum, ReadOnlySpan<float> values, float weight)
    {
        var vs = MemoryMarshal.Cast<float, Vector<float>>(sum);
        var vv = MemoryMarshal.Cast<float, Vector<float>>(values);
        for (var i = 0; i < vs.Length; i++)
        {
            vs[i] += vv[i] * weight;
        }
    }
}
