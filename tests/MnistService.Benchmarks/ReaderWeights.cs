using System.Collections.Concurrent;
using System.Globalization;
using MnistService.Api.ModelStore;
using MnistService.Core.Reading;
using MnistService.Testing;

namespace MnistService.Benchmarks;

/// <summary>
/// <c>reader-weights [MODEL] [--per-style N] [--train 7,9,11] [--validate 8] [--epochs 12]</c>: learns
/// <see cref="PieceScore.Weights"/> for a model by an averaged structured perceptron. Generated numbers
/// (<see cref="NumberImages"/>, every style, N per style and seed) are cut into candidate pieces and classified once
/// (<see cref="NumberReader.Pieces"/>); then, from zero weights, number by number, the best split under the current weights is found by
/// the same dynamic programming as the reader's, and when it does not read the number written, the weights move
/// toward the terms of the best-scoring split that does (w += η (Σ terms of that split − Σ terms of the split read)).
/// The average of the weights over all steps is printed as C# for <see cref="PieceScore"/>, with the figures on the
/// training and validation seeds after each epoch (<c>--epochs 0</c>: only those of the weights in the code, and the most
/// any weights could read). The test set's seed (2026) is never used here.
/// </summary>
public static class ReaderWeights
{
    private const double Rate = 0.5;

    internal sealed record Sample(string Written, NumberStyle Style, int Atoms, NumberReader.ScoredPiece[] Pieces);

    public static void Run(string[] args)
    {
        int[] Seeds(string name, string fallback) => [.. ReaderToolInputs.Option(args, name, fallback).Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
        var perStyle = ReaderToolInputs.Option(args, "--per-style", 400);
        var epochs = ReaderToolInputs.Option(args, "--epochs", 12);
        var loaded = ReaderToolInputs.Load(ReaderToolInputs.ModelPath(args));
        var train = Seeds("--train", "7,9,11").SelectMany(seed => Collect(loaded, seed, perStyle)).ToList();
        var validation = Seeds("--validate", "8").SelectMany(seed => Collect(loaded, seed, perStyle)).ToList();
        var current = PieceScore.Weights.ToArray();
        Console.WriteLine($"weights in the code: train {Figures(train, current)}; validation {Figures(validation, current)}");
        Console.WriteLine($"the most any score could read (some split of the candidates reads the number): train {BestPath(train)}; validation {BestPath(validation)}");
        if (epochs < 1)
        {
            loaded.Release();
            return; // --epochs 0: the figures of the weights in the code only
        }
        var learned = Learn(train, validation, epochs, PieceScore.TermCount);
        Console.WriteLine("public static ReadOnlySpan<double> Weights => [");
        for (var t = 0; t < learned.Length; t++)
        {
            var name = t < (int)PieceTerm.Digit0 ? ((PieceTerm)t).ToString() : $"Digit{t - (int)PieceTerm.Digit0}";
            Console.WriteLine($"    {learned[t].ToString("G5", CultureInfo.InvariantCulture)}, // {name}");
        }
        Console.WriteLine("];");
        loaded.Release();
    }

    /// <summary>
    /// The averaged perceptron's weights, from zero, over <paramref name="epochs"/> passes over <paramref name="train"/>,
    /// with the figures of both sets printed after each.
    /// </summary>
    internal static double[] Learn(List<Sample> train, List<Sample> validation, int epochs, int termCount)
    {
        var weights = new double[termCount];
        var sum = new double[weights.Length];
        var steps = 0L;
        var random = new Random(1);
        for (var epoch = 1; epoch <= epochs; epoch++)
        {
            foreach (var sample in train.OrderBy(_ => random.Next()).ToList())
            {
                var read = Split(sample, weights, constrained: false) ?? [];
                if (Text(read) != sample.Written && Split(sample, weights, constrained: true) is { } right)
                {
                    Move(weights, right, Rate);
                    Move(weights, read, -Rate);
                }
                for (var t = 0; t < weights.Length; t++)
                {
                    sum[t] += weights[t];
                }
                steps++;
            }
            var average = sum.Select(s => s / steps).ToArray();
            Console.WriteLine($"epoch {epoch}: train {Figures(train, average)}; validation {Figures(validation, average)}");
        }
        return sum.Select(s => s / steps).ToArray();
    }

    internal static List<Sample> Collect(LoadedModel model, int seed, int perStyle)
    {
        var decoder = ReaderToolInputs.ServiceDecoder();
        var samples = new ConcurrentBag<Sample>();
        foreach (var style in Enum.GetValues<NumberStyle>())
        {
            Parallel.ForEach(NumberImages.Generate(style, perStyle, seed).ToList(), new ParallelOptions { MaxDegreeOfParallelism = 2 }, number =>
            {
                using var image = decoder.Decode(number.Bytes, out _);
                var (atoms, pieces, _) = NumberReader.Pieces(image, model, PieceJudge.Shipped);
                samples.Add(new Sample(number.Text.Replace(" ", "", StringComparison.Ordinal), style, atoms, [.. pieces.OrderBy(p => p.End)]));
            });
        }
        return [.. samples.OrderBy(s => s.Style).ThenBy(s => s.Written, StringComparer.Ordinal)];
    }

    private static double Score(double[] weights, double[] terms)
    {
        var score = 0.0;
        for (var t = 0; t < terms.Length; t++)
        {
            score += weights[t] * terms[t];
        }
        return score;
    }

    /// <summary>
    /// The best-scoring split of the sample's atoms into pieces; <paramref name="constrained"/>: the best of those that
    /// read the number written (best[atom, digits read], null when none does).
    /// </summary>
    internal static List<NumberReader.ScoredPiece>? Split(Sample sample, double[] weights, bool constrained)
    {
        var length = constrained ? sample.Written.Length : 0;
        var best = new double[sample.Atoms + 1, length + 1];
        var last = new NumberReader.ScoredPiece?[sample.Atoms + 1, length + 1];
        for (var a = 0; a <= sample.Atoms; a++)
        {
            for (var p = 0; p <= length; p++)
            {
                best[a, p] = double.NegativeInfinity;
            }
        }
        best[0, 0] = 0;
        foreach (var piece in sample.Pieces)
        {
            var score = Score(weights, piece.Terms);
            var mark = piece.Digit == NumberReader.MarkDigit;
            for (var p = 0; p <= length; p++)
            {
                // A digit read moves on to the next digit written (and must be it); a mark left out reads none.
                var next = constrained && !mark ? p + 1 : p;
                if ((constrained && !mark && (p == length || sample.Written[p] - '0' != piece.Digit))
                    || double.IsNegativeInfinity(best[piece.First, p]) || best[piece.First, p] + score <= best[piece.End, next])
                {
                    continue;
                }
                best[piece.End, next] = best[piece.First, p] + score;
                last[piece.End, next] = piece;
            }
        }
        if (double.IsNegativeInfinity(best[sample.Atoms, length]))
        {
            return null;
        }
        var split = new List<NumberReader.ScoredPiece>();
        for (int end = sample.Atoms, p = length; end > 0;)
        {
            var piece = last[end, p]!;
            split.Add(piece);
            end = piece.First;
            p -= constrained && piece.Digit != NumberReader.MarkDigit ? 1 : 0;
        }
        split.Reverse();
        return split;
    }

    private static string Text(List<NumberReader.ScoredPiece> split) =>
        string.Concat(split.Where(p => p.Digit != NumberReader.MarkDigit).Select(p => (char)('0' + p.Digit)));

    private static void Move(double[] weights, List<NumberReader.ScoredPiece> split, double rate)
    {
        foreach (var piece in split)
        {
            for (var t = 0; t < weights.Length; t++)
            {
                weights[t] += rate * piece.Terms[t];
            }
        }
    }

    /// <summary>Per style, the numbers for which some split of the candidates reads the number written.</summary>
    private static string BestPath(List<Sample> samples) => string.Join(", ", samples.GroupBy(s => s.Style)
        .Select(g => $"{g.Key} {100.0 * g.Count(s => Split(s, new double[PieceScore.TermCount], constrained: true) is not null) / g.Count():F1} %"));

    /// <summary>Numbers read exactly per style, and digits right by edit distance over all.</summary>
    internal static string Figures(List<Sample> samples, double[] weights)
    {
        var read = samples.Select(s => (s, Text(Split(s, weights, constrained: false) ?? []))).ToList();
        var styles = read.GroupBy(r => r.s.Style).Select(g => $"{g.Key} {100.0 * g.Count(r => r.Item2 == r.s.Written) / g.Count():F1} %");
        var digits = samples.Sum(s => s.Written.Length);
        var errors = read.Sum(r => NumberImages.EditDistance(r.Item2, r.s.Written));
        return $"{string.Join(", ", styles)}, digits {100.0 * (digits - errors) / digits:F2} %";
    }
}
