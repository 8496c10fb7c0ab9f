using System.Globalization;

namespace MnistService.Core.Imaging;

/// <summary>
/// Pen skeletons of printed letters and symbols that no digit resembles, for <see cref="NonDigitSynthesizer"/>: each
/// glyph is polylines in a unit box (x right, y down), written "x y x y ...", polylines separated by '|'. Drawn
/// with a random pen, slant and rotation they stand for the letters people send (no I, l, O, o, S, Z, B, G, b, g, q:
/// those are written like digits).
/// </summary>
internal static class NonDigitGlyphs
{
    private static readonly string[] Sources =
    [
        "0 1 .5 0 1 1|.2 .6 .8 .6", // A
        ".9 .2 .7 0 .3 0 .05 .25 0 .5 .05 .75 .3 1 .7 1 .9 .8", // C
        "1 0 0 0 0 1 1 1|0 .5 .7 .5", // E
        "1 0 0 0 0 1|0 .5 .7 .5", // F
        "0 0 0 1|1 0 1 1|0 .5 1 .5", // H
        "0 0 0 1|1 0 0 .55|.3 .4 1 1", // K
        "0 1 0 0 .5 .6 1 0 1 1", // M
        "0 1 0 0 1 1 1 0", // N
        "0 1 0 0 .7 0 .95 .15 .95 .35 .7 .5 0 .5", // P
        "0 1 0 0 .7 0 .95 .15 .95 .35 .7 .5 0 .5|.45 .5 1 1", // R
        "0 0 1 0|.5 0 .5 1", // T
        "0 0 .5 1 1 0", // V
        "0 0 .25 1 .5 .4 .75 1 1 0", // W
        "0 0 1 1|1 0 0 1", // X
        "0 0 .5 .5 1 0|.5 .5 .5 1", // Y
        ".15 .45 .4 .4 .8 .45 .85 .6 .85 1|.85 .65 .4 .65 .15 .75 .15 .9 .35 1 .6 1 .85 .85", // a
        ".1 .7 .9 .7 .85 .5 .6 .4 .35 .42 .12 .6 .12 .85 .35 1 .65 1 .9 .9", // e
        "0 0 0 1|0 .6 .3 .42 .7 .42 .95 .6 .95 1", // h
        "0 0 0 1|.8 .4 0 .75|.3 .65 .9 1", // k
        "0 .4 0 1|0 .55 .15 .42 .35 .45 .5 .6 .5 1|.5 .55 .65 .42 .85 .45 1 .6 1 1", // m
        "0 .4 0 1|0 .55 .3 .42 .7 .42 .95 .6 .95 1", // n
        "0 .4 0 1|0 .6 .3 .42 .7 .42", // r
        ".4 0 .4 .9 .55 1 .8 1|.1 .4 .8 .4", // t
        "0 .4 .25 1 .5 .6 .75 1 1 .4", // w
        "0 .4 1 1|1 .4 0 1", // x
        "0 .3 .5 .75|1 .3 .35 1", // y
        ".3 0 .2 1|.7 0 .6 1|0 .35 1 .35|0 .65 1 .65", // #
        ".7 .35 .5 .3 .35 .45 .4 .65 .6 .68 .7 .35 .72 .65 .85 .65 .95 .5 .9 .25 .7 .05 .4 .05 .12 .25 .05 .55 .2 .85 .5 .97 .8 .9", // @
        ".9 1 .3 .35 .3 .15 .45 0 .6 .15 .6 .3 .1 .65 .1 .85 .3 1 .55 .95 .9 .55", // &
        "0 1 1 0|.1 .05 .3 .05 .3 .3 .1 .3 .1 .05|.7 .7 .9 .7 .9 .95 .7 .95 .7 .7", // %
        ".5 0 .5 1|.07 .25 .93 .75|.07 .75 .93 .25", // *
        ".5 0 .5 1|0 .5 1 .5", // +
        "0 .3 1 .3|0 .7 1 .7", // =
        "1 0 0 .5 1 1", // <
        "0 0 1 .5 0 1", // >
        ".7 0 .5 .05 .45 .4 .3 .5 .45 .6 .5 .95 .7 1", // {
        ".3 0 .5 .05 .55 .4 .7 .5 .55 .6 .5 .95 .3 1", // }
        "0 .6 .2 .4 .4 .45 .6 .6 .8 .6 1 .4", // ~
        ".95 .15 .7 0 .35 .05 .15 .3 .15 .7 .35 .95 .7 1 .95 .85|0 .4 .7 .4|0 .6 .7 .6", // €
        ".55 0 .55 1|.85 0 .85 1|.85 0 .3 0 .1 .15 .1 .35 .3 .5 .55 .5", // ¶
        ".1 .25 .25 .05 .5 0 .8 .1 .85 .3 .7 .45 .5 .55 .5 .75|.5 .95 .5 1", // ?
    ];

    /// <summary>Every glyph as polylines of points in the unit box.</summary>
    public static IReadOnlyList<(float X, float Y)[][]> All { get; } =
        [.. Sources.Select(source => source.Split('|').Select(Points).ToArray())];

    private static (float X, float Y)[] Points(string polyline)
    {
        var values = polyline.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        return [.. Enumerable.Range(0, values.Length / 2).Select(k => (values[2 * k], values[2 * k + 1]))];
    }
}
