using System.Diagnostics;
using MnistService.Core.Imaging;
using MnistService.Core.Network;
using MnistService.Core.Onnx;

namespace MnistService.Core.Training;

/// <summary>A trained digit detector and its calibration.</summary>
public sealed record TrainedDetector(DetectorNetwork Network, DetectorReport Report);

/// <summary>
/// Trains the <see cref="DetectorNetwork"/>: the discriminator on what the classifier's first dense layer makes of the
/// training digits redrawn with other pens and preprocessed as uploads are (digits), against generated non-digits from
/// <see cref="NonDigitSynthesizer"/>, several discriminators one after the other, averaged into one network; the
/// autoencoder on the training digits' pixels. Then sets the threshold so that <see cref="ValidationRejectionTarget"/>
/// of the validation digits, redrawn the same way (<see cref="CalibrationDigits"/>), fall below it.
/// </summary>
public static class DetectorTrainer
{
    /// <summary>
    /// The fraction of the redrawn validation digits (<see cref="CalibrationDigits"/>) the threshold rejects. The
    /// validation digits come from the training digits' writers; new writers' digits score lower (MNIST's test digits
    /// as they are: two to three times as many below the threshold). Measured with the default detector and seeds 42, 7
    /// and 1: 0.35 % rejected 0.7-1.0 % of the comparison set's digit uploads; 0.3 % rejected 0.6 % and about a point
    /// fewer non-digits.
    /// </summary>
    public const double ValidationRejectionTarget = 0.0035;

    /// <summary>
    /// A member after the first draws this many times as many non-digits as digits and keeps the most digit-like of
    /// them (hard negatives). Measured: a pool of three separates about a point better than fresh non-digits alone.
    /// </summary>
    private const int HardNegativePool = 3;

    private const int Pixels = Trainer.ImagePixels;
    private const int BatchSize = 128;
    private const double LearningRate = 0.001;
    private const int DrawChunk = 2048;

    /// <summary>What a detector of <paramref name="kind"/> reads: the discriminator the classifier's first dense product, the autoencoder (which reproduces it) the image.</summary>
    public static DetectorInput InputOf(DetectorKind kind) => kind == DetectorKind.Discriminator ? DetectorInput.Classifier : DetectorInput.Image;

    /// <summary>
    /// The digits a threshold is calibrated on: each of the <paramref name="validation"/> digits (count·784 MNIST pixels)
    /// redrawn at 56x56 with a thinner, the same and a thicker pen and preprocessed, as uploads are (3·count images: the
    /// tail that sets the threshold is three times as many images as with one pen each, and the same for every model).
    /// </summary>
    public static float[] CalibrationDigits(ReadOnlySpan<float> validation)
    {
        var count = validation.Length / Pixels;
        var redrawn = new float[3 * count * Pixels];
        new NonDigitSynthesizer(seed: 0).RedrawnWithEveryPen(validation, redrawn, count);
        return redrawn;
    }

    /// <param name="images">count·784 pixels in [0, 1]; the first <paramref name="trainCount"/> train, the rest calibrate.</param>
    /// <param name="testImages">The MNIST test images, for the report's test rejection rate.</param>
    /// <param name="classifier">The trained classifier, whose first dense product the discriminator reads.</param>
    /// <exception cref="OperationCanceledException">Cancelled; checked between batches.</exception>
    /// <exception cref="TrainingDivergedException">An epoch's loss was NaN or infinite.</exception>
    public static TrainedDetector Train(float[] images, int trainCount, float[] testImages, TrainingSettings settings,
        Mlp classifier, Action<DetectorEpoch>? onEpoch = null, CancellationToken cancellationToken = default)
    {
        var valCount = images.Length / Pixels - trainCount;
        if (trainCount < 1 || valCount < 1)
        {
            throw new ArgumentException($"The detector needs training and validation digits, got {trainCount} and {valCount}.");
        }

        var input = InputOf(settings.Detector);
        var features = new DetectorFeatures(input, classifier);
        float[] Inputs(ReadOnlySpan<float> pixels) => features.Of(pixels, pixels.Length / Pixels);
        var trainDigits = images.AsSpan(0, trainCount * Pixels);
        var validation = Inputs(images.AsSpan(trainCount * Pixels, valCount * Pixels));
        var history = new List<DetectorEpoch>();
        var members = settings.Detector == DetectorKind.Discriminator ? settings.DetectorMembers : 1;
        var trained = new List<DetectorNetwork>();
        for (var m = 0; m < members; m++)
        {
            // Member 0 keeps the model's seed; each other draws its own weights, order, pens and non-digits.
            var seed = unchecked(settings.Seed + m * 7919);
            // Every member after the first learns from the non-digits the members before it find most digit-like.
            var earlier = trained.Count switch { 0 => null, 1 => trained[0], _ => DetectorNetwork.Average(trained, settings.Threads) };
            var (examples, isDigit) = settings.Detector == DetectorKind.Discriminator
                ? Examples(trainDigits, seed, pixels => Inputs(pixels), earlier)
                : (Inputs(trainDigits), new float[trainCount]);
            trained.Add(TrainOne(examples, isDigit, settings, seed, validation, history, onEpoch, cancellationToken));
        }
        var network = trained.Count == 1 ? trained[0] : DetectorNetwork.Average(trained, settings.Threads);
        var detector = new DigitDetector(network, input, classifier);

        var calibration = CalibrationDigits(images.AsSpan(trainCount * Pixels, valCount * Pixels));
        var valScores = new float[calibration.Length / Pixels];
        detector.Score(calibration, valScores.Length, valScores);
        var sorted = (float[])valScores.Clone();
        Array.Sort(sorted);
        var threshold = ScorePercentile.At(sorted, ValidationRejectionTarget * 100);
        var testCount = testImages.Length / Pixels;
        var testScores = new float[testCount];
        detector.Score(testImages, testCount, testScores);
        var report = new DetectorReport(ChoiceNames.Of(settings.Detector), [.. settings.DetectorHidden], network.ParameterCount, history,
            threshold, ValidationRejectionTarget, ScorePercentile.Of(valScores), testCount == 0 ? 0 : (double)testScores.Count(s => s < threshold) / testCount,
            members, input, DetectorReport.RedrawnCalibration);
        return new TrainedDetector(network, report);
    }

    /// <summary>One network trained from <paramref name="seed"/>; its epochs join <paramref name="history"/>, numbered on from the last.</summary>
    /// <param name="examples">Rows of what the network reads, as <paramref name="validation"/>'s (the MNIST validation digits).</param>
    /// <param name="isDigit">1 for a digit, 0 for a non-digit, per row of <paramref name="examples"/> (unused by the autoencoder).</param>
    private static DetectorNetwork TrainOne(float[] examples, float[] isDigit, TrainingSettings settings, int seed, float[] validation,
        List<DetectorEpoch> history, Action<DetectorEpoch>? onEpoch, CancellationToken cancellationToken)
    {
        var total = isDigit.Length;
        var width = examples.Length / total;
        var network = new DetectorNetwork(settings.Detector, width, settings.DetectorHidden, seed, settings.Threads);
        var optimizer = Optimizer.Create(OptimizerKind.Adam, LearningRate, threads: settings.Threads);
        var shuffle = new Rng(unchecked(((ulong)(uint)seed << 32) ^ 0x4445544543544FUL));
        var batchSize = Math.Min(BatchSize, total);
        network.EnsureCapacity(batchSize);
        var batch = new float[batchSize * width];
        var batchIsDigit = new float[batchSize];
        var order = Enumerable.Range(0, total).ToArray();
        var valCount = validation.Length / width;
        var valScores = new float[valCount];
        for (var epoch = 1; epoch <= settings.DetectorEpochs; epoch++)
        {
            var watch = Stopwatch.StartNew();
            shuffle.Shuffle(order);
            double lossSum = 0;
            for (var start = 0; start < total; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var rows = Math.Min(batchSize, total - start);
                for (var r = 0; r < rows; r++)
                {
                    var i = order[start + r];
                    examples.AsSpan(i * width, width).CopyTo(batch.AsSpan(r * width));
                    batchIsDigit[r] = isDigit[i];
                }
                network.Forward(batch, rows);
                lossSum += network.Backward(batch, batchIsDigit, rows);
                optimizer.Step(network.ParameterBuffers);
            }
            network.Score(validation, valCount, valScores);
            var record = new DetectorEpoch(history.Count + 1, lossSum / total, valScores.Average(s => (double)s), watch.Elapsed.TotalSeconds);
            if (!double.IsFinite(record.Loss))
            {
                throw new TrainingDivergedException(record.Epoch, record.Loss);
            }
            history.Add(record);
            onEpoch?.Invoke(record);
        }
        return network;
    }

    /// <summary>
    /// The discriminator's examples: every training digit redrawn with a thinner, the same or a thicker pen and
    /// preprocessed (digits: the service judges preprocessed uploads, and MNIST's own digits are cleaner than those),
    /// then as many generated non-digits (measured: 1-2 points more non-digits rejected than with half as many); drawn in
    /// chunks and turned into what the network reads by <paramref name="inputs"/> (for MNIST 110 MB of the classifier's
    /// first dense values). Given the <paramref name="earlier"/> members' average, the non-digits are the most digit-like
    /// of <see cref="HardNegativePool"/> times as many.
    /// </summary>
    private static (float[] Inputs, float[] IsDigit) Examples(ReadOnlySpan<float> digits, int seed, Func<float[], float[]> inputs, DetectorNetwork? earlier)
    {
        var synthesizer = new NonDigitSynthesizer(seed);
        var redrawn = digits.Length / Pixels;
        var total = redrawn + (earlier is null ? 1 : HardNegativePool) * redrawn;
        float[]? examples = null;
        var chunk = new float[DrawChunk * Pixels];
        for (var start = 0; start < total; start += DrawChunk)
        {
            var rows = Math.Min(DrawChunk, total - start);
            var pixels = chunk.AsSpan(0, rows * Pixels);
            var digitRows = Math.Clamp(redrawn - start, 0, rows);
            synthesizer.Redrawn(digits.Slice(Math.Min(start, redrawn) * Pixels, digitRows * Pixels), pixels, digitRows);
            synthesizer.NonDigits(pixels[(digitRows * Pixels)..], rows - digitRows, digits);
            var values = inputs(rows == DrawChunk ? chunk : pixels.ToArray());
            examples ??= new float[total * (values.Length / rows)];
            values.CopyTo(examples, start * (values.Length / rows));
        }
        if (earlier is not null)
        {
            // Keep the third of the non-digits the earlier members find most digit-like: what their average still gets wrong.
            var width = examples!.Length / total;
            var scores = new float[total - redrawn];
            earlier.Score(examples.AsSpan(redrawn * width), scores.Length, scores);
            var order = Enumerable.Range(0, scores.Length).OrderByDescending(k => scores[k]).Take(redrawn).Order().ToArray();
            var kept = new float[2 * redrawn * width];
            examples.AsSpan(0, redrawn * width).CopyTo(kept);
            for (var k = 0; k < order.Length; k++)
            {
                examples.AsSpan((redrawn + order[k]) * width, width).CopyTo(kept.AsSpan((redrawn + k) * width));
            }
            examples = kept;
            total = 2 * redrawn;
        }
        var isDigit = new float[total];
        isDigit.AsSpan(0, redrawn).Fill(1);
        return (examples!, isDigit);
    }
}

/// <summary>
/// The default detector: four discriminators of 72 units and 20 epochs each, averaged, reading the classifier's first
/// layer. Measured (docs/not-a-digit.md): the average of several separates better than any one (the seed alone moves
/// one by 4 points); with hard negatives, 20 epochs separate better than 10 (93.4 against 92.7 % of the non-digits at the
/// 1 % bound for digits, four of 96) and 40 no better; four of 72, three of 96 and four of 96 separate about alike
/// (92.8, 92.9, 93.4 %), and four of 72 cost what three of 96 do (73,700 multiply-adds per image; four of 96 took 10 %
/// of JSON-pixel throughput).
/// </summary>
public static class DetectorDefaults
{
    public const int Hidden = 72;
    public const int Epochs = 20;
    public const int Members = 4;
    public const int MaxMembers = 8;
}
