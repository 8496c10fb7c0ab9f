using SkiaSharp;

namespace MnistService.Testing.NotADigit;

/// <summary>Geometric shapes that no digit resembles: discs, squares, triangles, stars, grids, lines, faces, arrows.</summary>
internal static class NonDigitShapes
{
    public static string Draw(SKCanvas canvas, SKPaint pen, Random random, int width, int height)
    {
        var size = Math.Min(width, height) * (float)(0.35 + 0.4 * random.NextDouble());
        var cx = width / 2f + (float)(random.NextDouble() - 0.5) * (width - size) * 0.8f;
        var cy = height / 2f + (float)(random.NextDouble() - 0.5) * (height - size) * 0.8f;
        var r = size / 2;
        using var fill = new SKPaint { Color = pen.Color, IsAntialias = true, Style = SKPaintStyle.Fill };
        canvas.Save();
        canvas.Translate(cx, cy);
        var angle = random.Next(-30, 31);
        canvas.RotateDegrees(angle);
        var shape = random.Next(10);
        switch (shape)
        {
            case 0:
                canvas.DrawCircle(0, 0, r, fill);
                break;
            case 1:
                canvas.DrawRect(-r, -r, size, size, fill);
                break;
            case 2:
                canvas.DrawRect(-r, -r * 0.7f, size, size * 0.7f, pen);
                break;
            case 3:
                canvas.DrawPath(Polygon([new(0, -r), new(r, r * 0.8f), new(-r, r * 0.8f)]), pen);
                break;
            case 4:
                canvas.DrawPath(Star(r), random.Next(2) == 0 ? pen : fill);
                break;
            case 5:
                for (var k = -1; k <= 1; k += 2)
                {
                    canvas.DrawLine(-r, k * r / 3, r, k * r / 3, pen);
                    canvas.DrawLine(k * r / 3, -r, k * r / 3, r, pen);
                }
                break;
            case 6:
                canvas.DrawLine(-r, 0, r, 0, pen);
                break;
            case 7:
                canvas.DrawCircle(0, 0, r, pen);
                canvas.DrawCircle(-r / 3, -r / 4, r / 8, fill);
                canvas.DrawCircle(r / 3, -r / 4, r / 8, fill);
                using (var mouth = new SKPath())
                {
                    mouth.AddArc(new SKRect(-r / 2, -r / 6, r / 2, r / 2), 20, 140);
                    canvas.DrawPath(mouth, pen);
                }
                break;
            case 8:
                canvas.DrawLine(-r, 0, r, 0, pen);
                canvas.DrawLine(r, 0, r / 2, -r / 2, pen);
                canvas.DrawLine(r, 0, r / 2, r / 2, pen);
                break;
            default:
                canvas.DrawLine(-r, -r, r, r, pen);
                canvas.DrawLine(-r, r, r, -r, pen);
                canvas.DrawLine(-r, 0, r, 0, pen);
                break;
        }
        canvas.Restore();
        string[] names = ["disc", "square", "rectangle outline", "triangle", "star", "grid", "line", "face", "arrow", "asterisk"];
        return $"{names[shape]}, rotated {angle}°";
    }

    private static SKPath Polygon(SKPoint[] points)
    {
        var path = new SKPath();
        path.AddPoly(points, close: true);
        return path;
    }

    private static SKPath Star(float r) =>
        Polygon([.. Enumerable.Range(0, 10).Select(k =>
        {
            var a = Math.PI * k / 5 - Math.PI / 2;
            var radius = k % 2 == 0 ? r : r * 0.4f;
            return new SKPoint((float)(radius * Math.Cos(a)), (float)(radius * Math.Sin(a)));
        })]);
}
