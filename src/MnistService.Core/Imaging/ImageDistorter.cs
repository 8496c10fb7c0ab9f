using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json.Serialization;
using MnistService.Core.Network;

namespace MnistService.Core.Imaging;

/// <summary>How training images are distorted: not at all, by a random affine map, or by one plus an elastic field.</summary>
[JsonConverter(typeof(ChoiceJsonConverter<AugmentKind>))]
public enum AugmentKind
{
    [JsonStringEnumMemberName("none")] None,
    [JsonStringEnumMemberName("affine")] Affine,
    /// <summary>The affine map plus Simard's smoothed random displacement field.</summary>
    [JsonStringEnumMemberName("elastic")] Elastic,
}

/// <summary>The ranges a distortion draws from, each uniformly.</summary>
/// <param name="Rotation">Degrees either way.</param>
/// <param name="Scale">Relative size change either way: 0.08 draws a factor in [0.92, 1.08].</param>
/// <param name="Shear">Degrees either way (horizontal shear).</param>
/// <param name="Shift">Pixels either way, horizontally and vertically.</param>
/// <param name="Thickness">Pixels either way by which every stroke is widened or narrowed on each side (a pen's width).</param>
/// <param name="ElasticSigma">Standard deviation, in pixels, of the Gaussian that smooths the displacement field.</param>
/// <param name="ElasticAlpha">Scale of the smoothed field, in pixels.</param>
public sealed record DistortionRanges(double Rotation, double Scale, double Shear, double Shift, double Thickness, double ElasticSigma, double ElasticAlpha);

/// <summary>
/// Distorts 28x28 training images afresh every epoch (Simard, Steinkraus and Platt 2003): the strokes are
/// widened or narrowed as by another pen (when a thickness range is given), then each output pixel p reads
/// the source at q = A⁻¹(p − c − t) + c (+ α·(G_σ * u)(p) for elastic), c the image centre, A = rotation ·
/// shear · scale, t the shift, u a field of uniform [−1, 1] displacements smoothed by a Gaussian G_σ;
/// bilinear resampling, zero outside the image.
/// <para>
/// Determinism: every image draws from its own stream, seeded from (seed, epoch, image index), so a distortion
/// depends on nothing else (not the batch, nor the place in it). The arithmetic uses exact IEEE operations
/// only (no fused multiply-add), so the 8-lane path and the scalar one give the same bits.
/// </para>
/// Not thread-safe: one caller at a time (it owns its scratch buffers). The trainer runs it on its batch maker's
/// thread, beside the matrix products' threads, so it has no threads of its own.
/// </summary>
public sealed partial class ImageDistorter
{
    public const int Side = 28;
    public const int Pixels = Side * Side;
    /// <summary>The padded source: one zero pixel before each row and column, and room after for clamped corners.</summary>
    private const int PadSide = 32;

    private static readonly float[] PixelX = [.. Enumerable.Range(0, Pixels).Select(i => (float)(i % Side))];
    private static readonly float[] PixelY = [.. Enumerable.Range(0, Pixels).Select(i => (float)(i / Side))];

    private readonly AugmentKind _kind;
    private readonly DistortionRanges _ranges;
    private readonly ulong _seed;
    private readonly Scratch _scratch = new();
    private readonly float[] _kernel;

    public ImageDistorter(AugmentKind kind, DistortionRanges ranges, int seed)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        if (kind == AugmentKind.None || !Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "A distorter needs affine or elastic.");
        }

        _kind = kind;
        _ranges = ranges;
        _seed = (ulong)(uint)seed;
        _kernel = kind == AugmentKind.Elastic ? GaussianKernel(ranges.ElasticSigma) : [];
    }

    /// <summary>
    /// Writes the distorted images <c>source[indices[start + r]]</c>, r = 0 … rows−1, to <paramref name="output"/>
    /// (row r at r·784), as epoch <paramref name="epoch"/> distorts them.
    /// </summary>
    /// <param name="source">count·784 pixels in [0, 1]; the output stays in [0, 1] (bilinear weights are convex).</param>
    public void Distort(float[] source, int[] indices, int start, int rows, float[] output, int epoch)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(output);
        if (start < 0 || rows < 0 || start + rows > indices.Length || output.Length < rows * Pixels)
        {
            throw new ArgumentException($"Rows {start}..{start + rows} of {indices.Length} indices into an output of {output.Length} values do not fit.");
        }

        for (var r = 0; r < rows; r++)
        {
            var index = indices[start + r];
            if ((uint)index >= (uint)(source.Length / Pixels))
            {
                throw new ArgumentOutOfRangeException(nameof(indices), index, "An image index lies outside the source.");
            }
            DistortOne(source.AsSpan(index * Pixels, Pixels), output.AsSpan(r * Pixels, Pixels), StreamFor(_seed, epoch, index), _scratch);
        }
    }

    /// <summary>The image's own stream: a function of (seed, epoch, index) alone.</summary>
    internal static Rng StreamFor(ulong seed, int epoch, int index) =>
        new(unchecked((seed << 32 | (uint)epoch) * 0xD1B54A32D192ED03UL ^ (ulong)(uint)index * 0x9E3779B97F4A7C15UL ^ 0x4449535452UL));

    private void DistortOne(ReadOnlySpan<float> image, Span<float> output, Rng rng, Scratch scratch)
    {
        var padded = scratch.Padded;
        for (var y = 0; y < Side; y++)
        {
            image.Slice(y * Side, Side).CopyTo(padded.AsSpan((y + 1) * PadSide + 1, Side));
        }

        var map = AffineMap.Draw(_ranges, rng);
        ChangeStrokeWidth(padded, (float)(_ranges.Thickness * (2.0 * rng.NextFloat() - 1.0)), scratch.Rows, scratch.Squares);
        var sx = scratch.SourceX;
        var sy = scratch.SourceY;
        map.Apply(PixelX, PixelY, sx, sy);
        if (_kind == AugmentKind.Elastic)
        {
            AddElasticField(sx, sy, rng, scratch);
        }
        Sample(padded, sx, sy, output);
    }

    /// <summary>
    /// out = (1−fy)·((1−fx)·s00 + fx·s01) + fy·((1−fx)·s10 + fx·s11) at each source point, clamped to [−1, 28]
    /// so that every corner lies in the padded image (whose border is zero).
    /// <para>
    /// Gathers are most of the cost. Eight points whose corners all lie outside the ink's bounding box read
    /// zeros, and the formula gives +0 there (its weights are ≥ 0): they are written as zeros without gathers
    /// (a digit's box is about 20x20 of the 28x28). The others gather each pair of horizontal neighbours as one
    /// 64-bit element: four gathers of four elements instead of four of eight. Measured on the EPYC, the
    /// 48,000 distortions of an epoch on one thread: 88-92 ms of CPU before either, 70 with the box, 48-50 with
    /// both; the values read and the arithmetic are unchanged, so are the bits.
    /// </para>
    /// </summary>
    internal static unsafe void Sample(float[] padded, ReadOnlySpan<float> sourceX, ReadOnlySpan<float> sourceY, Span<float> output)
    {
        var i = 0;
        fixed (float* p = padded)
        {
            if (Avx2.IsSupported)
            {
                var vx = MemoryMarshal.Cast<float, Vector256<float>>(sourceX);
                var vy = MemoryMarshal.Cast<float, Vector256<float>>(sourceY);
                var vo = MemoryMarshal.Cast<float, Vector256<float>>(output);
                Vector256<float> low = Vector256.Create(-1f), high = Vector256.Create((float)Side), one = Vector256<float>.One;
                var stride = Vector256.Create(PadSide);
                var origin = Vector256.Create(PadSide + 1);
                var pairOrder = Vector256.Create(0, 1, 4, 5, 2, 3, 6, 7);
                var d = (double*)p;
                // A point reads ink only if its corners x0, x0 + 1 and y0, y0 + 1 reach into the box.
                var (left, right, top, bottom) = InkBox(p);
                Vector256<float> minX = Vector256.Create(left - 1f), maxX = Vector256.Create((float)right);
                Vector256<float> minY = Vector256.Create(top - 1f), maxY = Vector256.Create((float)bottom);
                for (; i < vx.Length; i++)
                {
                    var x = Vector256.Min(Vector256.Max(vx[i], low), high);
                    var y = Vector256.Min(Vector256.Max(vy[i], low), high);
                    Vector256<float> x0 = Vector256.Floor(x), y0 = Vector256.Floor(y);
                    var blank = Vector256.LessThan(x0, minX) | Vector256.GreaterThan(x0, maxX) | Vector256.LessThan(y0, minY) | Vector256.GreaterThan(y0, maxY);
                    if (Vector256.EqualsAll(blank.AsInt32(), Vector256<int>.AllBitsSet))
                    {
                        vo[i] = Vector256<float>.Zero;
                        continue;
                    }
                    Vector256<float> fx = x - x0, fy = y - y0;
                    var index = Vector256.ConvertToInt32(y0) * stride + Vector256.ConvertToInt32(x0) + origin;
                    // Each corner pair (s00, s01) and (s10, s11) is adjacent: gathered as one 64-bit element,
                    // lanes 0, 1, 4, 5 into one vector and 2, 3, 6, 7 into the other, so that taking the even
                    // and odd floats of the two (a shuffle within 128-bit halves) puts lanes 0-7 in order.
                    var pairs = Avx2.PermuteVar8x32(index, pairOrder);
                    Vector128<int> lower = pairs.GetLower(), upper = pairs.GetUpper();
                    var top0 = Avx2.GatherVector256(d, lower, 4).AsSingle();
                    var top1 = Avx2.GatherVector256(d, upper, 4).AsSingle();
                    var bottom0 = Avx2.GatherVector256((double*)(p + PadSide), lower, 4).AsSingle();
                    var bottom1 = Avx2.GatherVector256((double*)(p + PadSide), upper, 4).AsSingle();
                    var s00 = Avx.Shuffle(top0, top1, 0b10_00_10_00);
                    var s01 = Avx.Shuffle(top0, top1, 0b11_01_11_01);
                    var s10 = Avx.Shuffle(bottom0, bottom1, 0b10_00_10_00);
                    var s11 = Avx.Shuffle(bottom0, bottom1, 0b11_01_11_01);
                    var gx = one - fx;
                    vo[i] = (one - fy) * (gx * s00 + fx * s01) + fy * (gx * s10 + fx * s11);
                }
                i *= Vector256<float>.Count;
            }
            for (; i < output.Length; i++)
            {
                var x = MathF.Min(MathF.Max(sourceX[i], -1f), Side);
                var y = MathF.Min(MathF.Max(sourceY[i], -1f), Side);
                float x0 = MathF.Floor(x), y0 = MathF.Floor(y);
                float fx = x - x0, fy = y - y0;
                var index = (int)y0 * PadSide + (int)x0 + PadSide + 1;
                var gx = 1f - fx;
                output[i] = (1f - fy) * (gx * p[index] + fx * p[index + 1]) + fy * (gx * p[index + PadSide] + fx * p[index + PadSide + 1]);
            }
        }
    }

    /// <summary>
    /// The smallest box, in image coordinates (0-27), holding every non-zero pixel of the padded image; with no
    /// ink at all, a box no point reaches. Reads the padded rows whole (their padding is zero): 32 bits a row.
    /// </summary>
    private static unsafe (int Left, int Right, int Top, int Bottom) InkBox(float* padded)
    {
        uint rows = 0;
        Vector256<uint> c0 = default, c1 = default, c2 = default, c3 = default;
        for (var y = 0; y < Side; y++)
        {
            var row = (uint*)(padded + (y + 1) * PadSide);
            Vector256<uint> v0 = Vector256.Load(row), v1 = Vector256.Load(row + 8), v2 = Vector256.Load(row + 16), v3 = Vector256.Load(row + 24);
            (c0, c1, c2, c3) = (c0 | v0, c1 | v1, c2 | v2, c3 | v3);
            if (!Vector256.EqualsAll(v0 | v1 | v2 | v3, Vector256<uint>.Zero))
            {
                rows |= 1u << y;
            }
        }
        if (rows == 0)
        {
            return (1000, -1000, 1000, -1000);
        }
        // Bit c of columns: padded column c (image column c − 1) holds ink somewhere.
        var zero = Vector256<uint>.Zero;
        var columns = ~(Vector256.Equals(c0, zero).ExtractMostSignificantBits() | Vector256.Equals(c1, zero).ExtractMostSignificantBits() << 8
            | Vector256.Equals(c2, zero).ExtractMostSignificantBits() << 16 | Vector256.Equals(c3, zero).ExtractMostSignificantBits() << 24);
        return (BitOperations.TrailingZeroCount(columns) - 1, 30 - BitOperations.LeadingZeroCount(columns),
            BitOperations.TrailingZeroCount(rows), 31 - BitOperations.LeadingZeroCount(rows));
    }

    /// <summary>Buffers: the padded source (its border stays zero), stroke-width passes, source coordinates, elastic fields.</summary>
    private sealed class Scratch
    {
        public readonly float[] Padded = new float[PadSide * PadSide];
        public readonly float[] Rows = new float[PadSide * PadSide], Squares = new float[PadSide * PadSide];
        public readonly float[] SourceX = new float[Pixels], SourceY = new float[Pixels];
        public readonly float[] Field = new float[Pixels], Smoothing = new float[Pixels];
    }
}
