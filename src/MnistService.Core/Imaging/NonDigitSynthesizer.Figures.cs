namespace MnistService.Core.Imaging;

/// <summary>The synthesizer's figures beyond single strokes and glyphs: textures, enclosed figures, hatching, scribbles.</summary>
public sealed partial class NonDigitSynthesizer
{
    /// <summary>
    /// A textured field over the canvas or a large part of it: what a photo of paper, grain or dense noise becomes
    /// once a large image is scaled into the 20x20 box (each pixel the mean of many, so a level with little spread),
    /// in cells of 1-4 pixels.
    /// </summary>
    private void Field()
    {
        var full = Next(3) != 0;
        var (w, h) = full ? (Canvas, Canvas) : (Next(Canvas / 3, Canvas + 1), Next(Canvas / 3, Canvas + 1));
        var (left, top) = (Next(Canvas - w + 1), Next(Canvas - h + 1));
        var level = Uniform(0.05f, 1);
        var spread = Uniform(0.005f, 0.25f);
        var cell = Next(1, 5);
        for (var y = 0; y < h; y += cell)
        {
            for (var x = 0; x < w; x += cell)
            {
                var value = Math.Clamp(level + spread * Gaussian(), 0, 1);
                for (var dy = 0; dy < cell && y + dy < h; dy++)
                {
                    for (var dx = 0; dx < cell && x + dx < w; dx++)
                    {
                        _ink[(top + y + dy) * Canvas + left + x + dx] = value;
                    }
                }
            }
        }
    }

    /// <summary>An outlined ellipse or polygon with 1-4 marks inside (dots, strokes, arcs): faces, signs, stamps.</summary>
    private void Enclosed()
    {
        var width = Uniform(1.5f, 5);
        var (cx, cy) = (Canvas / 2f + Uniform(-5, 5), Canvas / 2f + Uniform(-5, 5));
        var (rx, ry) = (Uniform(12, 24), Uniform(12, 24));
        var corners = Next(3) == 0 ? Next(3, 7) : 24;
        var rotation = Uniform(0, MathF.PI);
        (float, float) Rim(float t) => (cx + rx * MathF.Cos(rotation + t), cy + ry * MathF.Sin(rotation + t));
        for (var k = 0; k < corners; k++)
        {
            Segment(Rim(2 * MathF.PI * k / corners), Rim(2 * MathF.PI * (k + 1) / corners), width);
        }
        (float, float) Inside() => (cx + Uniform(-0.6f, 0.6f) * rx, cy + Uniform(-0.6f, 0.6f) * ry);
        for (var m = Next(1, 5); m > 0; m--)
        {
            switch (Next(3))
            {
                case 0:
                    var dot = Inside();
                    Segment(dot, dot, Uniform(2, 6));
                    break;
                case 1:
                    Segment(Inside(), Inside(), width);
                    break;
                default:
                    Bezier(Inside(), Inside(), Inside(), Inside(), width);
                    break;
            }
        }
    }

    /// <summary>2-4 parallel lines, in one direction or crossed by a second set: hatching, grids, tallies.</summary>
    private void Hatch()
    {
        var width = Uniform(1.5f, 5);
        var sets = Next(1, 3);
        var angle = Uniform(0, MathF.PI);
        var length = Uniform(24, 46);
        for (var set = 0; set < sets; set++, angle += Uniform(MathF.PI / 4, MathF.PI * 3 / 4))
        {
            var lines = Next(2, 5);
            var gap = Uniform(5, 14);
            var (ux, uy) = (MathF.Cos(angle), MathF.Sin(angle));
            for (var k = 0; k < lines; k++)
            {
                var offset = (k - (lines - 1) / 2f) * gap;
                var (mx, my) = (Canvas / 2f - uy * offset, Canvas / 2f + ux * offset);
                Segment((mx - ux * length / 2, my - uy * length / 2), (mx + ux * length / 2, my + uy * length / 2), width);
            }
        }
    }

    /// <summary>2-5 strokes, each a chain of 2-5 curves through random points: a scribble.</summary>
    private void Scribble()
    {
        var width = Uniform(1.5f, 6);
        for (var s = Next(2, 6); s > 0; s--)
        {
            var a = Point();
            for (var c = Next(2, 6); c > 0; c--)
            {
                var b = Point();
                Bezier(a, Point(), Point(), b, width);
                a = b;
            }
        }
    }

    /// <summary>A standard normal draw (Box-Muller).</summary>
    private float Gaussian() => MathF.Sqrt(-2 * MathF.Log(1 - _rng.NextFloat())) * MathF.Cos(2 * MathF.PI * _rng.NextFloat());
}
