namespace MnistService.Core.Network;

/// <summary>
/// A detector as a model holds it: its <see cref="DetectorNetwork"/> and what that reads (<see cref="DetectorInput"/>).
/// Scores images the way the model file's graph does, so the trainer, <c>evaluate</c> and the comparison tool agree
/// with ONNX Runtime's <c>digit_score</c>. Not thread-safe.
/// </summary>
public sealed class DigitDetector
{
    private const int ImagePixels = 28 * 28;
    private const int Chunk = 1024;
    private readonly DenseLayer? _classifierFirstLayer;

    /// <param name="classifierFirstLayer">The classifier's first layer, which a detector reading
    /// <see cref="DetectorInput.Classifier"/> needs; ignored for one reading the image.</param>
    /// <exception cref="ArgumentException">The network does not take what <paramref name="input"/> gives.</exception>
    public DigitDetector(DetectorNetwork network, DetectorInput input, DenseLayerParameters? classifierFirstLayer, int threads = 0)
    {
        Network = network;
        Input = input;
        if (input == DetectorInput.Classifier)
        {
            if (classifierFirstLayer is null || classifierFirstLayer.Inputs != ImagePixels || classifierFirstLayer.Outputs != network.Inputs)
            {
                throw new ArgumentException(
                    $"A detector reading the classifier's first layer takes its {classifierFirstLayer?.Outputs.ToString() ?? "(missing)"} values, not {network.Inputs}.");
            }
            _classifierFirstLayer = Load(classifierFirstLayer, threads);
        }
        else if (network.Inputs != ImagePixels)
        {
            throw new ArgumentException($"A detector reading the image takes its {ImagePixels} pixels, not {network.Inputs} values.");
        }
    }

    public DetectorNetwork Network { get; }
    public DetectorInput Input { get; }

    /// <summary>digit_score of each of <paramref name="count"/> images (count·784 pixels) into <paramref name="scores"/>.</summary>
    public void Score(ReadOnlySpan<float> images, int count, Span<float> scores)
    {
        if (_classifierFirstLayer is null)
        {
            Network.Score(images, count, scores);
            return;
        }
        var features = new float[Math.Min(count, Chunk) * Network.Inputs];
        for (var start = 0; start < count; start += Chunk)
        {
            var rows = Math.Min(Chunk, count - start);
            _classifierFirstLayer.Forward(images.Slice(start * ImagePixels, rows * ImagePixels), features, rows, training: false);
            Network.Score(features, rows, scores.Slice(start, rows));
        }
    }

    /// <summary>
    /// What the network reads for each of <paramref name="count"/> images: the pixels themselves, or the classifier's
    /// first-layer product x·W₁ + b₁ (before its relu), count·<see cref="DetectorNetwork.Inputs"/> values.
    /// </summary>
    public static float[] Features(ReadOnlySpan<float> images, int count, DetectorInput input, DenseLayerParameters classifierFirstLayer, int threads = 0)
    {
        if (input == DetectorInput.Image)
        {
            return images[..(count * ImagePixels)].ToArray();
        }
        var layer = Load(classifierFirstLayer, threads);
        var features = new float[count * layer.Outputs];
        for (var start = 0; start < count; start += Chunk)
        {
            var rows = Math.Min(Chunk, count - start);
            layer.Forward(images.Slice(start * ImagePixels, rows * ImagePixels), features.AsSpan(start * layer.Outputs, rows * layer.Outputs), rows, training: false);
        }
        return features;
    }

    private static DenseLayer Load(DenseLayerParameters parameters, int threads)
    {
        parameters.Validate();
        var layer = new DenseLayer(parameters.Inputs, parameters.Outputs, parameters.Activation, threads);
        parameters.Weights.CopyTo(layer.Weights, 0);
        parameters.Bias.CopyTo(layer.Bias, 0);
        return layer;
    }
}
