using System.Buffers;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MnistService.Core.Imaging;

// The scaling step of the preprocessing: gray levels to ink, and the ink box resampled to at most 20x20.
public static partial class MnistPreprocessor
{
    /// <summary>
    /// Gray level to ink, piecewise linear: level = gray (255 - gray when inverted); 0 up to the noise
    /// threshold, above it (level - background)·255/contrast, at most 255. Scalar and vector code
    /// compute it with the same float operations, so both give identical values.
    /// </summary>
    private readonly struct InkMap(bool invert, int background, int threshold, int contrast)
    {
        public readonly int Flip = invert ? 255 : 0; // 255 - v == v ^ 255 for a byte
        public readonly int Background = background;
        public readonly int Threshold = threshold;
        public readonly int Contrast = contrast;
        public readonly float Gain = 255f / contrast;

        /// <summary>The map of values that already are ink levels (0 background, 255 the strongest ink): the identity.</summary>
        public static InkMap Levels => new(false, 0, 0, 255);

        public float Of(byte value)
        {
            var level = value ^ Flip;
            return level <= Threshold ? 0f : Math.Min(255f, (level - Background) * Gain);
        }

        /// <summary>The ink level of each gray value, rounded to a byte: <c>levels[gray]</c>.</summary>
        public void Table(Span<byte> levels)
        {
            for (var v = 0; v < 256; v++)
            {
                levels[v] = (byte)MathF.Round(Of((byte)v));
            }
        }
    }

    /// <summary>
    /// Separable resampling of the box to <paramref name="outWidth"/> x <paramref name="outHeight"/>:
    /// area averaging when shrinking (each output pixel is the mean of the source area it covers, so
    /// edges come out anti-aliased), bilinear when enlarging. The vertical pass goes first, over whole
    /// box rows with vectors (each source pixel becomes ink once per output row it touches), so the
    /// horizontal pass only sees outHeight rows.
    /// </summary>
    private static unsafe void Resample(ReadOnlySpan<byte> gray, int width, InkMap ink, int left, int top,
        int boxWidth, int boxHeight, double scale, Span<float> output, int outWidth, int outHeight, bool vectorized)
    {
        var maxTaps = MaxTaps(scale); // about 820 at the default 16384-pixel side limit
        var weights = maxTaps <= 1024 ? stackalloc float[maxTaps] : new float[maxTaps];
        var columnsLength = outHeight * boxWidth;
        float[]? rented = null;
        var columns = columnsLength <= 8192
            ? stackalloc float[columnsLength]
            : (rented = ArrayPool<float>.Shared.Rent(columnsLength)).AsSpan(0, columnsLength);
        try
        {
            columns.Clear();
            // Vertical pass: outHeight rows of boxWidth values, each a weighted sum of source rows' ink.
            fixed (byte* pixels = gray)
            fixed (float* sums = columns)
            {
                for (var y = 0; y < outHeight; y++)
                {
                    var taps = Taps(y, boxHeight, scale, weights, out var start);
                    for (var k = 0; k < taps; k++)
                    {
                        AccumulateInk(pixels + (top + start + k) * width + left, sums + y * boxWidth, boxWidth, weights[k], ink, vectorized);
                    }
                }
            }
            // Horizontal pass.
            for (var x = 0; x < outWidth; x++)
            {
                var taps = Taps(x, boxWidth, scale, weights, out var start);
                for (var y = 0; y < outHeight; y++)
                {
                    var row = columns.Slice(y * boxWidth + start, taps);
                    float sum = 0;
                    for (var k = 0; k < taps; k++)
                    {
                        sum += row[k] * weights[k];
                    }
                    output[y * outWidth + x] = sum;
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    /// <summary>sums[x] += ink(source[x]) · weight for x below length.</summary>
    private static unsafe void AccumulateInk(byte* source, float* sums, int length, float weight, InkMap ink, bool vectorized)
    {
        var x = 0;
        if (vectorized && Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            var flip = Vector512.Create(ink.Flip);
            var threshold = Vector512.Create(ink.Threshold);
            var background = Vector512.Create(ink.Background);
            var gain = Vector512.Create(ink.Gain);
            var ceiling = Vector512.Create(255f);
            var w = Vector512.Create(weight);
            for (; x + 16 <= length; x += 16)
            {
                var level = Avx512F.ConvertToVector512Int32(Vector128.Load(source + x)) ^ flip;
                var value = Vector512.Min(Vector512.ConvertToSingle(level - background) * gain, ceiling);
                value &= Vector512.GreaterThan(level, threshold).AsSingle();
                (Vector512.Load(sums + x) + value * w).Store(sums + x);
            }
        }
        if (vectorized && Avx2.IsSupported)
        {
            var flip = Vector256.Create(ink.Flip);
            var threshold = Vector256.Create(ink.Threshold);
            var background = Vector256.Create(ink.Background);
            var gain = Vector256.Create(ink.Gain);
            var ceiling = Vector256.Create(255f);
            var w = Vector256.Create(weight);
            for (; x + 8 <= length; x += 8)
            {
                var level = Avx2.ConvertToVector256Int32(source + x) ^ flip;
                var value = Vector256.Min(Vector256.ConvertToSingle(level - background) * gain, ceiling);
                value &= Vector256.GreaterThan(level, threshold).AsSingle();
                (Vector256.Load(sums + x) + value * w).Store(sums + x);
            }
        }
        for (; x < length; x++)
        {
            sums[x] += ink.Of(source[x]) * weight;
        }
    }

    /// <summary>The most source pixels one output pixel reads: 1/scale + 2 when shrinking, 2 when enlarging.</summary>
    private static int MaxTaps(double scale) => scale < 1 ? (int)Math.Ceiling(1 / scale) + 2 : 2;

    /// <summary>
    /// The source pixels output pixel <paramref name="j"/> reads along one axis: from <paramref name="start"/>
    /// on, as many as returned, with their weights written to <paramref name="weights"/>.
    /// </summary>
    private static int Taps(int j, int sourceLength, double scale, Span<float> weights, out int start)
    {
        if (scale <= 1)
        {
            // Output pixel j covers the source interval [j/s, (j+1)/s); each source pixel weighs its overlap times s.
            var from = j / scale;
            var to = Math.Min((j + 1) / scale, sourceLength);
            start = (int)Math.Floor(from);
            var end = Math.Min(sourceLength, (int)Math.Ceiling(to));
            if (end <= start)
            {
                start = Math.Min(start, sourceLength - 1);
                weights[0] = 0;
                return 1;
            }
            for (var i = start; i < end; i++)
            {
                weights[i - start] = (float)((Math.Min(i + 1, to) - Math.Max(i, from)) * scale);
            }
            return end - start;
        }
        // Bilinear: pixel centres line up, output centre j + 1/2 maps to source centre (j + 1/2)/s; outside is background.
        var u = (j + 0.5) / scale - 0.5;
        var i0 = (int)Math.Floor(u);
        var f = (float)(u - i0);
        var w0 = i0 >= 0 && i0 < sourceLength ? 1 - f : 0;
        var w1 = i0 + 1 >= 0 && i0 + 1 < sourceLength ? f : 0;
        if (i0 < 0)
        {
            (start, weights[0]) = (0, w1);
            return 1;
        }
        if (i0 + 1 >= sourceLength)
        {
            (start, weights[0]) = (Math.Min(i0, sourceLength - 1), w0);
            return 1;
        }
        (start, weights[0], weights[1]) = (i0, w0, w1);
        return 2;
    }
}
