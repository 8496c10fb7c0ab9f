using System.Runtime.Intrinsics;

namespace MnistService.Core.Imaging;

public sealed partial class ImageDistorter
{
    /// <summary>
    /// Thickens (<paramref name="amount"/> &gt; 0) or thins (&lt; 0) every stroke by about |amount| pixels on each
    /// side, as a wider or narrower pen would: x ← x + |amount|·(m − x), m the largest (thicker) or smallest
    /// (thinner) value of x's 3x3 neighbourhood, zero outside the image. Works on the padded source in place.
    /// </summary>
    internal static void ChangeStrokeWidth(float[] padded, float amount, float[] rows, float[] squares)
    {
        if (amount == 0)
        {
            return;
        }

        var thicker = amount > 0;
        var weight = Math.Abs(amount);
        // m along the rows, then along the columns of that: the 3x3 square's extreme, separably.
        for (var y = 1; y <= Side; y++)
        {
            Extreme(padded, y * PadSide, -1, 1, rows, thicker);
        }
        for (var y = 1; y <= Side; y++)
        {
            Extreme(rows, y * PadSide, -PadSide, PadSide, squares, thicker);
        }
        for (var y = 1; y <= Side; y++)
        {
            var row = y * PadSide + 1;
            var i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var w = Vector256.Create(weight);
                for (; i + Vector256<float>.Count <= Side; i += Vector256<float>.Count)
                {
                    var x = Vector256.Create<float>(padded.AsSpan(row + i));
                    (x + w * (Vector256.Create<float>(squares.AsSpan(row + i)) - x)).CopyTo(padded.AsSpan(row + i));
                }
            }
            for (; i < Side; i++)
            {
                var x = padded[row + i];
                padded[row + i] = x + weight * (squares[row + i] - x);
            }
        }
    }

    /// <summary>target = max (or min) of source at offsets before, 0 and after, for the 28 image pixels of the row starting at <paramref name="rowStart"/>.</summary>
    private static void Extreme(float[] source, int rowStart, int before, int after, float[] target, bool max)
    {
        var start = rowStart + 1;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<float>.Count <= Side; i += Vector256<float>.Count)
            {
                var p = start + i;
                var a = Vector256.Create<float>(source.AsSpan(p + before));
                var b = Vector256.Create<float>(source.AsSpan(p));
                var c = Vector256.Create<float>(source.AsSpan(p + after));
                (max ? Vector256.Max(Vector256.Max(a, b), c) : Vector256.Min(Vector256.Min(a, b), c)).CopyTo(target.AsSpan(p));
            }
        }
        for (; i < Side; i++)
        {
            var p = start + i;
            target[p] = max
                ? MathF.Max(MathF.Max(source[p + before], source[p]), source[p + after])
                : MathF.Min(MathF.Min(source[p + before], source[p]), source[p + after]);
        }
    }
}
