using MnistService.Core.Imaging;

namespace MnistService.Core.Reading;

/// <summary>The candidate pieces of a line: runs of atoms that could be one digit, and each made an MNIST input.</summary>
public static partial class NumberReader
{
    /// <summary>
    /// Atoms [First, End) taken as one digit, reaching <see cref="ExtendLeft"/> and <see cref="ExtendRight"/> pixels past
    /// the atoms' outer columns (only where those are cuts inside a glyph), with its ink box.
    /// </summary>
    private readonly record struct Candidate(int First, int End, PixelBox Box, int ExtendLeft = 0, int ExtendRight = 0, bool Readable = false)
    {
        public int Left(Atom[] atoms) => atoms[First].Left - ExtendLeft;

        public int Right(Atom[] atoms) => atoms[End - 1].Right + ExtendRight;
    }

    /// <summary>The atom after the last of the glyph that atom <paramref name="first"/> begins.</summary>
    private static int GlyphEnd(Atom[] atoms, int first)
    {
        var end = first + 1;
        while (CutBefore(atoms, end))
        {
            end++;
        }
        return end;
    }

    private static bool CutBefore(Atom[] atoms, int atom) => atom > 0 && atom < atoms.Length && ReferenceEquals(atoms[atom - 1].Components, atoms[atom].Components);

    /// <summary>Every run of atoms that could be one digit, and each again reaching past the cuts at its edges.</summary>
    /// <exception cref="ImageRejectedException">More than <see cref="MaxCandidates"/>.</exception>
    private static List<Candidate> Candidates(Atom[] atoms, double lineHeight, InkComponents ink)
    {
        var candidates = new List<Candidate>();
        for (var i = 0; i < atoms.Length; i++)
        {
            var box = atoms[i].Box;
            candidates.Add(new Candidate(i, i + 1, box));
            for (var j = i + 1; j < atoms.Length && j - i < MaxAtomsPerDigit; j++)
            {
                if (!CutBefore(atoms, j) && atoms[j].Box.X - box.Right > JoinGap * lineHeight)
                {
                    break;
                }
                box = box.Union(atoms[j].Box);
                if (box.Width > MaxGlyphWidth * lineHeight)
                {
                    break;
                }
                if (box.Width <= MaxPieceWidth * lineHeight || (!CutBefore(atoms, i) && !CutBefore(atoms, j + 1)))
                {
                    candidates.Add(new Candidate(i, j + 1, box));
                }
            }
            if (!CutBefore(atoms, i) && GlyphEnd(atoms, i) is var end && end - i > MaxAtomsPerDigit && atoms[i].Glyph.Width <= MaxGlyphWidth * lineHeight)
            {
                // A wide glyph cut into more atoms than a digit's run: whole, it may still be one flat digit.
                candidates.Add(new Candidate(i, end, atoms[i].Glyph));
            }
        }
        var straight = candidates.Count;
        for (var k = 0; k < straight; k++)
        {
            Bound(candidates); // before the rest are made: each looks at its glyph's strokes
            var candidate = candidates[k];
            bool cutLeft = CutBefore(atoms, candidate.First), cutRight = CutBefore(atoms, candidate.End);
            foreach (var overlap in Overlaps)
            {
                var reach = Math.Max(1, (int)Math.Round(overlap * lineHeight));
                foreach (var (left, right) in new[] { (reach, 0), (0, reach), (reach, reach) })
                {
                    if ((left > 0 && !cutLeft) || (right > 0 && !cutRight))
                    {
                        continue;
                    }
                    var box = candidate.Box;
                    var (first, last) = (atoms[candidate.First], atoms[candidate.End - 1]);
                    if (left > 0 && LineLayout.AtomBox(ink, first.Components, first.Left - left, first.Left) is { } leftBox)
                    {
                        box = box.Union(leftBox);
                    }
                    if (right > 0 && LineLayout.AtomBox(ink, last.Components, last.Right, last.Right + right) is { } rightBox)
                    {
                        box = box.Union(rightBox);
                    }
                    candidates.Add(candidate with { Box = box, ExtendLeft = left, ExtendRight = right });
                }
            }
        }
        Bound(candidates);
        return candidates;
    }

    private static void Bound(List<Candidate> candidates)
    {
        if (candidates.Count > MaxCandidates)
        {
            throw TooMany($"it is cut into more than {MaxCandidates} possible digits");
        }
    }

    /// <summary>Ink pixels of the glyph's strokes in column <paramref name="x"/>: how much stroke a cut there crosses.</summary>
    private static int ColumnInk(InkComponents ink, int[] glyph, int x)
    {
        var count = 0;
        foreach (var c in glyph)
        {
            var component = ink.Components[c];
            foreach (var run in ink.Runs.AsSpan(component.FirstRun, component.RunCount))
            {
                if (run.X0 <= x && x < run.X1)
                {
                    count++;
                }
            }
        }
        return count;
    }

    /// <summary>
    /// The candidate's ink alone (its atoms' strokes within their columns, on black with a margin), made an MNIST
    /// input as a single uploaded digit would be. False when it has too little contrast to be read.
    /// </summary>
    private static bool Preprocess(InkImage ink, InkComponents components, Atom[] atoms, Candidate candidate, Span<float> input)
    {
        var box = candidate.Box;
        using var crop = GrayImage.Rent(box.Width + 2 * Margin, box.Height + 2 * Margin, withAlpha: false);
        var pixels = crop.Gray;
        pixels.Clear();
        var levels = ink.Levels;
        byte peak = 0;
        for (var a = candidate.First; a < candidate.End; a++)
        {
            var atom = atoms[a];
            var (atomLeft, atomRight) = (a == candidate.First ? candidate.Left(atoms) : atom.Left, a == candidate.End - 1 ? candidate.Right(atoms) : atom.Right);
            foreach (var c in atom.Components)
            {
                var component = components.Components[c];
                foreach (var run in components.Runs.AsSpan(component.FirstRun, component.RunCount))
                {
                    if (run.X1 <= atomLeft || run.X0 >= atomRight)
                    {
                        continue;
                    }
                    // The run's fringe (levels under InkComponents.InkLevel) belongs to it as well: one pixel either side.
                    var x0 = Math.Max(Math.Max(run.X0 - 1, atomLeft), 0);
                    var x1 = Math.Min(Math.Min(run.X1 + 1, atomRight), ink.Width);
                    var source = levels.Slice(run.Y * ink.Width + x0, x1 - x0);
                    var target = pixels.Slice((run.Y - box.Y + Margin) * crop.Width + x0 - box.X + Margin, x1 - x0);
                    for (var x = 0; x < source.Length; x++)
                    {
                        target[x] = Math.Max(target[x], source[x]);
                        peak = Math.Max(peak, source[x]);
                    }
                }
            }
        }
        if (peak < MnistPreprocessor.MinContrast)
        {
            return false;
        }
        try
        {
            MnistPreprocessor.Process(crop, input);
        }
        catch (ImageRejectedException)
        {
            // A sliver a cut left: too little ink to scale. It can still be part of a neighbouring candidate.
            input.Clear();
            return false;
        }
        return true;
    }
}
