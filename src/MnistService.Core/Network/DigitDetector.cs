namespace MnistService.Core.Network;

/// <summary>
/// A detector as a model holds it: its <see cref="DetectorNetwork"/> and what that reads (<see cref="DetectorInput"/>).
/// Scores images the way the model file's graph does, so the trainer, <c>evaluate</c> and the comparison tool agree
/// with ONNX Runtime's <c>digit_score</c>. Not thread-safe.
/// </summary>
public sealed class DigitDetector
{
    private const int Chunk = 1024;
    private readonly DetectorFeatures _features;

    /// <param name="classifier">The classifier, which a detector reading <see cref="DetectorInput.Classifier"/> reads
    /// through (sharing its buffers); ignored for one reading the image.</param>
    /// <exception cref="ArgumentException">The network does not take what <paramref name="input"/> gives.</exception>
    public DigitDetector(DetectorNetwork network, DetectorInput input, Mlp? classifier)
    {
        _features = new DetectorFeatures(input, classifier);
        if (network.Inputs != _features.Width)
        {
            throw new ArgumentException(input == DetectorInput.Classifier
                ? $"A detector reading the classifier's first dense product takes its {_features.Width} values, not {network.Inputs}."
                : $"A detector reading the image takes its {_features.Width} pixels, not {network.Inputs} values.");
        }
        Network = network;
    }

    public DetectorNetwork Network { get; }
    public DetectorInput Input => _features.Input;

    /// <summary>digit_score of each of <paramref name="count"/> images (count·784 pixels) into <paramref name="scores"/>.</summary>
    public void Score(ReadOnlySpan<float> images, int count, Span<float> scores)
    {
        if (Input == DetectorInput.Image)
        {
            Network.Score(images, count, scores);
            return;
        }
        // In chunks: many images need no buffer of all their first-dense values.
        const int pixels = DetectorFeatures.ImagePixels;
        var features = new float[Math.Min(count, Chunk) * Network.Inputs];
        for (var start = 0; start < count; start += Chunk)
        {
            var rows = Math.Min(Chunk, count - start);
            _features.Into(images.Slice(start * pixels, rows * pixels), rows, features);
            Network.Score(features, rows, scores.Slice(start, rows));
        }
    }
}
