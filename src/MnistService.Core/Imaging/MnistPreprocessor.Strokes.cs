using System.Buffers;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace MnistService.Core.Imaging;

// Stroke-width normalisation: a drawing made with a much thicker or thinner pen than MNIST's is brought back to
// MNIST's stroke width at the source resolution, before the box is scaled to 20x20.
public static partial class MnistPreprocessor
{
    /// <summary>
    /// Below this longest side of the clear-ink box (in source pixels) strokes are a few pixels wide, too coarse to
    /// measure or change by the fraction that matters: MNIST-sized images, and JSON pixels, keep their strokes.
    /// </summary>
    public const int MinStrokeNormalisedSide = 2 * Box;

    /// <summary>
    /// Stroke widths relative to the longest side of the clear-ink box (width = 2·area / perimeter of the ink at half
    /// strength). The MNIST test digits enlarged 5-9x measure 0.081 / 0.096 / 0.114 (quartiles); drawn with a pen half
    /// an MNIST pixel wider on each side, 0.120 / 0.134 / 0.152; a third of a pixel narrower, 0.058 / 0.073 / 0.092.
    /// Strokes above <see cref="ThickStroke"/> or below <see cref="ThinStroke"/> are brought to
    /// <see cref="TargetStroke"/>, about MNIST's median; those between are MNIST's own variety and are left alone
    /// (bringing every digit to the median cost accuracy on MNIST's own bold and fine digits). The thin bound sits
    /// below MNIST's lower quartile: widening a stroke costs about 80 µs on a 280x280 canvas (four times the rest of
    /// the preprocessing), and widening every stroke under 0.08 read 4 more of the 10,000 canvas-like uploads than
    /// widening only those under 0.065, while it widened ordinary fine digits drawn on the page too.
    /// </summary>
    public const double TargetStroke = 0.10, ThickStroke = 0.13, ThinStroke = 0.065;

    /// <summary>
    /// The ink of the box (widened by the pen change) with every stroke eroded or dilated by a square of the radius
    /// that brings the estimated stroke width to <see cref="TargetStroke"/>, and the box of its clear ink; null when
    /// the strokes are left as they are (a small box, an MNIST-like width, a change under a pixel).
    /// </summary>
    /// <remarks>
    /// Eroding a stroke that a thick pen widened gives back its shape except where the pen closed a gap or a loop
    /// (a morphological closing): measured on the canvas-like test uploads, this recovers about half of what the thick
    /// pen cost; the rest is mostly loops the pen filled.
    /// </remarks>
    private static InkImage? NormaliseStrokes(ReadOnlySpan<byte> gray, int width, int height, InkMap ink,
        (int Left, int Top, int Right, int Bottom) box, out (int Left, int Top, int Right, int Bottom) inkBox)
    {
        inkBox = default;
        var longest = Math.Max(box.Right - box.Left + 1, box.Bottom - box.Top + 1);
        if (longest < MinStrokeNormalisedSide)
        {
            return null;
        }
        Span<byte> levels = stackalloc byte[256];
        ink.Table(levels);
        var stroke = StrokeWidth(gray, width, levels, box) / longest;
        var change = stroke > ThickStroke ? -(stroke - TargetStroke) : stroke < ThinStroke ? TargetStroke - stroke : 0;
        var radius = (int)Math.Round(Math.Abs(change) * longest / 2);
        if (radius < 1)
        {
            return null;
        }

        // The box widened by the radius (a dilated stroke grows into it), within the image.
        int left = Math.Max(0, box.Left - radius), top = Math.Max(0, box.Top - radius);
        int right = Math.Min(width - 1, box.Right + radius), bottom = Math.Min(height - 1, box.Bottom + radius);
        var result = InkImage.Rent(right - left + 1, bottom - top + 1);
        var output = result.Levels;
        for (var y = top; y <= bottom; y++)
        {
            var row = gray.Slice(y * width + left, result.Width);
            var target = output.Slice((y - top) * result.Width, result.Width);
            for (var x = 0; x < row.Length; x++)
            {
                target[x] = levels[row[x]];
            }
        }
        SquareExtreme(output, result.Width, result.Height, radius, max: change > 0);

        var strong = (int)(BoxFraction * 255);
        inkBox = BoundingBox(output, result.Width, result.Height, invert: false, strong);
        if (inkBox.Right < inkBox.Left)
        {
            result.Dispose();
            return null; // nothing clear left: keep the drawing as it was
        }
        return result;
    }

    /// <summary>
    /// 2·area / perimeter of the ink at half strength within <paramref name="box"/>: for a stroke of width w and length
    /// L ≫ w, area w·L and perimeter 2·L. The perimeter counts pixel edges (4-neighbours), so slanted strokes read a
    /// little thinner; the thresholds above were measured with the same rule.
    /// </summary>
    private static double StrokeWidth(ReadOnlySpan<byte> gray, int width, ReadOnlySpan<byte> levels, (int Left, int Top, int Right, int Bottom) box)
    {
        // The ink level rises (or, inverted, falls) with the gray value, so half-strength ink is one range of gray values.
        int low = 256, high = -1;
        for (var v = 0; v < 256; v++)
        {
            if (levels[v] >= 128)
            {
                (low, high) = (Math.Min(low, v), v);
            }
        }
        if (high < 0)
        {
            return 0;
        }
        var boxWidth = box.Right - box.Left + 1;
        // Masks of 0xFF (ink) and 0, each row after one 0 so that [x] and [x + 1] are a pixel and its left neighbour;
        // the row above the first is all 0.
        var masks = ArrayPool<byte>.Shared.Rent(2 * (boxWidth + 1));
        try
        {
            var current = masks.AsSpan(0, boxWidth + 1);
            var above = masks.AsSpan(boxWidth + 1, boxWidth + 1);
            current[0] = 0;
            above.Clear();
            long area = 0, edges = 0;
            for (var y = box.Top; y <= box.Bottom; y++)
            {
                InkMask(gray.Slice(y * width + box.Left, boxWidth), (byte)low, (byte)(high - low), current[1..]);
                area += Differing(current[1..], default);
                edges += Differing(current[1..], current[..boxWidth]) + (current[boxWidth] != 0 ? 1 : 0) // left, right
                    + Differing(current[1..], above[1..]); // top
                var swap = current;
                current = above;
                above = swap;
            }
            edges += Differing(above[1..], default); // the bottom of the last row
            return edges == 0 ? 0 : 2.0 * area / edges;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(masks);
        }
    }

    /// <summary>mask[x] = 0xFF where low ≤ row[x] ≤ low + span, else 0.</summary>
    private static void InkMask(ReadOnlySpan<byte> row, byte low, byte span, Span<byte> mask)
    {
        var x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vlow = Vector256.Create(low);
            var vspan = Vector256.Create(span);
            for (; x + Vector256<byte>.Count <= row.Length; x += Vector256<byte>.Count)
            {
                Vector256.LessThanOrEqual(Vector256.Create(row.Slice(x, Vector256<byte>.Count)) - vlow, vspan).CopyTo(mask.Slice(x));
            }
        }
        for (; x < row.Length; x++)
        {
            mask[x] = (byte)(row[x] - low) <= span ? (byte)0xFF : (byte)0;
        }
    }

    /// <summary>How many of the masks' places differ (an empty <paramref name="b"/> counts as all zero).</summary>
    private static int Differing(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var count = 0;
        var x = 0;
        var zero = b.IsEmpty;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; x + Vector256<byte>.Count <= a.Length; x += Vector256<byte>.Count)
            {
                var va = Vector256.Create(a.Slice(x, Vector256<byte>.Count));
                var difference = zero ? va : va ^ Vector256.Create(b.Slice(x, Vector256<byte>.Count));
                count += BitOperations.PopCount(difference.ExtractMostSignificantBits());
            }
        }
        for (; x < a.Length; x++)
        {
            count += a[x] != (zero ? 0 : b[x]) ? 1 : 0;
        }
        return count;
    }

    /// <summary>
    /// The largest (<paramref name="max"/>) or smallest value of each pixel's (2r+1)² square, in place, separably (rows,
    /// then columns); the square is cut by the image's edges. Van Herk / Gil-Werman: three comparisons a pixel whatever r.
    /// </summary>
    internal static void SquareExtreme(Span<byte> image, int width, int height, int radius, bool max)
    {
        var length = width + 2 * radius;
        var lines = ArrayPool<byte>.Shared.Rent(3 * length);
        try
        {
            var line = lines.AsSpan(0, length);
            var forward = lines.AsSpan(length, length);
            var backward = lines.AsSpan(2 * length, length);
            for (var y = 0; y < height; y++)
            {
                var row = image.Slice(y * width, width);
                row.CopyTo(line[radius..]);
                LineExtreme(line, width, radius, max, forward, backward);
                line[..width].CopyTo(row);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(lines);
        }
        ColumnExtreme(image, width, height, radius, max);
    }

    /// <summary>
    /// The same scheme down the columns, with whole rows as the values: every step is a vector min or max of two rows
    /// (a column at a time would read the image with a stride of its width).
    /// </summary>
    private static void ColumnExtreme(Span<byte> image, int width, int height, int radius, bool max)
    {
        var n = height + 2 * radius;
        var k = 2 * radius + 1;
        var forward = ArrayPool<byte>.Shared.Rent(n * width);
        var backward = ArrayPool<byte>.Shared.Rent(n * width);
        var neutralRow = ArrayPool<byte>.Shared.Rent(width);
        var neutral = neutralRow.AsSpan(0, width);
        neutral.Fill(max ? (byte)0 : (byte)255);
        try
        {
            for (var start = 0; start < n; start += k)
            {
                var end = Math.Min(n, start + k) - 1;
                Padded(image, start).CopyTo(Row(forward, start));
                for (var i = start + 1; i <= end; i++)
                {
                    Pick(Row(forward, i - 1), Padded(image, i), Row(forward, i), max);
                }
                Padded(image, end).CopyTo(Row(backward, end));
                for (var i = end - 1; i >= start; i--)
                {
                    Pick(Row(backward, i + 1), Padded(image, i), Row(backward, i), max);
                }
            }
            for (var y = 0; y < height; y++)
            {
                Pick(Row(backward, y), Row(forward, y + 2 * radius), image.Slice(y * width, width), max);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(forward);
            ArrayPool<byte>.Shared.Return(backward);
            ArrayPool<byte>.Shared.Return(neutralRow);
        }

        Span<byte> Row(byte[] rows, int i) => rows.AsSpan(i * width, width);
        ReadOnlySpan<byte> Padded(ReadOnlySpan<byte> source, int i) =>
            i < radius || i >= radius + height ? neutralRow.AsSpan(0, width) : source.Slice((i - radius) * width, width);
    }

    /// <summary>target = max (or min) of a and b, element by element.</summary>
    private static void Pick(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> target, bool max)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<byte>.Count <= target.Length; i += Vector256<byte>.Count)
            {
                var va = Vector256.Create(a.Slice(i, Vector256<byte>.Count));
                var vb = Vector256.Create(b.Slice(i, Vector256<byte>.Count));
                (max ? Vector256.Max(va, vb) : Vector256.Min(va, vb)).CopyTo(target.Slice(i));
            }
        }
        for (; i < target.Length; i++)
        {
            target[i] = max ? Math.Max(a[i], b[i]) : Math.Min(a[i], b[i]);
        }
    }

    /// <summary>
    /// <paramref name="line"/> holds <paramref name="length"/> values from index r on; writes to line[0..length) the
    /// extreme of each value's window of 2r+1. The margins are padded with the neutral value (0 for max, 255 for min);
    /// within blocks of 2r+1, a running extreme from the left (forward) and from the right (backward): a window that
    /// starts at i spans the end of i's block and the start of the next, so its extreme is extreme(backward[i],
    /// forward[i + 2r]).
    /// </summary>
    private static void LineExtreme(Span<byte> line, int length, int radius, bool max, Span<byte> forward, Span<byte> backward)
    {
        var neutral = max ? (byte)0 : (byte)255;
        var n = length + 2 * radius;
        line[..radius].Fill(neutral);
        line.Slice(radius + length, radius).Fill(neutral);
        var k = 2 * radius + 1;
        for (var start = 0; start < n; start += k)
        {
            var end = Math.Min(n, start + k) - 1;
            forward[start] = line[start];
            for (var i = start + 1; i <= end; i++)
            {
                forward[i] = PickOne(forward[i - 1], line[i], max);
            }
            backward[end] = line[end];
            for (var i = end - 1; i >= start; i--)
            {
                backward[i] = PickOne(backward[i + 1], line[i], max);
            }
        }
        for (var i = 0; i < length; i++)
        {
            line[i] = PickOne(backward[i], forward[i + 2 * radius], max);
        }

        static byte PickOne(byte a, byte b, bool max) => max ? Math.Max(a, b) : Math.Min(a, b);
    }
}
