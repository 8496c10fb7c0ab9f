namespace MnistService.Core.Reading;

/// <summary>
/// A glyph: strokes that belong together (one digit, or several digits that touch), and the column range
/// [<see cref="Left"/>, <see cref="Right"/>) of it that an <see cref="Atom"/> stands for.
/// </summary>
/// <param name="Components">Indexes into <see cref="InkComponents.Components"/>.</param>
/// <param name="Left">First column of the atom.</param>
/// <param name="Right">Column after the atom.</param>
/// <param name="Box">The atom's ink box.</param>
/// <param name="Glyph">The ink box of the whole glyph.</param>
public sealed record Atom(int[] Components, int Left, int Right, PixelBox Box, PixelBox Glyph);

/// <summary>
/// The smallest pieces a line of handwritten digits is cut into, left to right, and the line's height. A digit is
/// one or more consecutive atoms; <see cref="NumberReader"/> lets the classifier choose which. Over-segmenting is
/// the point: a cut that is not needed costs a candidate, a cut that is missing loses a digit.
/// </summary>
/// <remarks>
/// The rules, all relative to the line height H (the median height of the tall strokes):
/// specks (both sides under <see cref="SpeckSide"/>·H) are dust; strokes whose column ranges overlap by half the
/// narrower one are one glyph (a 4, a 5 with its flag apart, a 7 with a bar), unless both are tall and overlap
/// less (two touching-close digits); a low glyph high in a tall one's height and over its columns is its flag (a 5's
/// drawn apart, beside its body); other glyphs lower than <see cref="MinDigitHeight"/>·H are separators (dots,
/// dashes, plus signs); a glyph wider than <see cref="CutWidth"/>·H is cut at the minima of its column
/// projection, at least <see cref="MinCutSpacing"/>·H apart.
/// </remarks>
public sealed class LineLayout
{
    public const double SpeckSide = 0.15;
    public const double MinDigitHeight = 0.45;
    public const double CutWidth = 0.9;
    public const double MinCutSpacing = 0.09;
    /// <summary>A low glyph centred above this fraction of a tall glyph's height from its top may be its flag.</summary>
    public const double FlagZone = 0.35;
    /// <summary>The least share of a flag's width that lies over its glyph's columns: an apostrophe between digits has none.</summary>
    public const double FlagOverlap = 0.25;

    private LineLayout(double lineHeight, Atom[] atoms)
    {
        LineHeight = lineHeight;
        Atoms = atoms;
    }

    public double LineHeight { get; }

    /// <summary>Left to right.</summary>
    public Atom[] Atoms { get; }

    /// <summary>
    /// The line's atoms; null when more than <paramref name="maxStrokes"/> strokes are not dust: no line of digits the
    /// reader takes has that many, and grouping them costs their number squared where they stand in one column.
    /// </summary>
    public static LineLayout? Of(InkComponents ink, int maxStrokes)
    {
        var components = ink.Components;
        var lineHeight = LineHeightOf(components);
        var kept = new List<int>();
        for (var c = 0; c < components.Length; c++)
        {
            var box = components[c].Box;
            if (box.Width >= SpeckSide * lineHeight || box.Height >= SpeckSide * lineHeight)
            {
                kept.Add(c);
                if (kept.Count > maxStrokes)
                {
                    return null;
                }
            }
        }
        var atoms = new List<Atom>();
        foreach (var glyph in WithFlags(components, [.. Glyphs(components, kept, lineHeight)], lineHeight))
        {
            var box = BoxOf(components, glyph);
            if (box.Height < MinDigitHeight * lineHeight)
            {
                continue;
            }
            Cut(ink, glyph, box, lineHeight, atoms);
        }
        atoms.Sort((a, b) => a.Left != b.Left ? a.Left.CompareTo(b.Left) : a.Right.CompareTo(b.Right));
        return new LineLayout(lineHeight, [.. atoms]);
    }

    /// <summary>The median height of the strokes at least 40 % as tall as the tallest: the digits' height.</summary>
    private static double LineHeightOf(InkComponent[] components)
    {
        var tallest = components.Max(c => c.Box.Height);
        var heights = components.Select(c => c.Box.Height).Where(h => h >= 0.4 * tallest).Order().ToArray();
        return Math.Max(1, heights[heights.Length / 2]);
    }

    /// <summary>Strokes joined into glyphs by their horizontal overlap (union-find over the kept components).</summary>
    private static IEnumerable<int[]> Glyphs(InkComponent[] components, List<int> kept, double lineHeight)
    {
        var parent = kept.ToDictionary(c => c, c => c);
        int Root(int c)
        {
            while (parent[c] != c)
            {
                c = parent[c] = parent[parent[c]];
            }
            return c;
        }
        kept.Sort((a, b) => components[a].Box.X.CompareTo(components[b].Box.X));
        for (var i = 0; i < kept.Count; i++)
        {
            var a = components[kept[i]].Box;
            for (var j = i + 1; j < kept.Count && components[kept[j]].Box.X < a.Right; j++)
            {
                var b = components[kept[j]].Box;
                var overlap = Math.Min(a.Right, b.Right) - b.X;
                var narrower = Math.Min(a.Width, b.Width);
                var bothTall = Math.Min(a.Height, b.Height) >= 0.8 * lineHeight;
                if (overlap >= (bothTall ? 0.8 : 0.5) * narrower)
                {
                    parent[Root(kept[j])] = Root(kept[i]);
                }
            }
        }
        return kept.GroupBy(Root).Select(g => g.ToArray());
    }

    private static PixelBox BoxOf(InkComponent[] components, int[] glyph) => glyph.Select(c => components[c].Box).Aggregate((a, b) => a.Union(b));

    /// <summary>
    /// Low glyphs in the upper part of a tall glyph's height that lie over its columns (a quarter of their width at
    /// least) join it: the flag of a 5 or the bar of a 7 drawn apart, not a separator, which stands between digits or
    /// lower.
    /// </summary>
    private static List<int[]> WithFlags(InkComponent[] components, List<int[]> glyphs, double lineHeight)
    {
        var boxes = glyphs.Select(g => BoxOf(components, g)).ToArray();
        var joined = glyphs.Select(g => new List<int>(g)).ToArray();
        for (var low = 0; low < glyphs.Count; low++)
        {
            var flag = boxes[low];
            if (flag.Height >= MinDigitHeight * lineHeight)
            {
                continue;
            }
            var (best, bestOverlap) = (-1, double.NegativeInfinity);
            for (var tall = 0; tall < glyphs.Count; tall++)
            {
                var body = boxes[tall];
                var overlap = Math.Min(flag.Right, body.Right) - Math.Max(flag.X, body.X);
                if (body.Height >= MinDigitHeight * lineHeight && overlap >= FlagOverlap * flag.Width && overlap > bestOverlap
                    && flag.Y + (flag.Height / 2.0) < body.Y + (FlagZone * body.Height))
                {
                    (best, bestOverlap) = (tall, overlap);
                }
            }
            if (best >= 0)
            {
                joined[best].AddRange(joined[low]);
                joined[low].Clear();
            }
        }
        return [.. joined.Where(g => g.Count > 0).Select(g => g.ToArray())];
    }

    /// <summary>The glyph as one atom, or cut at the minima of its column projection when it is wide.</summary>
    private static void Cut(InkComponents ink, int[] glyph, PixelBox box, double lineHeight, List<Atom> atoms)
    {
        if (box.Width <= CutWidth * lineHeight)
        {
            atoms.Add(new Atom(glyph, box.X, box.Right, box, box));
            return;
        }
        // Ink pixels per column, lightly smoothed so that a one-pixel dip in a stroke is not a minimum.
        var projection = new int[box.Width];
        foreach (var c in glyph)
        {
            var component = ink.Components[c];
            foreach (var run in ink.Runs.AsSpan(component.FirstRun, component.RunCount))
            {
                for (var x = run.X0; x < run.X1; x++)
                {
                    projection[x - box.X]++;
                }
            }
        }
        var smooth = new double[box.Width];
        for (var x = 0; x < box.Width; x++)
        {
            smooth[x] = (projection[Math.Max(0, x - 1)] + 2.0 * projection[x] + projection[Math.Min(box.Width - 1, x + 1)]) / 4;
        }
        var spacing = Math.Max(2, (int)(MinCutSpacing * lineHeight));
        var cuts = new List<int>();
        for (var x = spacing; x < box.Width - spacing; x++)
        {
            var isMinimum = true;
            for (var k = Math.Max(0, x - spacing); k <= Math.Min(box.Width - 1, x + spacing) && isMinimum; k++)
            {
                // Strictly lower than the left side, not higher than the right: one cut per flat valley.
                isMinimum = k < x ? smooth[k] > smooth[x] : smooth[k] >= smooth[x];
            }
            if (isMinimum && (cuts.Count == 0 || x - cuts[^1] >= spacing))
            {
                cuts.Add(x);
            }
        }
        var left = 0;
        foreach (var cut in cuts.Append(box.Width))
        {
            if (AtomBox(ink, glyph, box.X + left, box.X + cut) is { } atomBox)
            {
                atoms.Add(new Atom(glyph, box.X + left, box.X + cut, atomBox, box));
            }
            left = cut;
        }
    }

    /// <summary>The ink box of the glyph's pixels in columns [left, right), or null when there are none.</summary>
    public static PixelBox? AtomBox(InkComponents ink, int[] glyph, int left, int right)
    {
        int top = int.MaxValue, bottom = -1, first = int.MaxValue, last = -1;
        foreach (var c in glyph)
        {
            var component = ink.Components[c];
            foreach (var run in ink.Runs.AsSpan(component.FirstRun, component.RunCount))
            {
                var x0 = Math.Max(run.X0, left);
                var x1 = Math.Min(run.X1, right);
                if (x0 < x1)
                {
                    top = Math.Min(top, run.Y);
                    bottom = Math.Max(bottom, run.Y);
                    first = Math.Min(first, x0);
                    last = Math.Max(last, x1);
                }
            }
        }
        return bottom < 0 ? null : PixelBox.FromEdges(first, top, last, bottom + 1);
    }
}
