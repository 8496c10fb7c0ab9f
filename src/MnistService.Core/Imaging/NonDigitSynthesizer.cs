using MnistService.Core.Network;

namespace MnistService.Core.Imaging;

/// <summary>
/// Draws what the detector's discriminator learns is not a digit, and the digits it learns are: non-digits are
/// printed letters and symbols (<see cref="NonDigitGlyphs"/>), random pen strokes, curves and scribbles, letter-like
/// figures of a few separate strokes, filled and outlined shapes, outlines with marks inside, hatching, flat lines,
/// noise, textured fields and two digits side by side (a number, not a digit); digits are MNIST training digits redrawn
/// with a thinner or thicker pen. Everything is drawn white on black at 56x56 and goes through
/// <see cref="MnistPreprocessor"/>, so the network sees what the service will show it. The same seed gives the same images.
/// </summary>
public sealed partial class NonDigitSynthesizer(int seed)
{
    private const int Canvas = 56;
    private const int Pixels = MnistPreprocessor.Side * MnistPreprocessor.Side;
    private readonly Rng _rng = new(unchecked((ulong)(uint)seed * 0x2545F4914F6CDD1DUL + 7));
    private readonly float[] _ink = new float[Canvas * Canvas];

    /// <summary>
    /// <paramref name="count"/> non-digits into <paramref name="output"/> (count·784 network inputs).
    /// <paramref name="digits"/> (MNIST images, 784 values in [0,1] each) are the source of two-digit numbers.
    /// </summary>
    public void NonDigits(Span<float> output, int count, ReadOnlySpan<float> digits)
    {
        for (var i = 0; i < count;)
        {
            Array.Clear(_ink);
            switch (Next(16))
            {
                case 8 or 9 or 14 or 15: Glyph(); break; // printed glyphs are the hardest non-digits: a quarter of them
                case 10: Field(); break;
                case 11: Enclosed(); break;
                case 12: Hatch(); break;
                case 13: Scribble(); break;
                case 0: Polyline(Next(2, 6)); break;
                case 1: Curves(Next(1, 4)); break;
                case 2: LetterLike(); break;
                case 3: FilledShape(); break;
                case 4: Outline(); break;
                case 5: FlatLine(); break;
                case 6: Noise(); break;
                default: Number(digits); break;
            }
            if (TryPreprocess(output.Slice(i * Pixels, Pixels)))
            {
                i++;
            }
        }
    }

    /// <summary>The digits <paramref name="digits"/> (count·784) redrawn at 56x56 with a pen thinner, as thick or thicker, then preprocessed.</summary>
    public void Redrawn(ReadOnlySpan<float> digits, Span<float> output, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Redraw(digits.Slice(i * Pixels, Pixels), Next(3), output.Slice(i * Pixels, Pixels));
        }
    }

    /// <summary>The digits <paramref name="digits"/> (count·784) redrawn with each of the three pens: 3·count images, digit by digit.</summary>
    public void RedrawnWithEveryPen(ReadOnlySpan<float> digits, Span<float> output, int count)
    {
        for (var i = 0; i < count; i++)
        {
            for (var pen = 0; pen < 3; pen++)
            {
                Redraw(digits.Slice(i * Pixels, Pixels), pen, output.Slice((3 * i + pen) * Pixels, Pixels));
            }
        }
    }

    /// <summary>One digit at 56x56 with pen 0 (thinner), 1 (as it is) or 2 (thicker), preprocessed into <paramref name="output"/>.</summary>
    private void Redraw(ReadOnlySpan<float> digit, int pen, Span<float> output)
    {
        Enlarge(digit);
        if (pen == 0)
        {
            for (var p = 0; p < _ink.Length; p++)
            {
                _ink[p] = Math.Clamp((_ink[p] - 0.5f) * 2, 0, 1);
            }
        }
        else if (pen == 2)
        {
            Thicken();
        }
        if (!TryPreprocess(output))
        {
            digit.CopyTo(output);
        }
    }

    private bool TryPreprocess(Span<float> output)
    {
        using var image = GrayImage.Rent(Canvas, Canvas, withAlpha: false);
        var gray = image.Gray;
        for (var p = 0; p < _ink.Length; p++)
        {
            gray[p] = (byte)MathF.Round(Math.Clamp(_ink[p], 0, 1) * 255);
        }
        try
        {
            MnistPreprocessor.Process(image, output);
            return true;
        }
        catch (ImageRejectedException)
        {
            return false; // blank: the service answers 422 before any detector
        }
    }

    private int Next(int max) => (int)(_rng.NextUInt32() % (uint)max);
    private int Next(int min, int max) => min + Next(max - min);
    private float Uniform(float min, float max) => min + (max - min) * _rng.NextFloat();
    private (float X, float Y) Point(float margin = 6) => (Uniform(margin, Canvas - margin), Uniform(margin, Canvas - margin));

    private void Polyline(int segments)
    {
        var width = Uniform(1.5f, 6);
        var a = Point();
        for (var s = 0; s < segments; s++)
        {
            var b = Point();
            Segment(a, b, width);
            a = b;
        }
    }

    private void Curves(int count)
    {
        var width = Uniform(1.5f, 6);
        for (var c = 0; c < count; c++)
        {
            Bezier(Point(), Point(), Point(), Point(), width);
        }
    }

    /// <summary>2-4 strokes that cross or touch, as printed letters and symbols are made.</summary>
    private void LetterLike()
    {
        var width = Uniform(1.5f, 6);
        var strokes = Next(2, 5);
        for (var s = 0; s < strokes; s++)
        {
            if (Next(3) == 0)
            {
                Bezier(Point(), Point(), Point(), Point(), width);
            }
            else
            {
                Segment(Point(), Point(), width);
            }
        }
    }

    private void FilledShape()
    {
        var (cx, cy) = Point(16);
        var r = Uniform(6, 20);
        var corners = Next(3) == 0 ? 0 : Next(3, 11);
        var rotation = Uniform(0, MathF.PI);
        for (var y = 0; y < Canvas; y++)
        {
            for (var x = 0; x < Canvas; x++)
            {
                float dx = x - cx, dy = y - cy;
                var inside = corners == 0
                    ? dx * dx + dy * dy <= r * r
                    : InsidePolygon(dx, dy, r, corners, rotation);
                if (inside)
                {
                    _ink[y * Canvas + x] = 1;
                }
            }
        }
    }

    /// <summary>A regular polygon (a star when its corner count is even and above 8).</summary>
    private static bool InsidePolygon(float dx, float dy, float r, int corners, float rotation)
    {
        var angle = MathF.Atan2(dy, dx) - rotation;
        var sector = 2 * MathF.PI / corners;
        var local = ((angle % sector) + sector) % sector - sector / 2;
        var edge = r * MathF.Cos(sector / 2) / MathF.Cos(local);
        return MathF.Sqrt(dx * dx + dy * dy) <= edge;
    }

    /// <summary>A rectangle, triangle or other polygon outline (never a circle or oval: that is a 0).</summary>
    private void Outline()
    {
        var width = Uniform(1.5f, 5);
        var (cx, cy) = Point(16);
        var r = Uniform(8, 22);
        var upright = Next(2) == 0; // a frame or box: a rectangle near upright, of any aspect
        var corners = upright ? 4 : Next(3, 7);
        var rotation = upright ? MathF.PI / 4 + Uniform(-0.35f, 0.35f) : Uniform(0, MathF.PI);
        var aspect = upright ? Uniform(0.3f, 1) : Uniform(0.5f, 1);
        var (ax, ay) = upright && Next(2) == 0 ? (aspect, 1f) : (1f, aspect);
        (float, float) Corner(int k) => (cx + ax * r * MathF.Cos(rotation + 2 * MathF.PI * k / corners), cy + ay * r * MathF.Sin(rotation + 2 * MathF.PI * k / corners));
        for (var k = 0; k < corners; k++)
        {
            Segment(Corner(k), Corner(k + 1), width);
        }
    }

    /// <summary>A line within 30° of horizontal (a steeper one is a 1).</summary>
    private void FlatLine()
    {
        var angle = Uniform(-MathF.PI / 6, MathF.PI / 6);
        var length = Uniform(15, 48);
        var (cx, cy) = (Canvas / 2f + Uniform(-8, 8), Canvas / 2f + Uniform(-8, 8));
        var (dx, dy) = (length / 2 * MathF.Cos(angle), length / 2 * MathF.Sin(angle));
        Segment((cx - dx, cy - dy), (cx + dx, cy + dy), Uniform(1.5f, 7));
    }

    private void Noise()
    {
        var style = Next(3);
        var density = Uniform(0.05f, 0.6f);
        for (var p = 0; p < _ink.Length; p++)
        {
            _ink[p] = style switch
            {
                0 => _rng.NextFloat(),
                1 => _rng.NextFloat() < density ? 1 : 0,
                _ => 0,
            };
        }
        if (style == 2)
        {
            for (var blob = Next(3, 12); blob > 0; blob--)
            {
                var (x, y) = Point(2);
                Segment((x, y), (x + Uniform(-2, 2), y + Uniform(-2, 2)), Uniform(2, 8));
            }
        }
    }

    /// <summary>Two MNIST digits side by side: a number is not a digit.</summary>
    private void Number(ReadOnlySpan<float> digits)
    {
        var count = digits.Length / Pixels;
        for (var half = 0; half < 2; half++)
        {
            var digit = digits.Slice(Next(count) * Pixels, Pixels);
            var left = half * Canvas / 2;
            var top = Next(0, Canvas - MnistPreprocessor.Side + 1);
            for (var y = 0; y < MnistPreprocessor.Side; y++)
            {
                for (var x = 0; x < MnistPreprocessor.Side; x++)
                {
                    ref var pixel = ref _ink[(top + y) * Canvas + left + x];
                    pixel = MathF.Max(pixel, digit[y * MnistPreprocessor.Side + x]);
                }
            }
        }
    }

    /// <summary>Anti-aliased round-capped stroke: ink = clamp(width/2 - distance + 0.5, 0, 1), kept where stronger.</summary>
    private void Segment((float X, float Y) a, (float X, float Y) b, float width)
    {
        var half = width / 2;
        int x0 = Math.Max(0, (int)(MathF.Min(a.X, b.X) - half - 1)), x1 = Math.Min(Canvas - 1, (int)(MathF.Max(a.X, b.X) + half + 1));
        int y0 = Math.Max(0, (int)(MathF.Min(a.Y, b.Y) - half - 1)), y1 = Math.Min(Canvas - 1, (int)(MathF.Max(a.Y, b.Y) + half + 1));
        float vx = b.X - a.X, vy = b.Y - a.Y;
        var length2 = MathF.Max(vx * vx + vy * vy, 1e-6f);
        for (var y = y0; y <= y1; y++)
        {
            for (var x = x0; x <= x1; x++)
            {
                var t = Math.Clamp(((x - a.X) * vx + (y - a.Y) * vy) / length2, 0, 1);
                float dx = x - (a.X + t * vx), dy = y - (a.Y + t * vy);
                var ink = Math.Clamp(half - MathF.Sqrt(dx * dx + dy * dy) + 0.5f, 0, 1);
                ref var pixel = ref _ink[y * Canvas + x];
                pixel = MathF.Max(pixel, ink);
            }
        }
    }

    private void Bezier((float X, float Y) p0, (float X, float Y) p1, (float X, float Y) p2, (float X, float Y) p3, float width)
    {
        const int steps = 12;
        var previous = p0;
        for (var k = 1; k <= steps; k++)
        {
            var t = (float)k / steps;
            var u = 1 - t;
            var point = (u * u * u * p0.X + 3 * u * u * t * p1.X + 3 * u * t * t * p2.X + t * t * t * p3.X,
                u * u * u * p0.Y + 3 * u * u * t * p1.Y + 3 * u * t * t * p2.Y + t * t * t * p3.Y);
            Segment(previous, point, width);
            previous = point;
        }
    }

    /// <summary>The 28x28 digit at 56x56, bilinear.</summary>
    private void Enlarge(ReadOnlySpan<float> digit)
    {
        const int side = MnistPreprocessor.Side;
        for (var y = 0; y < Canvas; y++)
        {
            var sy = Math.Clamp((y + 0.5f) / 2 - 0.5f, 0, side - 1);
            int y0 = (int)sy, y1 = Math.Min(side - 1, y0 + 1);
            var fy = sy - y0;
            for (var x = 0; x < Canvas; x++)
            {
                var sx = Math.Clamp((x + 0.5f) / 2 - 0.5f, 0, side - 1);
                int x0 = (int)sx, x1 = Math.Min(side - 1, x0 + 1);
                var fx = sx - x0;
                _ink[y * Canvas + x] = (1 - fy) * ((1 - fx) * digit[y0 * side + x0] + fx * digit[y0 * side + x1])
                                       + fy * ((1 - fx) * digit[y1 * side + x0] + fx * digit[y1 * side + x1]);
            }
        }
    }

    /// <summary>A thicker pen: each pixel takes the strongest ink of its 3x3 neighbourhood.</summary>
    private void Thicken()
    {
        var source = (float[])_ink.Clone();
        for (var y = 0; y < Canvas; y++)
        {
            for (var x = 0; x < Canvas; x++)
            {
                var max = 0f;
                for (var dy = Math.Max(0, y - 1); dy <= Math.Min(Canvas - 1, y + 1); dy++)
                {
                    for (var dx = Math.Max(0, x - 1); dx <= Math.Min(Canvas - 1, x + 1); dx++)
                    {
                        max = MathF.Max(max, source[dy * Canvas + dx]);
                    }
                }
                _ink[y * Canvas + x] = max;
            }
        }
    }
}
