using System.Text;
using MnistService.Core.Imaging;

namespace MnistService.Core.Reading;

/// <summary>
/// Reads a handwritten number: the line is over-segmented into atoms (<see cref="LineLayout"/>), every run of up to
/// <see cref="MaxAtomsPerDigit"/> neighbouring atoms that could be one digit becomes a candidate, each candidate is
/// made an MNIST input exactly as a single digit is (<see cref="MnistPreprocessor.Process(GrayImage, Span{float})"/>),
/// all candidates are classified in one batch, and dynamic programming picks the split of the atoms into digits whose
/// summed score is best.
/// </summary>
/// <remarks>
/// A candidate's score is ln P(its most probable digit) less <see cref="AmbiguityWeight"/> times the second most
/// probable digit's probability, plus priors relative to the line height H: how unusual its width is for the digit it
/// is read as (MNIST's width-to-height ratios per digit; wider than usual by <see cref="WidthWeight"/>, narrower by
/// <see cref="NarrowWeight"/>), lower than <see cref="ShortPiece"/>·H (<see cref="HeightPenalty"/> per H short);
/// with a digit-likeness score, one the model calls no digit costs <see cref="NotDigitPenalty"/>, and a probability
/// adds <see cref="DigitLikenessWeight"/>·ln(score); a piece ending at a cut inside a glyph narrower than
/// <see cref="SplitWidth"/>·H costs <see cref="CutPenalty"/>; every piece earns <see cref="PieceReward"/>. The
/// classifier alone reads a squeezed pair of digits or half a 0 with confidence; the priors are what make the whole
/// digit win. Atoms of different glyphs join into one digit only when they nearly touch (<see cref="JoinGap"/>): a
/// wider join read 4 and 1 standing close as one 4.
/// The weights were chosen by a search on generated numbers of another seed than the test set's
/// (docs/reading-numbers.md).
/// </remarks>
public static class NumberReader
{
    public const int MaxDigits = 64;
    /// <summary>Atoms (possible digit parts) one image may have: more cannot be at most <see cref="MaxDigits"/> digits.</summary>
    public const int MaxAtoms = MaxAtomsPerDigit * MaxDigits;
    public const int MaxAtomsPerDigit = 5;
    /// <summary>Widest candidate, in line heights.</summary>
    public const double MaxPieceWidth = 1.6;
    /// <summary>Atoms of different glyphs further apart than this (in line heights) are never one digit.</summary>
    public const double JoinGap = 0.02;
    /// <summary>A gap between digits wider than this (in line heights) is a space in the text.</summary>
    public const double GroupGap = 0.5;
    public const double WidthWeight = 0.25;
    public const double NarrowWeight = 0.25;
    /// <summary>
    /// Width over height of each digit's ink box, mean and standard deviation, measured on the 60,000 MNIST training
    /// digits: a 1 is about half as wide as it is tall, a 0, 2 or 5 about as wide.
    /// </summary>
    private static readonly double[] WidthMean = [0.927, 0.468, 0.961, 0.831, 0.826, 0.964, 0.765, 0.810, 0.799, 0.716];
    private static readonly double[] WidthSpread = [0.158, 0.200, 0.188, 0.155, 0.156, 0.221, 0.153, 0.160, 0.161, 0.140];
    public const double ShortPiece = 0.6;
    /// <summary>
    /// Splitting a glyph narrower than <see cref="SplitWidth"/>·H costs this: such a glyph is most often one wide
    /// digit, whose halves the classifier reads with more confidence than the whole.
    /// </summary>
    public const double CutPenalty = 0.5;
    public const double SplitWidth = 1.8;
    public const double HeightPenalty = 20;
    public const double NotDigitPenalty = 3;
    /// <summary>
    /// Weight of the runner-up digit's probability: a merged pair or a piece carrying a neighbour's stroke is often
    /// read as one digit with another close behind, a whole digit rarely.
    /// </summary>
    public const double AmbiguityWeight = 4;
    /// <summary>Weight of ln(digit score) when that score is a probability: a merged pair looks less digit-like.</summary>
    public const double DigitLikenessWeight = 0.5;
    /// <summary>What each digit of a split earns: without it, two touching digits read as one cost one term less.</summary>
    public const double PieceReward = 0.25;
    private const int Margin = 2;
    private const int InputSize = MnistPreprocessor.Side * MnistPreprocessor.Side;

    /// <exception cref="ImageRejectedException"><see cref="ImageRejection.Blank"/> when no digit is found,
    /// <see cref="ImageRejection.TooManyDigits"/> past <see cref="MaxDigits"/>.</exception>
    public static NumberReading Read(GrayImage image, IDigitClassifier classifier)
    {
        using var ink = MnistPreprocessor.ToInk(image);
        var components = InkComponents.Find(ink);
        if (components.Components.Length == 0)
        {
            throw new ImageRejectedException(ImageRejection.Blank, "No digit found: the image holds only faint marks.");
        }
        var layout = LineLayout.Of(components);
        var atoms = layout.Atoms;
        if (atoms.Length == 0)
        {
            throw new ImageRejectedException(ImageRejection.Blank, "No digit found: the image holds only specks and separators.");
        }
        if (atoms.Length > MaxAtoms)
        {
            throw TooMany($"it has more than {MaxAtoms} separate marks");
        }
        var candidates = Candidates(atoms, layout.LineHeight);
        var inputs = new float[candidates.Count * InputSize];
        for (var k = 0; k < candidates.Count; k++)
        {
            candidates[k] = candidates[k] with { Readable = Preprocess(ink, components, atoms, candidates[k], inputs.AsSpan(k * InputSize, InputSize)) };
        }
        var probabilities = new float[candidates.Count * 10];
        var scores = new float[candidates.Count];
        classifier.Classify(inputs, candidates.Count, probabilities, scores);
        var threshold = classifier.DigitScoreThreshold;

        var chosen = BestSplit(atoms.Length, candidates, k => Score(candidates[k], probabilities.AsSpan(k * 10, 10),
            threshold is { } t ? scores[k] >= t : null, classifier.DigitScoreIsProbability ? scores[k] : null, layout.LineHeight));
        if (chosen.Count > MaxDigits)
        {
            throw TooMany($"it holds {chosen.Count} digits");
        }
        var digits = chosen.Select(k => Digit(candidates[k], probabilities.AsSpan(k * 10, 10), inputs.AsSpan(k * InputSize, InputSize),
            threshold is null ? null : scores[k], threshold)).ToArray();
        return new NumberReading(Text(digits, layout.LineHeight), digits.Aggregate(1f, (p, d) => p * d.Confidence), digits);
    }

    private static ImageRejectedException TooMany(string why) => new(ImageRejection.TooManyDigits,
        $"Too many digits: at most {MaxDigits} are read from one image, and {why}.");

    /// <summary>
    /// Atoms [First, End) taken as one digit, with their ink box; whether it ends at a cut inside a glyph, and that
    /// glyph's width.
    /// </summary>
    private readonly record struct Candidate(int First, int End, PixelBox Box, bool CutsGlyph, int GlyphWidth, bool Readable = false);

    private static List<Candidate> Candidates(Atom[] atoms, double lineHeight)
    {
        Candidate Make(int first, int end, PixelBox box) => new(first, end, box,
            end < atoms.Length && ReferenceEquals(atoms[end].Components, atoms[end - 1].Components), atoms[end - 1].Glyph.Width);
        var candidates = new List<Candidate>();
        for (var i = 0; i < atoms.Length; i++)
        {
            var box = atoms[i].Box;
            candidates.Add(Make(i, i + 1, box));
            for (var j = i + 1; j < atoms.Length && j - i < MaxAtomsPerDigit; j++)
            {
                var sameGlyph = ReferenceEquals(atoms[j].Components, atoms[j - 1].Components);
                if (!sameGlyph && atoms[j].Box.X - box.Right > JoinGap * lineHeight)
                {
                    break;
                }
                box = box.Union(atoms[j].Box);
                if (box.Width > MaxPieceWidth * lineHeight)
                {
                    break;
                }
                candidates.Add(Make(i, j + 1, box));
            }
        }
        return candidates;
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
            foreach (var c in atom.Components)
            {
                var component = components.Components[c];
                foreach (var run in components.Runs.AsSpan(component.FirstRun, component.RunCount))
                {
                    if (run.X1 <= atom.Left || run.X0 >= atom.Right)
                    {
                        continue;
                    }
                    // The run's fringe (levels under InkComponents.InkLevel) belongs to it as well: one pixel either side.
                    var x0 = Math.Max(Math.Max(run.X0 - 1, atom.Left), 0);
                    var x1 = Math.Min(Math.Min(run.X1 + 1, atom.Right), ink.Width);
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

    private static double Score(Candidate candidate, ReadOnlySpan<float> probabilities, bool? isDigit, float? digitProbability, double lineHeight)
    {
        if (!candidate.Readable)
        {
            return -1e6;
        }
        var digit = 0;
        for (var d = 1; d < probabilities.Length; d++)
        {
            if (probabilities[d] > probabilities[digit])
            {
                digit = d;
            }
        }
        var runnerUp = 0f;
        for (var d = 0; d < probabilities.Length; d++)
        {
            if (d != digit)
            {
                runnerUp = Math.Max(runnerUp, probabilities[d]);
            }
        }
        var score = Math.Log(Math.Max(probabilities[digit], 1e-6f)) - AmbiguityWeight * runnerUp;
        // How unusual this width is for the digit read, in standard deviations beyond one: a squeezed pair of digits
        // read as one is wide for what it is read as, a fragment of a digit narrow. Narrowness weighs less: where
        // digits overlap, the cut leaves each a little narrower than written.
        var z = (candidate.Box.Width / lineHeight - WidthMean[digit]) / WidthSpread[digit];
        var wide = Math.Max(0, z - 1);
        var narrow = Math.Max(0, -z - 1);
        score -= 0.5 * (WidthWeight * wide * wide + NarrowWeight * narrow * narrow);
        score -= HeightPenalty * Math.Max(0, ShortPiece - candidate.Box.Height / lineHeight);
        if (isDigit == false)
        {
            score -= NotDigitPenalty;
        }
        if (digitProbability is { } likeness)
        {
            score += DigitLikenessWeight * Math.Log(Math.Clamp(likeness, 1e-3, 1));
        }
        if (candidate.CutsGlyph && candidate.GlyphWidth < SplitWidth * lineHeight)
        {
            score -= CutPenalty;
        }
        return score + PieceReward;
    }

    /// <summary>
    /// The split of atoms 0..n-1 into consecutive candidates with the highest summed score:
    /// best[j] = max over candidates [i, j) of best[i] + score, computed left to right.
    /// </summary>
    private static List<int> BestSplit(int atomCount, List<Candidate> candidates, Func<int, double> score)
    {
        var best = new double[atomCount + 1];
        var last = new int[atomCount + 1];
        Array.Fill(best, double.NegativeInfinity);
        best[0] = 0;
        // Taken in order of their end, so best[First] is final when a candidate starting there is scored.
        var byEnd = Enumerable.Range(0, candidates.Count).OrderBy(k => candidates[k].End).ToArray();
        foreach (var k in byEnd)
        {
            var candidate = candidates[k];
            var total = best[candidate.First] + score(k);
            if (total > best[candidate.End])
            {
                best[candidate.End] = total;
                last[candidate.End] = k;
            }
        }
        var chosen = new List<int>();
        for (var end = atomCount; end > 0; end = candidates[last[end]].First)
        {
            chosen.Add(last[end]);
        }
        chosen.Reverse();
        return chosen;
    }

    private static ReadDigit Digit(Candidate candidate, ReadOnlySpan<float> probabilities, ReadOnlySpan<float> input, float? digitScore, float? threshold)
    {
        var digit = 0;
        for (var d = 1; d < probabilities.Length; d++)
        {
            if (probabilities[d] > probabilities[digit])
            {
                digit = d;
            }
        }
        return new ReadDigit(digit, probabilities[digit], probabilities.ToArray(), digitScore, threshold is null ? null : digitScore >= threshold, candidate.Box, input.ToArray());
    }

    private static string Text(ReadDigit[] digits, double lineHeight)
    {
        var text = new StringBuilder(digits.Length * 2);
        for (var i = 0; i < digits.Length; i++)
        {
            if (i > 0 && digits[i].Box.X - digits[i - 1].Box.Right > GroupGap * lineHeight)
            {
                text.Append(' ');
            }
            text.Append((char)('0' + digits[i].Digit));
        }
        return text.ToString();
    }
}
