using System.Globalization;
using MnistService.Core.Data;
using MnistService.Core.Imaging;
using MnistService.Core.Network;
using MnistService.Core.Onnx;
using MnistService.Core.Training;
using MnistService.Testing.NotADigit;

namespace MnistService.Benchmarks;

/// <summary>
/// <c>detector-comparison MODEL [MODEL...] [--misses]</c>: how well each way of scoring "is this a digit"
/// separates the generated non-digits from MNIST test digits uploaded as drawings, every score's threshold set to
/// reject the same fraction of the same validation digits (as they are, or redrawn like uploads) as the first model's
/// detector was calibrated on. The classifier's own
/// scores come from the first model; every model's detector is one more method. Prints a Markdown table per
/// method and kind (docs/not-a-digit.md); with --misses, also what the last discriminator lets through, by what it shows,
/// and the digit uploads it rejects, by label.
/// </summary>
public static class DetectorComparison
{
    private delegate float[] Scorer(float[] images, int count);

    public static void Run(string[] args)
    {
        var misses = args.Contains("--misses");
        var files = args.Where(a => a != "--misses").Select(OnnxModelReader.Read).ToList();
        var file = files[0];
        const int perKind = 200, digitCount = 2000;
        var target = file.Report.Detector?.ValidationRejectionTarget ?? DetectorTrainer.ValidationRejectionTarget;
        var mnist = Mnist.Load();
        var valCount = file.Report.Dataset.Validation;
        var trainCount = mnist.Train.Count - valCount;
        var validation = file.Report.Detector?.Calibration == DetectorReport.RedrawnCalibration
            ? DetectorTrainer.CalibrationDigits(mnist.Train.Images.AsSpan(trainCount * 784))
            : mnist.Train.Images.AsSpan(trainCount * 784).ToArray();
        var calibrationCount = validation.Length / 784;

        var classifier = new Classifier(file.Layers, mnist.Train.Images, mnist.Train.Labels, trainCount);
        var methods = new List<(string Name, Scorer Score)>
        {
            ("softmax confidence", classifier.Confidence),
            ("energy (log Σ e^logit)", classifier.Energy),
            ("distance to nearest class mean, last hidden layer", classifier.HiddenDistance),
        };
        foreach (var model in files.Where(f => f.Detector is not null))
        {
            var detector = model.DigitDetector()!;
            var report = model.Report.Detector!;
            var reads = report.Input == DetectorInput.Classifier ? $"dense_1 {detector.Network.Inputs}" : "784";
            var widths = $"{reads}-{string.Join("-", report.Hidden)}-{(detector.Network.Kind == DetectorKind.Autoencoder ? 784 : 1)}";
            methods.Add(($"{report.Method} {(report.Members > 1 ? $"{report.Members} × {widths}, averaged" : widths)}", (x, n) =>
            {
                var s = new float[n];
                detector.Score(x, n, s);
                return s;
            }));
        }
        if (methods.FirstOrDefault(m => m.Name.StartsWith("autoencoder", StringComparison.Ordinal)) is { Score: not null } autoencoder)
        {
            methods.Add(("autoencoder + energy (sum of z-scores)", Combine(validation, calibrationCount, autoencoder.Score, classifier.Energy)));
        }
        if (methods.FirstOrDefault(m => m.Name.StartsWith("discriminator", StringComparison.Ordinal)) is { Score: not null } discriminator)
        {
            // The discriminator's σ(z) saturates near 1 for digits; its logit z keeps their spread for the z-score.
            methods.Add(("discriminator logit + energy (sum of z-scores)",
                Combine(validation, calibrationCount, (x, n) => [.. discriminator.Score(x, n).Select(Logit)], classifier.Energy)));
        }

        var samples = NonDigitImages.Generate(perKind).Concat(DigitUploads.Generate(digitCount)).ToList();
        var decoder = new ImageDecoder(new ImageDecodeLimits(4096L * 4096, 4096));
        var inputs = new List<(UploadSample Sample, float[]? Pixels)>();
        foreach (var sample in samples)
        {
            using var image = decoder.Decode(sample.Bytes, out _);
            var pixels = new float[784];
            try
            {
                MnistPreprocessor.Process(image, pixels);
                inputs.Add((sample, pixels));
            }
            catch (ImageRejectedException e) when (e.Reason == ImageRejection.Blank)
            {
                inputs.Add((sample, null));
            }
        }
        var scored = inputs.Where(i => i.Pixels is not null).ToList();
        foreach (var (sample, _) in scored.Where(i => i.Sample.IsBlank).Take(5))
        {
            Console.WriteLine($"Not refused as blank: {sample.Name}");
        }
        var batch = scored.SelectMany(i => i.Pixels!).ToArray();
        var kinds = NonDigitImages.Kinds.Append(DigitUploads.Kind).ToList();

        var redrawn = file.Report.Detector?.Calibration == DetectorReport.RedrawnCalibration ? ", each redrawn with three pens like uploads" : "";
        Console.WriteLine($"Models {string.Join(", ", args.Select(Path.GetFileName))}; thresholds reject {target:0.0#%} of the {valCount:N0} validation digits{redrawn}; " +
                          $"{perKind} non-digits per kind, {digitCount} digit uploads; blank = 422 before any score.");
        Console.WriteLine();
        Table(methods, kinds, samples, inputs, scored, batch, score => Threshold(score(validation, calibrationCount), target));
        if (misses && methods.LastOrDefault(m => m.Name.StartsWith("discriminator", StringComparison.Ordinal) && !m.Name.Contains('+')) is { Score: not null } shipped)
        {
            Misses(shipped.Score(batch, scored.Count), Threshold(shipped.Score(validation, calibrationCount), target), scored);
        }
        Console.WriteLine();
        Console.WriteLine("Rejected = answered 'not a digit' (or 422 for blanks); for digits, lower is better.");
        Console.WriteLine();
        Console.WriteLine("With each threshold set instead to reject 1 % of the digit uploads themselves (the separation each score allows):");
        Console.WriteLine();
        Table(methods, kinds, samples, inputs, scored, batch, score =>
        {
            var scores = score(batch, scored.Count);
            return Threshold([.. scored.Select((i, k) => (i, k)).Where(p => p.i.Sample.Kind == DigitUploads.Kind).Select(p => scores[p.k])], 0.01);
        });
    }

    private static void Table(List<(string Name, Scorer Score)> methods, List<string> kinds, List<UploadSample> samples,
        List<(UploadSample Sample, float[]? Pixels)> inputs, List<(UploadSample Sample, float[]? Pixels)> scored, float[] batch, Func<Scorer, float> thresholdOf)
    {
        Console.WriteLine($"| method | {string.Join(" | ", kinds)} | all non-digits |");
        Console.WriteLine($"|---|{string.Concat(kinds.Select(_ => "---:|"))}---:|");
        foreach (var (name, score) in methods)
        {
            var threshold = thresholdOf(score);
            var scores = score(batch, scored.Count);
            var rejected = new HashSet<UploadSample>(scored.Where((_, k) => scores[k] < threshold).Select(i => i.Sample));
            rejected.UnionWith(inputs.Where(i => i.Pixels is null).Select(i => i.Sample));
            string Rate(Func<UploadSample, bool> which)
            {
                var all = samples.Where(which).ToList();
                return $"{100.0 * all.Count(rejected.Contains) / all.Count:0.0} %";
            }
            Console.WriteLine($"| {name} | {string.Join(" | ", kinds.Select(kind => Rate(s => s.Kind == kind)))} | {Rate(s => s.Kind != DigitUploads.Kind)} |");
        }
    }

    /// <summary>What the last discriminator lets through (non-digits by what they show) and the digits it rejects (by label).</summary>
    private static void Misses(float[] scores, float threshold, List<(UploadSample Sample, float[]? Pixels)> scored)
    {
        var judged = scored.Select((i, k) => (i.Sample, Rejected: scores[k] < threshold)).ToList();
        Console.WriteLine();
        Console.WriteLine("Non-digits answered as digits, by what they show:");
        foreach (var group in judged.Where(j => j.Sample.Kind != DigitUploads.Kind && !j.Rejected)
                     .GroupBy(j => $"{j.Sample.Kind}: {j.Sample.Name.Split(',')[0]}").OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"  {group.Count(),3}  {group.Key}");
        }
        var digits = judged.Where(j => j.Sample.Kind == DigitUploads.Kind && j.Rejected).GroupBy(j => j.Sample.Label).OrderBy(g => g.Key);
        Console.WriteLine($"Digit uploads rejected, by label: {string.Join(", ", digits.Select(g => $"{g.Key}: {g.Count()}"))}");
    }

    private static float Threshold(float[] validationScores, double fraction)
    {
        Array.Sort(validationScores);
        return ScorePercentile.At(validationScores, fraction * 100);
    }

    private static float Logit(float p)
    {
        p = Math.Clamp(p, 1e-7f, 1 - 1e-7f);
        return MathF.Log(p / (1 - p));
    }

    /// <summary>z(a) + z(b), each standardised by its mean and deviation on the validation digits.</summary>
    private static Scorer Combine(float[] validation, int valCount, Scorer a, Scorer b)
    {
        var (ma, sa) = Moments(a(validation, valCount));
        var (mb, sb) = Moments(b(validation, valCount));
        return (x, n) =>
        {
            var (sa2, sb2) = (a(x, n), b(x, n));
            return [.. Enumerable.Range(0, n).Select(k => (float)((sa2[k] - ma) / sa + (sb2[k] - mb) / sb))];
        };

        static (double Mean, double Deviation) Moments(float[] s)
        {
            var mean = s.Average(v => (double)v);
            return (mean, Math.Sqrt(s.Average(v => (v - mean) * (v - mean))));
        }
    }

    /// <summary>The classifier's logits and last hidden layer, computed from its stored layers.</summary>
    private sealed class Classifier
    {
        private readonly IReadOnlyList<DenseLayerParameters> _layers;
        private readonly float[][] _centroids;

        public Classifier(IReadOnlyList<DenseLayerParameters> layers, float[] trainImages, byte[] labels, int trainCount)
        {
            _layers = layers;
            var width = layers[^1].Inputs;
            var hidden = Forward(trainImages, trainCount, layers.Count - 1);
            _centroids = [.. Enumerable.Range(0, 10).Select(_ => new float[width])];
            var counts = new int[10];
            for (var r = 0; r < trainCount; r++)
            {
                counts[labels[r]]++;
                for (var j = 0; j < width; j++)
                {
                    _centroids[labels[r]][j] += hidden[r * width + j];
                }
            }
            for (var c = 0; c < 10; c++)
            {
                for (var j = 0; j < width; j++)
                {
                    _centroids[c][j] /= counts[c];
                }
            }
        }

        public float[] Confidence(float[] x, int n) => PerRow(Forward(x, n, _layers.Count), 10, z =>
        {
            var max = z.ToArray().Max();
            var sum = 0.0;
            foreach (var v in z)
            {
                sum += Math.Exp(v - max);
            }
            return (float)(1 / sum);
        });

        public float[] Energy(float[] x, int n) => PerRow(Forward(x, n, _layers.Count), 10, z =>
        {
            var max = z.ToArray().Max();
            var sum = 0.0;
            foreach (var v in z)
            {
                sum += Math.Exp(v - max);
            }
            return (float)(max + Math.Log(sum));
        });

        public float[] HiddenDistance(float[] x, int n)
        {
            var width = _layers[^1].Inputs;
            return PerRow(Forward(x, n, _layers.Count - 1), width, h =>
            {
                var nearest = float.MaxValue;
                foreach (var c in _centroids)
                {
                    var d = 0f;
                    for (var j = 0; j < width; j++)
                    {
                        d += (h[j] - c[j]) * (h[j] - c[j]);
                    }
                    nearest = Math.Min(nearest, d);
                }
                return -MathF.Sqrt(nearest);
            });
        }

        private delegate float RowScore(ReadOnlySpan<float> row);

        private static float[] PerRow(float[] values, int width, RowScore score) =>
            [.. Enumerable.Range(0, values.Length / width).Select(r => score(values.AsSpan(r * width, width)))];

        /// <summary>The output of the first <paramref name="depth"/> dense layers (hidden ones with relu; the last without softmax).</summary>
        private float[] Forward(float[] x, int n, int depth)
        {
            var current = x;
            for (var l = 0; l < depth; l++)
            {
                var layer = _layers[l];
                var next = new float[n * layer.Outputs];
                Parallel.For(0, n, r =>
                {
                    var row = next.AsSpan(r * layer.Outputs, layer.Outputs);
                    layer.Bias.CopyTo(row);
                    for (var i = 0; i < layer.Inputs; i++)
                    {
                        var v = current[r * layer.Inputs + i];
                        if (v == 0)
                        {
                            continue;
                        }
                        var w = layer.Weights.AsSpan(i * layer.Outputs, layer.Outputs);
                        for (var j = 0; j < row.Length; j++)
                        {
                            row[j] += v * w[j];
                        }
                    }
                    if (layer.Activation == "relu")
                    {
                        for (var j = 0; j < row.Length; j++)
                        {
                            row[j] = Math.Max(0, row[j]);
                        }
                    }
                });
                current = next;
            }
            return current;
        }
    }
}
