namespace MnistService.Core.Network;

/// <summary>
/// What a detector network reads of images (<see cref="DetectorInput"/>): the 784 pixels themselves, or the classifier's
/// first-layer product x·W₁ + b₁ (before its relu), the graph's <c>dense_1.linear</c>. The layer is loaded once, for
/// every call. Not thread-safe.
/// </summary>
public sealed class DetectorFeatures
{
    public const int ImagePixels = 28 * 28;
    private const int Chunk = 1024;
    private readonly DenseLayer? _firstLayer;

    /// <param name="classifierFirstLayer">The classifier's first layer, which <see cref="DetectorInput.Classifier"/> needs;
    /// ignored for <see cref="DetectorInput.Image"/>.</param>
    /// <exception cref="ArgumentException">The classifier's first layer is missing or does not read an MNIST image.</exception>
    public DetectorFeatures(DetectorInput input, DenseLayerParameters? classifierFirstLayer, int threads = 0)
    {
        Input = input;
        if (input != DetectorInput.Classifier)
        {
            return;
        }
        if (classifierFirstLayer is null || classifierFirstLayer.Inputs != ImagePixels)
        {
            throw new ArgumentException("A detector reading the classifier's first layer needs that layer, of the image's 784 pixels.");
        }
        classifierFirstLayer.Validate();
        _firstLayer = new DenseLayer(classifierFirstLayer.Inputs, classifierFirstLayer.Outputs, classifierFirstLayer.Activation, threads);
        classifierFirstLayer.Weights.CopyTo(_firstLayer.Weights, 0);
        classifierFirstLayer.Bias.CopyTo(_firstLayer.Bias, 0);
    }

    public DetectorInput Input { get; }

    /// <summary>The values per image: 784, or the classifier's first-layer width.</summary>
    public int Width => _firstLayer?.Outputs ?? ImagePixels;

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
        if (_firstLayer is null)
        {
            images.CopyTo(features);
        }
        else
        {
            _firstLayer.Forward(images, features, rows, training: false);
        }
    }
}
