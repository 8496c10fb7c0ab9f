using System.Buffers;
using System.Text;
using MnistService.Core.Imaging;
using MnistService.Core.Training;

namespace MnistService.Core.Reading;

/// <summary>
/// Reads a handwritten number: the line is over-segmented into atoms (<see cref="LineLayout"/>), every run of up to
/// <see cref="MaxAtomsPerDigit"/> neighbouring atoms that could be one digit becomes a candidate (so does a glyph whole,
/// however many atoms it was cut into), each candidate is
/// made an MNIST input exactly as a single digit is (<see cref="MnistPreprocessor.Process(GrayImage, Span{float})"/>),
/// all candidates are classified in one batch, and dynamic programming picks the split of the atoms into digits whose
/// summed score is best; a digit of it read with little confidence is read again (<see cref="SecondLook"/>).
/// </summary>
/// <remarks>
/// Where digits touch or overlap, a straight cut leaves each piece a little of its neighbour or short of its own
/// stroke; so a piece whose edge is a cut is also tried reaching <see cref="Overlaps"/>·H past it (overlapping digits
/// share ink, and the overlap is given to both), and the split takes whichever reading scores best. Atoms of different
/// glyphs join into one digit only when they nearly touch (<see cref="JoinGap"/>): a wider join read 4 and 1 standing
/// close as one 4. A narrow glyph standing alone may instead be left out as a stray mark (<see cref="MarkWidth"/>).
/// <see cref="PieceScore"/> scores each piece and each mark left out.
/// </remarks>
public static partial class NumberReader
{
    public const int MaxDigits = 64;
    /// <summary>Atoms (possible digit parts) one image may have: more cannot be at most <see cref="MaxDigits"/> digits.</summary>
    public const int MaxAtoms = MaxAtomsPerDigit * MaxDigits;
    public const int MaxAtomsPerDigit = 5;
    /// <summary>Strokes bigger than dust one image may have: four an atom, for digits of several strokes and separators.</summary>
    public const int MaxStrokes = 4 * MaxAtoms;
    /// <summary>Candidate pieces one image may have: forty a digit (a touching number has about twenty-five).</summary>
    public const int MaxCandidates = 40 * MaxDigits;
    /// <summary>A line taller than this (in pixels) is read from its ink shrunk by a whole factor.</summary>
    public const double MaxLineHeight = 96;
    /// <summary>Widest candidate with a cut at an edge, in line heights: where digits touch, wider runs are pairs.</summary>
    public const double MaxPieceWidth = 1.6;
    /// <summary>Widest candidate that is whole glyphs (a 5 or a 2 written flat is twice as wide as high), in line heights.</summary>
    public const double MaxGlyphWidth = 2.2;
    /// <summary>Atoms of different glyphs further apart than this (in line heights) are never one digit.</summary>
    public const double JoinGap = 0.02;
    /// <summary>A gap between digits wider than this (in line heights) is a space in the text.</summary>
    public const double GroupGap = 0.5;
    /// <summary>
    /// A glyph no wider than this (in line heights) may be a stray stroke (MNIST's crops carry slivers of their
    /// neighbours), which the split may leave out of the number at a learned cost.
    /// </summary>
    public const double MarkWidth = 0.25;
    /// <summary>The digit of a <see cref="ScoredPiece"/> that is a mark left out.</summary>
    internal const int MarkDigit = -1;
    /// <summary>
    /// How far (in line heights) a piece is also tried past a cut at its edge, into its neighbour: the generated
    /// touching digits overlap by up to a fifth of a digit's width.
    /// </summary>
    private static readonly double[] Overlaps = [0.08, 0.16];
    /// <summary>The score of a piece too faint or thin to classify: any split avoids it, yet one always exists.</summary>
    private const double Unreadable = -1e6;
    private const int Margin = 2;
    private const int InputSize = MnistPreprocessor.Side * MnistPreprocessor.Side;

    /// <exception cref="ImageRejectedException"><see cref="ImageRejection.Blank"/> when no digit is found,
    /// <see cref="ImageRejection.TooManyDigits"/> past <see cref="MaxDigits"/>.</exception>
    public static NumberReading Read(GrayImage image, IDigitClassifier classifier)
    {
        var analysis = Analyse(image, classifier, PieceJudge.Shipped, keepWindows: false);
        var candidates = analysis.Candidates;
        var atomCount = analysis.Layout.Atoms.Length;
        // Step s < n reads candidate s as its digit; step n + m leaves mark m out.
        int[] candidateOf = [.. Enumerable.Range(0, candidates.Count), .. analysis.Marks()];
        var steps = candidateOf.Select(k => (candidates[k].First, candidates[k].End)).ToArray();
        double AsDigit(int k) => candidates[k].Readable ? PieceScore.Of(analysis.Facts(k)) : Unreadable;
        var split = BestSplit(atomCount, steps, s => s < candidates.Count ? AsDigit(s) : PieceScore.OfMark(analysis.Facts(candidateOf[s])));
        if (split.All(s => s >= candidates.Count))
        {
            // Every mark left out reads no number: the line is its marks, read as digits.
            split = BestSplit(atomCount, steps[..candidates.Count], AsDigit);
        }
        var chosen = split.Where(s => s < candidates.Count).ToList();
        if (chosen.Count > MaxDigits)
        {
            throw TooMany($"it holds {chosen.Count} digits");
        }
        var digits = SecondLook([.. chosen.Select(analysis.Digit)], [.. chosen.Select(k => analysis.IsWholeGlyphs(k))], classifier);
        // A mark left out still stands where it was written: no group gap across it.
        var ink = split.Select(s => (candidates[candidateOf[s]].Box, IsDigit: s < candidates.Count));
        return new NumberReading(Text(digits, ink, analysis.Layout.LineHeight), digits.Aggregate(1f, (p, d) => p * d.Confidence), digits);
    }

    /// <summary>
    /// A candidate piece as <see cref="PieceScore"/> sees it: atoms [First, End), the digit read (<see cref="MarkDigit"/>
    /// for a mark left out), its terms, and its index among the image's candidates (its <see cref="PieceContext"/> window's).
    /// </summary>
    internal sealed record ScoredPiece(int First, int End, int Digit, double[] Terms, int Candidate);

    /// <summary>
    /// Every readable candidate piece of the image with its terms, and how many atoms the line has: what learning
    /// <see cref="PieceScore.Weights"/> needs (a split is a path of pieces from atom 0 to the last); and every
    /// candidate's <see cref="PieceContext"/> window, what training a <see cref="PieceJudge"/> needs. Without a judge
    /// the pieces' <see cref="PieceTerm.Whole"/> is 0.
    /// </summary>
    internal static (int Atoms, ScoredPiece[] Pieces, float[] Windows) Pieces(GrayImage image, IDigitClassifier classifier, PieceJudge? judge)
    {
        var analysis = Analyse(image, classifier, judge, keepWindows: true);
        var pieces = new List<ScoredPiece>();
        for (var k = 0; k < analysis.Candidates.Count; k++)
        {
            if (analysis.Candidates[k].Readable)
            {
                var terms = new double[PieceScore.TermCount];
                PieceScore.Terms(analysis.Facts(k), terms);
                pieces.Add(new ScoredPiece(analysis.Candidates[k].First, analysis.Candidates[k].End, Trainer.ArgMax(analysis.Probabilities(k)), terms, k));
            }
        }
        foreach (var k in analysis.Marks())
        {
            var terms = new double[PieceScore.TermCount];
            PieceScore.MarkTerms(analysis.Facts(k), terms);
            pieces.Add(new ScoredPiece(analysis.Candidates[k].First, analysis.Candidates[k].End, MarkDigit, terms, k));
        }
        return (analysis.Layout.Atoms.Length, [.. pieces], analysis.Windows!);
    }

    /// <summary>
    /// The image's line cut into atoms, and every candidate piece preprocessed and classified (one batch) and, with a
    /// <paramref name="judge"/>, judged in its surroundings (one batch); the windows the judge read are kept when asked.
    /// </summary>
    private static Analysis Analyse(GrayImage image, IDigitClassifier classifier, PieceJudge? judge, bool keepWindows)
    {
        var ink = MnistPreprocessor.ToInk(image);
        try
        {
            var (components, layout) = LayOut(ink);
            // The network reads a digit 20 pixels high: a taller line is read from its ink shrunk by a whole factor, which
            // bounds what each candidate costs (its crop, its preprocessing, its window) whatever the upload's resolution.
            var scale = (int)Math.Ceiling(layout.LineHeight / MaxLineHeight);
            if (scale > 1)
            {
                var full = ink;
                ink = full.Shrunk(scale);
                full.Dispose();
                (components, layout) = LayOut(ink);
            }
            return Analyse(ink, components, layout, scale, (image.Width, image.Height), classifier, judge, keepWindows);
        }
        finally
        {
            ink.Dispose();
        }
    }

    /// <param name="scale">How many of the image's pixels a pixel of <paramref name="ink"/> is, each way.</param>
    private static Analysis Analyse(InkImage ink, InkComponents components, LineLayout layout, int scale, (int Width, int Height) imageSize,
        IDigitClassifier classifier, PieceJudge? judge, bool keepWindows)
    {
        var atoms = layout.Atoms;
        var candidates = Candidates(atoms, layout.LineHeight, components);
        var inputs = new float[candidates.Count * InputSize];
        for (var k = 0; k < candidates.Count; k++)
        {
            candidates[k] = candidates[k] with { Readable = Preprocess(ink, components, atoms, candidates[k], inputs.AsSpan(k * InputSize, InputSize)) };
        }
        var probabilities = new float[candidates.Count * 10];
        var scores = new float[candidates.Count];
        classifier.Classify(inputs, candidates.Count, probabilities, scores);
        // 4.8 kB a candidate, several hundred where digits touch: pooled unless kept.
        var windows = keepWindows ? new float[candidates.Count * PieceContext.Size] : ArrayPool<float>.Shared.Rent(candidates.Count * PieceContext.Size);
        float[]? wholeness = null;
        try
        {
            using var context = new PieceContext(ink, layout.LineHeight);
            for (var k = 0; k < candidates.Count; k++)
            {
                context.Write(candidates[k].Left(atoms), candidates[k].Right(atoms), candidates[k].Box, windows.AsSpan(k * PieceContext.Size, PieceContext.Size));
            }
            if (judge is not null)
            {
                wholeness = new float[candidates.Count];
                judge.Score(windows, candidates.Count, wholeness);
            }
        }
        finally
        {
            if (!keepWindows)
            {
                ArrayPool<float>.Shared.Return(windows);
            }
        }
        return new Analysis(layout, components, candidates, inputs, probabilities, scores, classifier.DigitScoreThreshold, classifier.DigitScoreIsProbability,
            keepWindows ? windows : null, wholeness, scale, imageSize);
    }

    /// <summary>The ink's strokes and its line, or why it holds no number the reader takes.</summary>
    private static (InkComponents Components, LineLayout Layout) LayOut(InkImage ink)
    {
        var components = InkComponents.Find(ink);
        if (components.Components.Length == 0)
        {
            throw new ImageRejectedException(ImageRejection.Blank, "No digit found: the image holds only faint marks.");
        }
        var layout = LineLayout.Of(components, MaxStrokes) ?? throw TooMany($"it has more than {MaxStrokes} separate strokes");
        if (layout.Atoms.Length == 0)
        {
            throw new ImageRejectedException(ImageRejection.Blank, "No digit found: the image holds only specks and separators.");
        }
        if (layout.Atoms.Length > MaxAtoms)
        {
            throw TooMany($"it has more than {MaxAtoms} separate marks");
        }
        return (components, layout);
    }

    /// <summary>The candidates of one image with the network's answers for each (<see cref="Analyse"/>).</summary>
    private sealed record Analysis(LineLayout Layout, InkComponents Ink, List<Candidate> Candidates, float[] Inputs, float[] AllProbabilities,
        float[] DigitScores, float? Threshold, bool ScoreIsProbability, float[]? Windows, float[]? Wholeness, int Scale, (int Width, int Height) Image)
    {
        public ReadOnlySpan<float> Probabilities(int k) => AllProbabilities.AsSpan(k * 10, 10);

        /// <summary>The candidates that are a whole glyph of one atom no wider than <see cref="MarkWidth"/>: marks the split may leave out.</summary>
        public int[] Marks()
        {
            var lineHeight = Layout.LineHeight;
            return [.. Enumerable.Range(0, Candidates.Count).Where(k => Candidates[k] is { Readable: true, ExtendLeft: 0, ExtendRight: 0 } candidate
                && candidate.End == candidate.First + 1 && IsWholeGlyphs(k) && candidate.Box.Width <= MarkWidth * lineHeight)];
        }

        /// <summary>What <see cref="PieceScore"/> weighs of candidate <paramref name="k"/>.</summary>
        public PieceFacts Facts(int k)
        {
            var (candidate, atoms, lineHeight) = (Candidates[k], Layout.Atoms, Layout.LineHeight);
            bool cutLeft = CutBefore(atoms, candidate.First), cutRight = CutBefore(atoms, candidate.End);
            var (first, last) = (atoms[candidate.First], atoms[candidate.End - 1]);
            return new PieceFacts(Probabilities(k), Threshold is { } t ? DigitScores[k] >= t : null, ScoreIsProbability ? DigitScores[k] : null, Wholeness?[k],
                candidate.Box.Width / lineHeight, candidate.Box.Height / lineHeight,
                cutRight && last.Glyph.Width < PieceScore.SplitWidth * lineHeight, (cutLeft ? 1 : 0) + (cutRight ? 1 : 0),
                (candidate.ExtendLeft + candidate.ExtendRight) / lineHeight,
                cutLeft ? ColumnInk(Ink, first.Components, candidate.Left(atoms)) / lineHeight : 0,
                cutRight ? ColumnInk(Ink, last.Components, candidate.Right(atoms) - 1) / lineHeight : 0);
        }

        /// <summary>Whether candidate <paramref name="k"/> is whole glyphs: no cut inside a glyph at either edge.</summary>
        public bool IsWholeGlyphs(int k) => !CutBefore(Layout.Atoms, Candidates[k].First) && !CutBefore(Layout.Atoms, Candidates[k].End);

        public ReadDigit Digit(int k)
        {
            var probabilities = Probabilities(k);
            var digit = Trainer.ArgMax(probabilities);
            float? score = Threshold is null ? null : DigitScores[k];
            return new ReadDigit(digit, probabilities[digit], probabilities.ToArray(), score, Threshold is { } t ? score >= t : null, InImage(Candidates[k].Box),
                Inputs.AsSpan(k * InputSize, InputSize).ToArray());
        }

        /// <summary>A box of the (perhaps shrunk) ink in the uploaded image's pixels.</summary>
        public PixelBox InImage(PixelBox box) => Scale == 1 ? box : PixelBox.FromEdges(box.X * Scale, box.Y * Scale,
            Math.Min(box.Right * Scale, Image.Width), Math.Min(box.Bottom * Scale, Image.Height));
    }

    private static ImageRejectedException TooMany(string why) => new(ImageRejection.TooManyDigits,
        $"Too many digits: at most {MaxDigits} are read from one image, and {why}.");

    /// <summary>
    /// The split of atoms 0..n-1 into consecutive steps (a step covers atoms [First, End)) with the highest summed
    /// score, as step indexes: best[j] = max over steps [i, j) of best[i] + score, computed left to right.
    /// </summary>
    private static List<int> BestSplit(int atomCount, (int First, int End)[] steps, Func<int, double> score)
    {
        var best = new double[atomCount + 1];
        var last = new int[atomCount + 1];
        Array.Fill(best, double.NegativeInfinity);
        best[0] = 0;
        // Taken in order of their end, so best[First] is final when a step starting there is scored.
        var byEnd = Enumerable.Range(0, steps.Length).OrderBy(s => steps[s].End).ToArray();
        foreach (var s in byEnd)
        {
            var total = best[steps[s].First] + score(s);
            if (total > best[steps[s].End])
            {
                best[steps[s].End] = total;
                last[steps[s].End] = s;
            }
        }
        var chosen = new List<int>();
        for (var end = atomCount; end > 0; end = steps[last[end]].First)
        {
            chosen.Add(last[end]);
        }
        chosen.Reverse();
        return chosen;
    }

    /// <summary>The digits left to right, with a space where the paper between a digit and the ink before it is wider than <see cref="GroupGap"/>·H.</summary>
    /// <param name="ink">The split's steps in order: the digits' boxes and the boxes of the marks left out.</param>
    private static string Text(ReadDigit[] digits, IEnumerable<(PixelBox Box, bool IsDigit)> ink, double lineHeight)
    {
        var text = new StringBuilder(digits.Length * 2);
        var digit = 0;
        int? inkRight = null; // the right edge of the last digit, or of a mark after it
        foreach (var (box, isDigit) in ink)
        {
            if (isDigit)
            {
                if (inkRight is { } right && box.X - right > GroupGap * lineHeight)
                {
                    text.Append(' ');
                }
                text.Append((char)('0' + digits[digit++].Digit));
            }
            inkRight = digit > 0 ? box.Right : null;
        }
        return text.ToString();
    }
}
