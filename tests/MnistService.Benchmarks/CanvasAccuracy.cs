using MnistService.Api.ModelStore;
using MnistService.Core.Imaging;
using MnistService.Core.Training;
using MnistService.Testing;

namespace MnistService.Benchmarks;

/// <summary>
/// <c>canvas-accuracy MODEL [MODEL...]</c>: all 10,000 MNIST test digits as canvas-like uploads
/// (<see cref="TestImages.CanvasLike"/>: large, off centre, thin/as-written/thick pens, JPEG or transparent PNG),
/// decoded and preprocessed by the service's own code and classified by each model's ONNX Runtime session, as
/// <c>POST /predict</c> does, for two sets: the one <c>AccuracyTests</c> samples (seed = index) and a second
/// (seed = 100,000 + index) to tell a gain from the noise. Prints a Markdown row per model and set: the share read
/// right by pen, by format and in all, and the share the model's detector takes for non-digits.
/// </summary>
public static class CanvasAccuracy
{
    public static void Run(string[] args)
    {
        var models = args.Select(path => LoadedModel.Load(Path.GetFileNameWithoutExtension(path), path,
            ModelFileStamp.Of(new FileInfo(path)), File.ReadAllBytes(path), new ModelsOptions())).ToList();
        var sets = new[] { ("first set", 0), ("second set", 100_000) }.Select(s => (s.Item1, Inputs(s.Item2))).ToList();
        Console.WriteLine("| model | set | as written | thin | thick | JPEG | PNG | all 10,000 | taken for non-digits |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var model in models)
        {
            foreach (var (name, (inputs, pens, jpeg)) in sets)
            {
                var count = MnistTestSet.Labels.Length;
                var probabilities = new float[count * LoadedModel.Classes];
                var digitScores = new float[count];
                model.Classify(inputs, count, probabilities, digitScores);
                var right = Enumerable.Range(0, count).Select(i => Trainer.ArgMax(probabilities.AsSpan(i * 10, 10)) == MnistTestSet.Labels[i]).ToArray();
                string Share(Func<int, bool> where)
                {
                    var chosen = Enumerable.Range(0, count).Where(where).ToList();
                    return $"{(double)chosen.Count(i => right[i]) / chosen.Count:P2}";
                }
                var cells = Enumerable.Range(0, 3).Select(p => Share(i => pens[i] == p))
                    .Append(Share(i => jpeg[i])).Append(Share(i => !jpeg[i])).Append($"**{Share(_ => true)}**")
                    .Append(model.DigitScoreThreshold is { } threshold ? $"{(double)digitScores.Count(s => s < threshold) / count:P2}" : "no detector");
                Console.WriteLine($"| {model.Name} | {name} | {string.Join(" | ", cells)} |");
            }
        }
    }

    /// <summary>The network's input for every test digit drawn canvas-like from seed <paramref name="seedBase"/> + index, with its pen and format.</summary>
    private static (float[] Inputs, int[] Pens, bool[] Jpeg) Inputs(int seedBase)
    {
        var count = MnistTestSet.Labels.Length;
        var inputs = new float[count * 784];
        var pens = new int[count];
        var jpeg = new bool[count];
        var decoder = new ImageDecoder(new ImageDecodeLimits(4096L * 4096, 4096));
        Parallel.For(0, count, i =>
        {
            // CanvasLike draws placement, pen and format from the stream in this order.
            var random = new Random(seedBase + i);
            _ = TestImages.Placement.Random(random);
            pens[i] = random.Next(3);
            var (bytes, type) = TestImages.CanvasLike(MnistTestSet.Images[i], new Random(seedBase + i));
            jpeg[i] = type == "image/jpeg";
            using var image = decoder.Decode(bytes, out _);
            MnistPreprocessor.Process(image, inputs.AsSpan(i * 784, 784));
        });
        return (inputs, pens, jpeg);
    }
}
