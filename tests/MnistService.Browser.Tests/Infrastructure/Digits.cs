namespace MnistService.Browser.Tests.Infrastructure;

/// <summary>Digits to draw: polylines in pad units.</summary>
public static class Digits
{
    /// <summary>A 1, a 0 and a 7 as a person draws them: one stroke each, filling the pad's frame.</summary>
    public static (double X, double Y)[][] Strokes(int digit) => digit switch
    {
        1 => [[(0.53, 0.18), (0.51, 0.40), (0.49, 0.62), (0.47, 0.82)]],
        0 => [Ellipse(0.5, 0.5, 0.2, 0.31, 28)],
        7 => [[(0.30, 0.22), (0.50, 0.21), (0.70, 0.22), (0.60, 0.42), (0.52, 0.62), (0.46, 0.82)]],
        _ => throw new ArgumentOutOfRangeException(nameof(digit), "Only 1, 0 and 7 are drawn by the tests."),
    };

    private static (double X, double Y)[] Ellipse(double cx, double cy, double rx, double ry, int points) =>
        Enumerable.Range(0, points + 2)
            .Select(i => 2 * Math.PI * i / points - Math.PI / 2)
            .Select(a => (cx + rx * Math.Cos(a), cy + ry * Math.Sin(a)))
            .ToArray();
}
