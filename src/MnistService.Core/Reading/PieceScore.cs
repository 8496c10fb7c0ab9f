using MnistService.Core.Training;

namespace MnistService.Core.Reading;

/// <summary>What is known of one candidate piece when it is scored, all lengths in line heights H.</summary>
/// <param name="probabilities">The classifier's ten probabilities for the piece.</param>
/// <param name="isDigit">Whether the model's digit-likeness score passes its threshold; null without a score.</param>
/// <param name="likeness">That score when it is a probability (a discriminator's); else null.</param>
/// <param name="wholeness">The <see cref="PieceJudge"/>'s probability that it is one whole digit; null without a judge.</param>
/// <param name="width">The piece's ink width.</param>
/// <param name="height">The piece's ink height.</param>
/// <param name="splitsNarrowGlyph">It ends at a cut inside a glyph narrower than <see cref="PieceScore.SplitWidth"/>.</param>
/// <param name="cuts">How many of its two edges are cuts inside a glyph.</param>
/// <param name="overlap">How far it reaches past its cuts into the neighbouring atoms, both sides together.</param>
/// <param name="leftInk">Ink pixels in its first column when that is a cut (the stroke the cut crosses), over H; else 0.</param>
/// <param name="rightInk">Ink pixels in its last column when that is a cut, over H; else 0.</param>
public readonly ref struct PieceFacts(ReadOnlySpan<float> probabilities, bool? isDigit, float? likeness, float? wholeness, double width, double height,
    bool splitsNarrowGlyph, int cuts, double overlap, double leftInk, double rightInk)
{
    public ReadOnlySpan<float> Probabilities { get; } = probabilities;
    public bool? IsDigit { get; } = isDigit;
    public float? Likeness { get; } = likeness;
    public float? Wholeness { get; } = wholeness;
    public double Width { get; } = width;
    public double Height { get; } = height;
    public bool SplitsNarrowGlyph { get; } = splitsNarrowGlyph;
    public int Cuts { get; } = cuts;
    public double Overlap { get; } = overlap;
    public double LeftInk { get; } = leftInk;
    public double RightInk { get; } = rightInk;
}

/// <summary>The terms of a piece's score, each weighed by <see cref="PieceScore.Weights"/>; d is the digit read.</summary>
public enum PieceTerm
{
    /// <summary>1 for every piece: what a split into more digits earns or pays.</summary>
    Bias,
    /// <summary>ln P(d).</summary>
    LnP,
    /// <summary>ln² P(d).</summary>
    LnPSquared,
    /// <summary>ln P(d) − ln P(runner-up), at most 8: how clearly d beats the next digit.</summary>
    Margin,
    /// <summary>ln P(runner-up).</summary>
    LnRunnerUp,
    /// <summary>P(runner-up).</summary>
    RunnerUp,
    /// <summary>The mean ln P of the nine digits other than d.</summary>
    LnOthers,
    /// <summary>
    /// z − 1 when the width is z &gt; 1 of MNIST's standard deviations over d's mean width (both over height); linear, not
    /// squared, so that a digit written flat (z up to 5) is not outweighed by its two halves.
    /// </summary>
    Wide,
    /// <summary>(−z − 1)² when it is narrower than the mean by more than one.</summary>
    Narrow,
    /// <summary>The width itself.</summary>
    Width,
    /// <summary>How much lower than <see cref="PieceScore.ShortPiece"/> it is.</summary>
    Short,
    /// <summary>1 when the detector calls it no digit.</summary>
    NotDigit,
    /// <summary>ln of the detector's digit probability.</summary>
    LnLikeness,
    /// <summary>That again for a piece reaching past a cut.</summary>
    LnLikenessOverlapping,
    /// <summary>1 when it ends at a cut inside a glyph narrower than <see cref="PieceScore.SplitWidth"/>.</summary>
    SplitsNarrowGlyph,
    /// <summary>How many of its edges are cuts.</summary>
    Cuts,
    /// <summary>How far it reaches past its cuts.</summary>
    Overlap,
    /// <summary>Ink its left cut crosses.</summary>
    LeftInk,
    /// <summary>Ink its right cut crosses.</summary>
    RightInk,
    /// <summary>The judge's log-odds that it is one whole digit, clamped to ±8, over 8 (<see cref="PieceJudge"/>).</summary>
    Whole,
    /// <summary>1 for a narrow mark left out of the number as a stray stroke; the mark terms are 0 for a digit, the others 0 for a mark.</summary>
    Mark,
    /// <summary>The mark's height.</summary>
    MarkHeight,
    /// <summary>The mark's width.</summary>
    MarkWidth,
    /// <summary>ln P of the digit the mark reads as.</summary>
    MarkLnP,
    /// <summary>The judge's log-odds that the mark is one whole digit, as <see cref="Whole"/>.</summary>
    MarkWhole,
    /// <summary>1 when d is 0; the nine terms after it for 1-9.</summary>
    Digit0,
}

/// <summary>
/// How likely a candidate piece is one whole digit: Σ weight·term over <see cref="PieceTerm"/>, the split of a line
/// into digits being the one whose pieces' scores sum highest.
/// </summary>
/// <remarks>
/// The classifier was trained with label smoothing, so P(d) of a clear digit and of a confidently read squeezed pair
/// of digits are both near 0.93: the margin over the runner-up and the other digits' probabilities tell them apart
/// where P(d) alone does not; the width for d, the detector and the cuts do the rest. The weights were learned by an
/// averaged structured perceptron on generated numbers of other seeds than the test set's (the benchmarks'
/// <c>reader-weights</c> command; docs/reading-numbers.md).
/// </remarks>
public static class PieceScore
{
    public const int TermCount = (int)PieceTerm.Digit0 + 10;
    /// <summary>A glyph narrower than this (in H) is most often one wide digit; splitting it is weighed.</summary>
    public const double SplitWidth = 1.8;
    public const double ShortPiece = 0.8;
    private const double MarginCap = 8;
    private const double WholeCap = 8;

    /// <summary>Width over height of each digit's ink box, mean and standard deviation, on the 60,000 MNIST training digits.</summary>
    private static readonly double[] WidthMean = [0.927, 0.468, 0.961, 0.831, 0.826, 0.964, 0.765, 0.810, 0.799, 0.716];
    private static readonly double[] WidthSpread = [0.158, 0.200, 0.188, 0.155, 0.156, 0.221, 0.153, 0.160, 0.161, 0.140];

    /// <summary>
    /// The weight of each <see cref="PieceTerm"/>, in its order: learned with the committed default model on seeds 7, 9
    /// and 11 (400 numbers per style each), 12 epochs, checked on seed 8. They depend on the model's probabilities and
    /// on the piece judge.
    /// </summary>
    public static ReadOnlySpan<double> Weights => [
        -3.5961, // Bias
        -2.556, // LnP
        -1.0509, // LnPSquared
        3.4403, // Margin
        -5.9963, // LnRunnerUp
        9.6119, // RunnerUp
        1.8433, // LnOthers
        -5.8677, // Wide
        -5.0118, // Narrow
        -17.597, // Width
        -16.043, // Short
        8.9623, // NotDigit
        7.5104, // LnLikeness
        1.4106, // LnLikenessOverlapping
        -7.3226, // SplitsNarrowGlyph
        -12.931, // Cuts
        -18.151, // Overlap
        -4.1732, // LeftInk
        1.8572, // RightInk
        22.013, // Whole
        0.07717, // Mark
        -3.6424, // MarkHeight
        -0.87667, // MarkWidth
        -1.2548, // MarkLnP
        -9.4152, // MarkWhole
        0.042535, // Digit0
        -3.1261, // Digit1
        -9.0603, // Digit2
        -0.77236, // Digit3
        3.9242, // Digit4
        1.2287, // Digit5
        2.9949, // Digit6
        -4.1121, // Digit7
        -0.63796, // Digit8
        5.9222, // Digit9
    ];

    /// <summary>The score of reading the piece as the digit the classifier gives it.</summary>
    public static double Of(in PieceFacts piece)
    {
        Span<double> terms = stackalloc double[TermCount];
        Terms(piece, terms);
        return Weighed(terms);
    }

    /// <summary>The score of leaving the piece, a narrow mark, out of the number (<see cref="MarkTerms"/>).</summary>
    public static double OfMark(in PieceFacts piece)
    {
        Span<double> terms = stackalloc double[TermCount];
        MarkTerms(piece, terms);
        return Weighed(terms);
    }

    private static double Weighed(ReadOnlySpan<double> terms)
    {
        var score = 0.0;
        var weights = Weights;
        for (var t = 0; t < TermCount; t++)
        {
            score += weights[t] * terms[t];
        }
        return score;
    }

    /// <summary>Writes the piece's <see cref="TermCount"/> terms, in <see cref="PieceTerm"/>'s order.</summary>
    public static void Terms(in PieceFacts piece, Span<double> terms)
    {
        terms.Clear();
        var p = piece.Probabilities;
        var digit = Trainer.ArgMax(p);
        var runnerUp = 0f;
        var lnOthers = 0.0;
        for (var d = 0; d < p.Length; d++)
        {
            if (d != digit)
            {
                runnerUp = Math.Max(runnerUp, p[d]);
                lnOthers += Ln(p[d]);
            }
        }
        var lnP = Ln(p[digit]);
        var z = (piece.Width - WidthMean[digit]) / WidthSpread[digit];
        var lnLikeness = piece.Likeness is { } likeness ? Math.Log(Math.Clamp(likeness, 1e-3, 1)) : 0;
        terms[(int)PieceTerm.Bias] = 1;
        terms[(int)PieceTerm.LnP] = lnP;
        terms[(int)PieceTerm.LnPSquared] = lnP * lnP;
        terms[(int)PieceTerm.Margin] = Math.Min(MarginCap, lnP - Ln(runnerUp));
        terms[(int)PieceTerm.LnRunnerUp] = Ln(runnerUp);
        terms[(int)PieceTerm.RunnerUp] = runnerUp;
        terms[(int)PieceTerm.LnOthers] = lnOthers / 9;
        terms[(int)PieceTerm.Wide] = Math.Max(0, z - 1);
        terms[(int)PieceTerm.Narrow] = Square(Math.Max(0, -z - 1));
        terms[(int)PieceTerm.Width] = piece.Width;
        terms[(int)PieceTerm.Short] = Math.Max(0, ShortPiece - piece.Height);
        terms[(int)PieceTerm.NotDigit] = piece.IsDigit == false ? 1 : 0;
        terms[(int)PieceTerm.LnLikeness] = lnLikeness;
        terms[(int)PieceTerm.LnLikenessOverlapping] = piece.Overlap > 0 ? lnLikeness : 0;
        terms[(int)PieceTerm.SplitsNarrowGlyph] = piece.SplitsNarrowGlyph ? 1 : 0;
        terms[(int)PieceTerm.Cuts] = piece.Cuts;
        terms[(int)PieceTerm.Overlap] = piece.Overlap;
        terms[(int)PieceTerm.LeftInk] = piece.LeftInk;
        terms[(int)PieceTerm.RightInk] = piece.RightInk;
        terms[(int)PieceTerm.Whole] = WholeLogOdds(piece);
        terms[(int)PieceTerm.Digit0 + digit] = 1;
    }

    /// <summary>
    /// Writes the terms of leaving the piece out as a stray mark: <see cref="PieceTerm.Mark"/> and the four after it,
    /// every other term 0.
    /// </summary>
    public static void MarkTerms(in PieceFacts piece, Span<double> terms)
    {
        terms.Clear();
        terms[(int)PieceTerm.Mark] = 1;
        terms[(int)PieceTerm.MarkHeight] = piece.Height;
        terms[(int)PieceTerm.MarkWidth] = piece.Width;
        terms[(int)PieceTerm.MarkLnP] = Ln(piece.Probabilities[Trainer.ArgMax(piece.Probabilities)]);
        terms[(int)PieceTerm.MarkWhole] = WholeLogOdds(piece);
    }

    private static double WholeLogOdds(in PieceFacts piece) =>
        piece.Wholeness is { } whole ? Math.Clamp(Math.Log(whole / Math.Max(1e-7, 1.0 - whole)), -WholeCap, WholeCap) / WholeCap : 0;

    private static double Square(double x) => x * x;

    private static double Ln(float probability) => Math.Log(Math.Max(probability, 1e-6f));
}
