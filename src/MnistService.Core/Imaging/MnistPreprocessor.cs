using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MnistService.Core.Imaging;

/// <summary>
/// Makes any picture of a digit look like an MNIST digit, the way LeCun, Cortes and Burges made
/// MNIST: grayscale, bright ink on black, the ink's bounding box scaled (anti-aliased, aspect ratio
/// kept) to fit a 20x20 box, placed in 28x28 so that its centre of mass is at the centre.
/// </summary>
public static partial class MnistPreprocessor
{
    public const int Side = 28;
    public const int Box = 20;
    /// <summary>Centre of mass target, in pixel-index coordinates (MNIST's digits average 14.0).</summary>
    private const double Centre = 14.0;
    /// <summary>Ink must stand out this much from the background (of 255) to count as a drawing.</summary>
    public const int MinContrast = 40;
    /// <summary>
    /// Ink weaker than this fraction of the strongest does not stretch the box that is scaled to 20x20:
    /// anti-aliased fringes, blur and JPEG ringing would otherwise make the digit too small (measured:
    /// 0 costs about 2 % accuracy on enlarged MNIST digits, 0.1-0.2 loses nothing).
    /// </summary>
    public const float BoxFraction = 0.2f;

    /// <summary>Writes the 784 network inputs (row-major, [0,1], ink bright) for <paramref name="image"/>.</summary>
    /// <exception cref="ImageRejectedException"><see cref="ImageRejection.Blank"/>: nothing stands out from the background.</exception>
    public static void Process(GrayImage image, Span<float> output) => Process(image, output, Vector256.IsHardwareAccelerated);

    /// <param name="vectorized">False forces the scalar code of every step written both ways (tests compare both; the
    /// results are identical). MinMax has only its portable-vector form.</param>
    internal static void Process(GrayImage image, Span<float> output, bool vectorized)
    {
        if (output.Length != Side * Side)
        {
            throw new ArgumentException("The output must hold 28x28 values.", nameof(output));
        }
        vectorized &= Vector256.IsHardwareAccelerated;
        int width = image.Width, height = image.Height;
        var gray = image.Gray;
        var ink = MeasureInk(image, vectorized);
        var (invert, background, threshold, contrast) = (ink.Flip != 0, ink.Background, ink.Threshold, ink.Contrast);

        var (left, top, right, bottom) = BoundingBox(gray, width, height, invert, threshold);
        var strong = background + (int)(BoxFraction * contrast);
        if (IsSpecksOnly(gray, width, height, invert, Math.Max(threshold, strong), (left, top, right, bottom)))
        {
            throw Blank();
        }
        var longest = Math.Max(right - left + 1, bottom - top + 1);
        var offsetTop = top;

        // An image that already is an MNIST digit goes through unchanged: rescaling or re-centring it
        // would move it by a fraction of a pixel and only blur it (MNIST itself is centred within a pixel).
        if (width == Side && height == Side && !invert && !image.HasAlpha && background == 0 && threshold == 0
            && Math.Abs(longest - Box) <= 1 && IsCentred(gray, width, ink))
        {
            for (var i = 0; i < output.Length; i++)
            {
                output[i] = gray[i] / 255f;
            }
            return;
        }

        // The box of the clear ink (never empty: the peak itself is 255) is scaled to fit 20x20;
        // within a pixel of that, scaling would only blur.
        (left, top, right, bottom) = BoundingBox(gray.Slice(top * width, (bottom - top + 1) * width), width, bottom - top + 1, invert, Math.Max(threshold, strong));
        (top, bottom) = (top + offsetTop, bottom + offsetTop);

        // A pen much thicker or thinner than MNIST's: its strokes brought to MNIST's width first, then scaled from there.
        using var strokes = NormaliseStrokes(gray, width, height, ink, (left, top, right, bottom), out var strokesBox);
        ReadOnlySpan<byte> source = gray;
        var sourceWidth = width;
        if (strokes is not null)
        {
            source = strokes.Levels;
            (sourceWidth, ink) = (strokes.Width, InkMap.Levels);
            (left, top, right, bottom) = strokesBox;
        }
        int boxWidth = right - left + 1, boxHeight = bottom - top + 1;
        longest = Math.Max(boxWidth, boxHeight);
        var scale = Math.Abs(longest - Box) <= 1 ? 1.0 : (double)Box / longest;
        var outWidth = Math.Min(Side, (int)Math.Ceiling(boxWidth * scale - 1e-9));
        var outHeight = Math.Min(Side, (int)Math.Ceiling(boxHeight * scale - 1e-9));
        Span<float> scaled = stackalloc float[outWidth * outHeight];
        Resample(source, sourceWidth, ink, left, top, boxWidth, boxHeight, scale, scaled, outWidth, outHeight, vectorized);

        // Centre of mass of the scaled digit, then an integer shift that brings it to the centre.
        double mass = 0, sumX = 0, sumY = 0;
        for (var y = 0; y < outHeight; y++)
        {
            for (var x = 0; x < outWidth; x++)
            {
                var m = scaled[y * outWidth + x];
                mass += m;
                sumX += m * x;
                sumY += m * y;
            }
        }
        if (mass <= 0)
        {
            throw Blank();
        }
        var offsetX = Math.Clamp((int)Math.Round(Centre - sumX / mass), 0, Side - outWidth);
        var offsetY = Math.Clamp((int)Math.Round(Centre - sumY / mass), 0, Side - outHeight);
        output.Clear();
        for (var y = 0; y < outHeight; y++)
        {
            for (var x = 0; x < outWidth; x++)
            {
                output[(offsetY + y) * Side + offsetX + x] = Math.Clamp(scaled[y * outWidth + x] / 255f, 0f, 1f);
            }
        }
    }

    /// <summary>
    /// How gray levels become ink in <paramref name="image"/>: transparency laid on a contrasting background (in place),
    /// then the border's level decides the polarity (ink must be bright) and its spread how much variation is noise
    /// (JPEG artefacts, paper texture) rather than ink.
    /// </summary>
    /// <exception cref="ImageRejectedException"><see cref="ImageRejection.Blank"/>: nothing stands out from the background.</exception>
    private static InkMap MeasureInk(GrayImage image, bool vectorized)
    {
        var gray = image.Gray;
        if (image.HasAlpha)
        {
            CompositeOntoBackground(gray, image.Alpha, vectorized);
        }
        var (median, spread) = BorderStatistics(gray, image.Width, image.Height, vectorized);
        var invert = median > 127;
        var background = invert ? 255 - median : median;
        var (darkest, brightest) = MinMax(gray);
        var peak = invert ? 255 - darkest : brightest;
        var contrast = peak - background;
        if (contrast < MinContrast)
        {
            throw Blank();
        }
        // From gray level to ink: background and noise become 0, the strongest ink 255.
        return new InkMap(invert, background, background + (int)Math.Ceiling(3 * spread), contrast);
    }

    /// <summary>
    /// Composites transparent pixels onto a background that contrasts with what was drawn: a canvas
    /// with black strokes on transparency becomes black on white, white strokes become white on black.
    /// </summary>
    private static unsafe void CompositeOntoBackground(Span<byte> gray, ReadOnlySpan<byte> alpha, bool vectorized)
    {
        var n = gray.Length;
        fixed (byte* g = gray)
        fixed (byte* a = alpha)
        {
            var (weighted, weight) = AlphaWeightedSums(g, a, n, vectorized);
            if (weight == 0)
            {
                throw Blank();
            }
            var background = weighted / weight < 128 ? 255 : 0;
            var j = 0;
            if (vectorized)
            {
                // 32 pixels at a time in 16-bit lanes: g*a + bg*(255 - a) <= 65025, then an exact x / 255 rounding.
                // Fully transparent blocks (most of a canvas) are just background, opaque ones stay as they are.
                var full = Vector256.Create((ushort)255);
                var bg = Vector256.Create((ushort)background);
                var half = Vector256.Create((ushort)128);
                for (; j + 32 <= n; j += 32)
                {
                    var opacity = Vector256.Load(a + j);
                    if (opacity == Vector256<byte>.Zero)
                    {
                        Vector256.Create((byte)background).Store(g + j);
                        continue;
                    }
                    if (opacity == Vector256<byte>.AllBitsSet)
                    {
                        continue;
                    }
                    var (g0, g1) = Vector256.Widen(Vector256.Load(g + j));
                    var (a0, a1) = Vector256.Widen(opacity);
                    var sum0 = g0 * a0 + bg * (full - a0) + half;
                    var sum1 = g1 * a1 + bg * (full - a1) + half;
                    Vector256.Narrow((sum0 + (sum0 >> 8)) >> 8, (sum1 + (sum1 >> 8)) >> 8).Store(g + j);
                }
            }
            for (; j < n; j++)
            {
                int opacity = a[j];
                var sum = g[j] * opacity + background * (255 - opacity) + 128;
                g[j] = (byte)((sum + (sum >> 8)) >> 8); // round(x / 255), exact for x <= 65025
            }
        }
    }

    /// <summary>Σ gray·alpha and Σ alpha: the alpha-weighted mean gray says what colour the strokes are.</summary>
    private static unsafe (long Weighted, long Weight) AlphaWeightedSums(byte* g, byte* a, int n, bool vectorized)
    {
        long weighted = 0, weight = 0;
        var i = 0;
        if (vectorized && Avx2.IsSupported)
        {
            while (n - i >= 32)
            {
                // 32-bit lanes gain at most 4·255² per step, so 8192 steps (256 Ki pixels) cannot overflow them.
                var end = i + Math.Min((n - i) / 32, 8192) * 32;
                var products = Vector256<int>.Zero;
                var opacities = Vector256<ulong>.Zero;
                for (; i < end; i += 32)
                {
                    var av = Vector256.Load(a + i);
                    if (av == Vector256<byte>.Zero)
                    {
                        continue; // transparent pixels weigh nothing
                    }
                    var gv = Vector256.Load(g + i);
                    // Bytes to 16 bits within each 128-bit lane (the order is irrelevant to a sum), then
                    // pmaddwd: g·a of two neighbours added into one 32-bit lane; psadbw: sums of 8 alphas.
                    var zero = Vector256<byte>.Zero;
                    products += Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(gv, zero).AsInt16(), Avx2.UnpackLow(av, zero).AsInt16())
                        + Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(gv, zero).AsInt16(), Avx2.UnpackHigh(av, zero).AsInt16());
                    opacities += Avx2.SumAbsoluteDifferences(av, zero).AsUInt64();
                }
                var (low, high) = Vector256.Widen(products.AsUInt32());
                weighted += (long)Vector256.Sum(low + high);
                weight += (long)Vector256.Sum(opacities);
            }
        }
        for (; i < n; i++)
        {
            weighted += g[i] * a[i];
            weight += a[i];
        }
        return (weighted, weight);
    }

    /// <summary>Median gray level of the border ring and a robust spread (1.4826 x median absolute deviation).</summary>
    private static (int Median, double Spread) BorderStatistics(ReadOnlySpan<byte> gray, int width, int height, bool vectorized)
    {
        var ring = Math.Max(1, Math.Min(width, height) / 40);
        Span<int> histogram = stackalloc int[256];
        // Four interleaved histograms: a uniform background would otherwise make every increment wait for the previous one.
        Span<int> partial = stackalloc int[4 * 256];
        var count = 0;
        for (var y = 0; y < height; y++)
        {
            var row = gray.Slice(y * width, width);
            if (y < ring || y >= height - ring || width <= 2 * ring)
            {
                Count(row, partial, vectorized);
                count += width;
            }
            else
            {
                Count(row[..ring], partial, vectorized);
                Count(row[(width - ring)..], partial, vectorized);
                count += 2 * ring;
            }
        }
        for (var v = 0; v < 256; v++)
        {
            histogram[v] = partial[v] + partial[256 + v] + partial[512 + v] + partial[768 + v];
        }
        var median = Percentile(histogram, count);
        Span<int> deviations = stackalloc int[256];
        for (var v = 0; v < 256; v++)
        {
            deviations[Math.Abs(v - median)] += histogram[v];
        }
        return (median, 1.4826 * Percentile(deviations, count));

        static void Count(ReadOnlySpan<byte> values, Span<int> histograms, bool vectorized)
        {
            if (vectorized && values.IndexOfAnyExcept(values[0]) < 0)
            {
                histograms[values[0]] += values.Length; // a clean background: one level throughout
                return;
            }
            var i = 0;
            if (vectorized)
            {
                // Runs of one level (a clean background) are counted 32 at a time.
                for (; i + 32 <= values.Length; i += 32)
                {
                    var block = Vector256.Create(values.Slice(i, 32));
                    if (block == Vector256.Create(values[i]))
                    {
                        histograms[values[i]] += 32;
                        continue;
                    }
                    for (var k = i; k < i + 32; k += 4)
                    {
                        histograms[values[k]]++;
                        histograms[256 + values[k + 1]]++;
                        histograms[512 + values[k + 2]]++;
                        histograms[768 + values[k + 3]]++;
                    }
                }
            }
            for (; i < values.Length; i++)
            {
                histograms[((i & 3) << 8) + values[i]]++;
            }
        }
    }

    private static int Percentile(ReadOnlySpan<int> histogram, int count)
    {
        var half = (count + 1) / 2;
        var seen = 0;
        for (var v = 0; v < histogram.Length; v++)
        {
            seen += histogram[v];
            if (seen >= half)
            {
                return v;
            }
        }
        return histogram.Length - 1;
    }

    /// <summary>The box of pixels whose ink level (gray, or 255 - gray when inverted) exceeds <paramref name="threshold"/>.</summary>
    private static (int Left, int Top, int Right, int Bottom) BoundingBox(ReadOnlySpan<byte> gray, int width, int height, bool invert, int threshold)
    {
        var (low, high) = InkRange(invert, threshold);
        if (threshold >= 255)
        {
            return (width, height, -1, -1);
        }
        int left = width, top = height, right = -1, bottom = -1;
        for (var y = 0; y < height; y++)
        {
            var row = gray.Slice(y * width, width);
            var first = row.IndexOfAnyInRange(low, high);
            if (first < 0)
            {
                continue;
            }
            var last = row.LastIndexOfAnyInRange(low, high);
            left = Math.Min(left, first);
            right = Math.Max(right, last);
            top = Math.Min(top, y);
            bottom = y;
        }
        return (left, top, right, bottom);
    }

    /// <summary>Ink levels above the threshold are a contiguous range of raw gray values: searched vectorised.</summary>
    private static (byte Low, byte High) InkRange(bool invert, int threshold) =>
        invert ? ((byte)0, (byte)Math.Max(0, 254 - threshold)) : ((byte)Math.Min(255, threshold + 1), (byte)255);

    private static (byte Min, byte Max) MinMax(ReadOnlySpan<byte> values)
    {
        var i = 0;
        byte min = 255, max = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated && values.Length >= System.Numerics.Vector<byte>.Count)
        {
            var vmin = new System.Numerics.Vector<byte>(255);
            var vmax = System.Numerics.Vector<byte>.Zero;
            for (; i + System.Numerics.Vector<byte>.Count <= values.Length; i += System.Numerics.Vector<byte>.Count)
            {
                var v = new System.Numerics.Vector<byte>(values[i..]);
                vmin = System.Numerics.Vector.Min(vmin, v);
                vmax = System.Numerics.Vector.Max(vmax, v);
            }
            for (var k = 0; k < System.Numerics.Vector<byte>.Count; k++)
            {
                min = Math.Min(min, vmin[k]);
                max = Math.Max(max, vmax[k]);
            }
        }
        for (; i < values.Length; i++)
        {
            min = Math.Min(min, values[i]);
            max = Math.Max(max, values[i]);
        }
        return (min, max);
    }

    private static bool IsCentred(ReadOnlySpan<byte> gray, int width, InkMap ink)
    {
        double mass = 0, sumX = 0, sumY = 0;
        for (var i = 0; i < gray.Length; i++)
        {
            var m = ink.Of(gray[i]);
            mass += m;
            sumX += m * (i % width);
            sumY += m * (i / width);
        }
        return Math.Abs(sumX / mass - Centre) <= 1 && Math.Abs(sumY / mass - Centre) <= 1;
    }
}
