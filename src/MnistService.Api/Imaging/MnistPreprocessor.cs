using System.Buffers;
using System.Runtime.Intrinsics;
using MnistService.Api.Errors;

namespace MnistService.Api.Imaging;

/// <summary>
/// Makes any picture of a digit look like an MNIST digit, the way LeCun, Cortes and Burges made
/// MNIST: grayscale, bright ink on black, the ink's bounding box scaled (anti-aliased, aspect ratio
/// kept) to fit a 20x20 box, placed in 28x28 so that its centre of mass is at the centre.
/// </summary>
public static class MnistPreprocessor
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
    /// <exception cref="EmptyImageException">Nothing stands out from the background.</exception>
    public static void Process(GrayImage image, Span<float> output)
    {
        if (output.Length != Side * Side)
        {
            throw new ArgumentException("The output must hold 28x28 values.", nameof(output));
        }
        int width = image.Width, height = image.Height;
        var gray = image.Gray;
        if (image.HasAlpha)
        {
            CompositeOntoBackground(gray, image.Alpha);
        }

        // The background is what fills the border; its level decides the polarity (ink must be bright),
        // its spread how much variation is noise (JPEG artefacts, paper texture) rather than ink.
        var (median, spread) = BorderStatistics(gray, width, height);
        var invert = median > 127;
        var background = invert ? 255 - median : median;
        Span<float> ink = stackalloc float[256];
        var (darkest, brightest) = MinMax(gray);
        var peak = invert ? 255 - darkest : brightest;
        var contrast = peak - background;
        if (contrast < MinContrast)
        {
            throw new EmptyImageException(
                $"No digit found: nothing in the image stands out from its background (contrast {contrast} of 255, at least {MinContrast} needed).");
        }
        // A lookup table from gray level to ink: background and noise become 0, the strongest ink 255.
        var threshold = background + (int)Math.Ceiling(3 * spread);
        for (var v = 0; v < 256; v++)
        {
            var level = invert ? 255 - v : v;
            ink[v] = level <= threshold ? 0f : Math.Min(255f, (level - background) * 255f / contrast);
        }

        var (left, top, right, bottom) = BoundingBox(gray, width, height, invert, threshold);
        if (right < left)
        {
            throw new EmptyImageException("No digit found: the image holds only background.");
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
        var strong = background + (int)(BoxFraction * contrast);
        (left, top, right, bottom) = BoundingBox(gray.Slice(top * width, (bottom - top + 1) * width), width, bottom - top + 1, invert, Math.Max(threshold, strong));
        (top, bottom) = (top + offsetTop, bottom + offsetTop);
        int boxWidth = right - left + 1, boxHeight = bottom - top + 1;
        longest = Math.Max(boxWidth, boxHeight);
        var scale = Math.Abs(longest - Box) <= 1 ? 1.0 : (double)Box / longest;
        var outWidth = Math.Min(Side, (int)Math.Ceiling(boxWidth * scale - 1e-9));
        var outHeight = Math.Min(Side, (int)Math.Ceiling(boxHeight * scale - 1e-9));
        Span<float> scaled = stackalloc float[outWidth * outHeight];
        Resample(gray, width, ink, left, top, boxWidth, boxHeight, scale, scaled, outWidth, outHeight);

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
            throw new EmptyImageException("No digit found: the ink vanished when scaled to 20x20.");
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
    /// Composites transparent pixels onto a background that contrasts with what was drawn: a canvas
    /// with black strokes on transparency becomes black on white, white strokes become white on black.
    /// </summary>
    private static unsafe void CompositeOntoBackground(Span<byte> gray, ReadOnlySpan<byte> alpha)
    {
        long weighted = 0, weight = 0;
        var n = gray.Length;
        fixed (byte* g = gray)
        fixed (byte* a = alpha)
        {
            for (var i = 0; i < n; i++)
            {
                weighted += g[i] * a[i];
                weight += a[i];
            }
            if (weight == 0)
            {
                throw new EmptyImageException("No digit found: the image is fully transparent.");
            }
            var background = weighted / weight < 128 ? 255 : 0;
            var j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                // 16 pixels at a time in 16-bit lanes: g*a + bg*(255 - a) <= 65025, then an exact x / 255 rounding.
                var full = Vector256.Create((ushort)255);
                var bg = Vector256.Create((ushort)background);
                for (; j + 16 <= n; j += 16)
                {
                    var gv = Vector256.WidenLower(Vector128.Load(g + j).ToVector256Unsafe());
                    var av = Vector256.WidenLower(Vector128.Load(a + j).ToVector256Unsafe());
                    var sum = gv * av + bg * (full - av) + Vector256.Create((ushort)128);
                    var result = (sum + Vector256.ShiftRightLogical(sum, 8)) >> 8;
                    Vector256.Narrow(result, result).GetLower().Store(g + j);
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

    /// <summary>Median gray level of the border ring and a robust spread (1.4826 x median absolute deviation).</summary>
    private static (int Median, double Spread) BorderStatistics(ReadOnlySpan<byte> gray, int width, int height)
    {
        var ring = Math.Max(1, Math.Min(width, height) / 40);
        Span<int> histogram = stackalloc int[256];
        var count = 0;
        for (var y = 0; y < height; y++)
        {
            var edgeRow = y < ring || y >= height - ring;
            var row = gray.Slice(y * width, width);
            for (var x = 0; x < width; x++)
            {
                if (edgeRow || x < ring || x >= width - ring)
                {
                    histogram[row[x]]++;
                    count++;
                }
                else
                {
                    x = width - ring - 1; // skip the interior
                }
            }
        }
        var median = Percentile(histogram, count);
        Span<int> deviations = stackalloc int[256];
        for (var v = 0; v < 256; v++)
        {
            deviations[Math.Abs(v - median)] += histogram[v];
        }
        return (median, 1.4826 * Percentile(deviations, count));
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
        // Ink levels above the threshold are a contiguous range of raw gray values: a vectorised search.
        byte low = invert ? (byte)0 : (byte)Math.Min(255, threshold + 1);
        byte high = invert ? (byte)Math.Max(0, 254 - threshold) : (byte)255;
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

    private static bool IsCentred(ReadOnlySpan<byte> gray, int width, ReadOnlySpan<float> ink)
    {
        double mass = 0, sumX = 0, sumY = 0;
        for (var i = 0; i < gray.Length; i++)
        {
            var m = ink[gray[i]];
            mass += m;
            sumX += m * (i % width);
            sumY += m * (i / width);
        }
        return Math.Abs(sumX / mass - Centre) <= 1 && Math.Abs(sumY / mass - Centre) <= 1;
    }

    /// <summary>
    /// Separable resampling of the box to <paramref name="outWidth"/> x <paramref name="outHeight"/>:
    /// area averaging when shrinking (each output pixel is the mean of the source area it covers, so
    /// edges come out anti-aliased), bilinear when enlarging.
    /// </summary>
    private static unsafe void Resample(ReadOnlySpan<byte> gray, int width, ReadOnlySpan<float> ink, int left, int top,
        int boxWidth, int boxHeight, double scale, Span<float> output, int outWidth, int outHeight)
    {
        var columns = AxisWeights.Create(boxWidth, outWidth, scale);
        var rows = AxisWeights.Create(boxHeight, outHeight, scale);
        var tempLength = boxHeight * outWidth;
        var temp = ArrayPool<float>.Shared.Rent(tempLength);
        try
        {
            // Horizontal pass: every source row of the box to outWidth values.
            fixed (byte* pixels = gray)
            fixed (float* levels = ink)
            {
                for (var y = 0; y < boxHeight; y++)
                {
                    var source = pixels + (top + y) * width + left;
                    for (var x = 0; x < outWidth; x++)
                    {
                        var (start, weights) = columns[x];
                        float sum = 0;
                        for (var k = 0; k < weights.Length; k++)
                        {
                            sum += levels[source[start + k]] * weights[k];
                        }
                        temp[y * outWidth + x] = sum;
                    }
                }
            }
            // Vertical pass.
            for (var y = 0; y < outHeight; y++)
            {
                var (start, weights) = rows[y];
                for (var x = 0; x < outWidth; x++)
                {
                    float sum = 0;
                    for (var k = 0; k < weights.Length; k++)
                    {
                        sum += temp[(start + k) * outWidth + x] * weights[k];
                    }
                    output[y * outWidth + x] = sum;
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(temp);
        }
    }

    /// <summary>For each output index along one axis: the first source index and the weights from there on.</summary>
    private static class AxisWeights
    {
        public static (int Start, float[] Weights)[] Create(int sourceLength, int outputLength, double scale)
        {
            var result = new (int, float[])[outputLength];
            for (var j = 0; j < outputLength; j++)
            {
                result[j] = scale <= 1 ? AreaAverage(j, sourceLength, scale) : Bilinear(j, sourceLength, scale);
            }
            return result;
        }

        // Output pixel j covers the source interval [j/s, (j+1)/s); each source pixel weighs its overlap times s.
        private static (int, float[]) AreaAverage(int j, int sourceLength, double scale)
        {
            var from = j / scale;
            var to = Math.Min((j + 1) / scale, sourceLength);
            var start = (int)Math.Floor(from);
            var end = Math.Min(sourceLength, (int)Math.Ceiling(to));
            if (end <= start)
            {
                return (Math.Min(start, sourceLength - 1), [0f]);
            }
            var weights = new float[end - start];
            for (var i = start; i < end; i++)
            {
                weights[i - start] = (float)((Math.Min(i + 1, to) - Math.Max(i, from)) * scale);
            }
            return (start, weights);
        }

        // Pixel centres line up: output centre j + 1/2 maps to source centre (j + 1/2)/s; outside is background.
        private static (int, float[]) Bilinear(int j, int sourceLength, double scale)
        {
            var u = (j + 0.5) / scale - 0.5;
            var i0 = (int)Math.Floor(u);
            var f = (float)(u - i0);
            float w0 = i0 >= 0 && i0 < sourceLength ? 1 - f : 0;
            float w1 = i0 + 1 >= 0 && i0 + 1 < sourceLength ? f : 0;
            return i0 < 0 ? (0, [w1]) : i0 + 1 >= sourceLength ? (Math.Min(i0, sourceLength - 1), [w0]) : (i0, [w0, w1]);
        }
    }
}
