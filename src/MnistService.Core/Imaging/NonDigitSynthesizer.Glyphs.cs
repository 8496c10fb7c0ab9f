namespace MnistService.Core.Imaging;

/// <summary>The synthesizer's printed letters and symbols, drawn from <see cref="NonDigitGlyphs"/>' pen skeletons.</summary>
public sealed partial class NonDigitSynthesizer
{
    /// <summary>
    /// A printed letter or symbol: random box, pen, slant, rotation and wobble, in one of three styles. A round pen of
    /// one width (a marker); thick and thin strokes (each polyline its own width); or a typeface's: a broad nib whose
    /// width follows the stroke's direction (stems thick, bars and hairlines thin), with serifs or ball terminals at
    /// the open ends and dots drawn as discs. Printed glyphs keep these after preprocessing, and a digit written by hand
    /// has none of them, so they are much of what tells the two apart.
    /// </summary>
    private void Glyph()
    {
        var glyph = NonDigitGlyphs.All[Next(NonDigitGlyphs.All.Count)];
        var height = Uniform(20, 44);
        var width = height * Uniform(0.45f, 1.1f);
        var slant = Uniform(-0.3f, 0.3f);
        var angle = Uniform(-0.5f, 0.5f);
        var (cos, sin) = (MathF.Cos(angle), MathF.Sin(angle));
        var (cx, cy) = (Canvas / 2f + Uniform(-6, 6), Canvas / 2f + Uniform(-6, 6));
        var pen = MathF.Max(1.5f, height * Uniform(0.05f, 0.22f)); // a typeface's stem: light to black weights
        (float X, float Y) Place((float X, float Y) p)
        {
            var x = (p.X - 0.5f + slant * (0.5f - p.Y)) * width + Uniform(-0.7f, 0.7f);
            var y = (p.Y - 0.5f) * height + Uniform(-0.7f, 0.7f);
            return (cx + cos * x - sin * y, cy + sin * x + cos * y);
        }
        var style = Next(3);
        var hairline = Uniform(0.2f, 0.6f); // a typeface's thinnest stroke, as a share of its stems
        var ends = Next(3); // a typeface's open ends: plain, serifs, or ball terminals
        foreach (var line in glyph)
        {
            var points = line.Select(Place).ToArray();
            var polylineWidth = style == 1 ? pen * Uniform(0.35f, 1.3f) : pen;
            if (style == 2 && IsDot(points, height))
            {
                Disc(points[0], 0.7f * pen + 1);
                continue;
            }
            for (var k = 1; k < points.Length; k++)
            {
                var stroke = style == 2 ? NibWidth(points[k - 1], points[k], pen, hairline) : polylineWidth;
                Segment(points[k - 1], points[k], stroke);
            }
            if (style == 2 && ends != 0)
            {
                End(points[0], points[1], pen, height, ends == 1);
                End(points[^1], points[^2], pen, height, ends == 1);
            }
        }
    }

    private static bool IsDot((float X, float Y)[] points, float height)
    {
        var (dx, dy) = (points[^1].X - points[0].X, points[^1].Y - points[0].Y);
        return points.Length == 2 && dx * dx + dy * dy < 0.01f * height * height;
    }

    /// <summary>A broad nib held level: width = pen·(h + (1 − h)·|sin φ|), φ the stroke's angle to the horizontal.</summary>
    private static float NibWidth((float X, float Y) a, (float X, float Y) b, float pen, float hairline)
    {
        var (dx, dy) = (b.X - a.X, b.Y - a.Y);
        var length = MathF.Max(MathF.Sqrt(dx * dx + dy * dy), 1e-3f);
        return MathF.Max(1.2f, pen * (hairline + (1 - hairline) * MathF.Abs(dy) / length));
    }

    /// <summary>The open end <paramref name="end"/> of a stroke coming from <paramref name="from"/>: a serif across it, or a ball.</summary>
    private void End((float X, float Y) end, (float X, float Y) from, float pen, float height, bool serif)
    {
        if (serif)
        {
            var (dx, dy) = (end.X - from.X, end.Y - from.Y);
            var length = MathF.Max(MathF.Sqrt(dx * dx + dy * dy), 1e-3f);
            var half = 0.12f * height + pen / 2;
            var (px, py) = (-dy / length * half, dx / length * half);
            Segment((end.X - px, end.Y - py), (end.X + px, end.Y + py), MathF.Max(1.2f, 0.45f * pen));
        }
        else
        {
            Disc(end, 0.75f * pen);
        }
    }

    private void Disc((float X, float Y) centre, float radius) => Segment(centre, centre, 2 * radius);
}
