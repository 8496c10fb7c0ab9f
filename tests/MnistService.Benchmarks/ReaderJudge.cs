using System.Collections.Concurrent;
using MnistService.Api.ModelStore;
using MnistService.Core.Data;
using MnistService.Core.Network;
using MnistService.Core.Reading;
using MnistService.Core.Training;
using MnistService.Testing;

namespace MnistService.Benchmarks;

/// <summary>
/// <c>reader-judge [MODEL] [--numbers N] [--hidden 96] [--epochs 10] [--out FILE]</c>: trains the number reader's
/// <see cref="PieceJudge"/>. Numbers written with MNIST's <b>training</b> digits (N per style, seed 100) are cut into
/// candidate pieces and read by MODEL; a piece is whole when its run of atoms and its digit are those of the split that
/// reads the number written and scores best by <see cref="PieceScore.Weights"/> (the judge's own term left out); its
/// <see cref="PieceContext"/> window is what the judge reads. A discriminator (our <see cref="DetectorNetwork"/>) learns
/// whole against the rest with binary cross-entropy and Adam, the whole pieces repeated to balance the classes; how
/// often it is right is printed for numbers of test digits (seed 8), and the judge written to FILE (by default the one
/// the reader ships, src/MnistService.Core/Reading/PieceJudge.bin). Learn the reader's weights again after it
/// (<c>reader-weights</c>).
/// </summary>
public static class ReaderJudge
{
    private const int BatchSize = 128;
    private const int Seed = 5;

    public static void Run(string[] args)
    {
        var output = ReaderToolInputs.Option(args, "--out", Repo.PathOf("src/MnistService.Core/Reading/PieceJudge.bin"));
        var loaded = ReaderToolInputs.Load(ReaderToolInputs.ModelPath(args));
        var (examples, whole) = Examples(loaded, ReaderToolInputs.Option(args, "--numbers", 1500), 100, Mnist.Load().Train);
        Console.WriteLine($"{whole.Length:N0} pieces, {whole.Count(w => w == 1):N0} whole");
        var network = Train(examples, whole, ReaderToolInputs.Option(args, "--hidden", 96), ReaderToolInputs.Option(args, "--epochs", 10));
        var judge = new PieceJudge(network.GetParameters());
        var (validation, validationWhole) = Examples(loaded, 100, 8, digits: null);
        var scores = new float[validationWhole.Length];
        judge.Score(validation, scores.Length, scores);
        int Right(float label) => Enumerable.Range(0, scores.Length).Count(i => validationWhole[i] == label && (scores[i] >= 0.5) == (label == 1));
        int Count(float label) => validationWhole.Count(w => w == label);
        Console.WriteLine($"numbers of test digits (seed 8): whole pieces judged whole {100.0 * Right(1) / Count(1):F1} % of {Count(1):N0}, " +
            $"the rest judged not {100.0 * Right(0) / Count(0):F1} % of {Count(0):N0}");
        using (var stream = File.Create(output))
        {
            judge.Write(stream);
        }
        Console.WriteLine($"Wrote {output}");
        loaded.Release();
    }

    /// <summary>
    /// Every readable candidate's window of <paramref name="perStyle"/> numbers a style written with
    /// <paramref name="digits"/> (MNIST's test digits when null), and 1 where the piece is whole.
    /// </summary>
    private static (float[] Windows, float[] Whole) Examples(LoadedModel model, int perStyle, int seed, MnistSet? digits)
    {
        var decoder = ReaderToolInputs.ServiceDecoder();
        var weights = PieceScore.Weights.ToArray();
        weights[(int)PieceTerm.Whole] = 0;
        var rows = new ConcurrentBag<(int Order, float[] Windows, float[] Whole)>();
        var numbers = Enum.GetValues<NumberStyle>().SelectMany(style => NumberImages.Generate(style, perStyle, seed, digits: digits)).ToList();
        Parallel.For(0, numbers.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, n =>
        {
            using var image = decoder.Decode(numbers[n].Bytes, out _);
            var (atoms, pieces, windows) = NumberReader.Pieces(image, model, judge: null);
            var sample = new ReaderWeights.Sample(numbers[n].Text.Replace(" ", "", StringComparison.Ordinal), numbers[n].Style, atoms, [.. pieces.OrderBy(p => p.End)]);
            if (ReaderWeights.Split(sample, weights, constrained: true) is not { } gold)
            {
                return;
            }
            var right = gold.Select(p => (p.First, p.End, p.Digit)).ToHashSet();
            // The judge reads pieces as digits; a mark left out is no piece of its own.
            pieces = [.. pieces.Where(p => p.Digit != NumberReader.MarkDigit)];
            var values = new float[pieces.Length * PieceContext.Size];
            var label = new float[pieces.Length];
            for (var k = 0; k < pieces.Length; k++)
            {
                windows.AsSpan(pieces[k].Candidate * PieceContext.Size, PieceContext.Size).CopyTo(values.AsSpan(k * PieceContext.Size));
                label[k] = right.Contains((pieces[k].First, pieces[k].End, pieces[k].Digit)) ? 1 : 0;
            }
            rows.Add((n, values, label));
        });
        var ordered = rows.OrderBy(r => r.Order).ToList();
        return ([.. ordered.SelectMany(r => r.Windows)], [.. ordered.SelectMany(r => r.Whole)]);
    }

    private static DetectorNetwork Train(float[] examples, float[] whole, int hidden, int epochs)
    {
        const int Width = PieceContext.Size;
        var positives = Enumerable.Range(0, whole.Length).Where(i => whole[i] == 1).ToArray();
        var repeat = Math.Max(1, (whole.Length - positives.Length) / Math.Max(1, positives.Length));
        var order = Enumerable.Range(0, whole.Length).Concat(Enumerable.Repeat(positives, repeat - 1).SelectMany(p => p)).ToArray();
        var network = new DetectorNetwork(DetectorKind.Discriminator, Width, [hidden], Seed, threads: 2);
        var optimizer = Optimizer.Create(OptimizerKind.Adam, 0.001, threads: 2);
        var shuffle = new Rng(Seed);
        network.EnsureCapacity(BatchSize);
        var batch = new float[BatchSize * Width];
        var target = new float[BatchSize];
        for (var epoch = 1; epoch <= epochs; epoch++)
        {
            shuffle.Shuffle(order);
            double loss = 0;
            for (var start = 0; start < order.Length; start += BatchSize)
            {
                var rows = Math.Min(BatchSize, order.Length - start);
                for (var r = 0; r < rows; r++)
                {
                    examples.AsSpan(order[start + r] * Width, Width).CopyTo(batch.AsSpan(r * Width));
                    target[r] = whole[order[start + r]];
                }
                network.Forward(batch, rows);
                loss += network.Backward(batch, target, rows);
                optimizer.Step(network.ParameterBuffers);
            }
            Console.WriteLine($"epoch {epoch}: loss {loss / order.Length:F4}");
        }
        return network;
    }
}
