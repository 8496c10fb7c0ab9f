namespace MnistService.Core.Network;

/// <summary>
/// What a detector network reads of images (<see cref="DetectorInput"/>): the 784 pixels themselves, or the classifier's
/// first dense product x·W₁ + b₁ (before its activation, after any convolution blocks), the graph's
/// <c>dense_1.linear</c>. Computed by the classifier itself, so it shares that network's buffers. Not thread-safe.
/// </summary>
public sealed class DetectorFeatures
{
    public const int ImagePixels = 28 * 28;
    private const int Chunk = 1024;
    private readonly Mlp? _classifier;

    /// <param name="classifier">The classifier, which <see cref="DetectorInput.Classifier"/> reads through;
    /// ignored for <see cref="DetectorInput.Image"/>.</param>
    /// <exception cref="ArgumentException">The classifier is missing or does not read an MNIST image.</exception>
    public DetectorFeatures(DetectorInput input, Mlp? classifier)
    {
        Input = input;
        if (input != DetectorInput.Classifier)
        {
            return;
        }
        if (classifier is null || classifier.Inputs != ImagePixels)
        {
            throw new ArgumentException("A detector reading the classifier's first dense product needs that classifier, of the image's 784 pixels.");
        }
        _classifier = classifier;
    }

    public DetectorInput Input { get; }

    /// <summary>The values per image: 784, or the classifier's first dense width.</summary>
    public int Width => _classifier?.FirstDenseWidth ?? ImagePixels;

    /// <summary>The values of each of <paramref name="count"/> images (count·784 pixels): count·<see cref="Width"/> values.</summary>
    public float[] Of(ReadOnlySpan<float> images, int count)
    {
        var features = new float[count * Width];
        for (var start = 0; start < count; start += Chunk)
        {
            var rows = Math.Min(Chunk, count - start);
            Into(images.Slice(start * ImagePixels, rows * ImagePixels), rows, features.AsSpan(start * Width, rows * Width));
        }
        return features;
    }

    /// <summary>The values of <paramref name="rows"/> images into <paramref name="features"/> (rows·<see cref="Width"/>).</summary>
    public void Into(ReadOnlySpan<float> images, int rows, Span<float> features)
    {
        if (_classifier is null)
        {
            images[..(rows * ImagePixels)].CopyTo(features);
        }
        else
        {
            _classifier.FirstDenseProduct(images, rows, features);
        }
    }
}
