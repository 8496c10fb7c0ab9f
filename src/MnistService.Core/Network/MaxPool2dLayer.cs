namespace MnistService.Core.Network;

/// <summary>
/// 2×2 max pooling with stride 2 over images stored height × width × channels (HWC), each channel alone:
/// <c>y[r, (u, v), c] = max_{i,j ∈ {0,1}} x[r, (2u + i, 2v + j), c]</c>; an odd last row or column is dropped, as
/// ONNX's MaxPool and Keras's MaxPooling2D (padding "valid") drop it.
/// </summary>
/// <remarks>
/// The gradient flows only to the value that won: <c>dx[winner] = dy</c>, 0 elsewhere. The winner is found again in
/// the backward pass from <c>x</c>, the first of the four in row order on a tie, so the layer keeps no state.
/// </remarks>
public sealed class MaxPool2dLayer : Layer
{
    public MaxPool2dLayer(int height, int width, int channels)
        : base(height * width * channels, height / 2 * (width / 2) * channels)
    {
        if (height < 2 || width < 2 || channels < 1)
        {
            throw new ArgumentException($"2x2 pooling needs an image of at least 2x2 and a channel, got {height}x{width}x{channels}.");
        }
        (Height, Width, Channels) = (height, width, channels);
    }

    public int Height { get; }
    public int Width { get; }
    public int Channels { get; }
    public int OutHeight => Height / 2;
    public int OutWidth => Width / 2;

    public override void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, bool training)
    {
        for (var r = 0; r < rows; r++)
        {
            var image = x.Slice(r * Inputs, Inputs);
            var output = y.Slice(r * Outputs, Outputs);
            for (var u = 0; u < OutHeight; u++)
            {
                for (var v = 0; v < OutWidth; v++)
                {
                    for (var c = 0; c < Channels; c++)
                    {
                        output[(u * OutWidth + v) * Channels + c] = image[Winner(image, u, v, c)];
                    }
                }
            }
        }
    }

    public override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows)
    {
        if (dx.IsEmpty)
        {
            return;
        }
        dx[..(rows * Inputs)].Clear();
        for (var r = 0; r < rows; r++)
        {
            var image = x.Slice(r * Inputs, Inputs);
            var gradient = dy.Slice(r * Outputs, Outputs);
            var target = dx.Slice(r * Inputs, Inputs);
            for (var u = 0; u < OutHeight; u++)
            {
                for (var v = 0; v < OutWidth; v++)
                {
                    for (var c = 0; c < Channels; c++)
                    {
                        target[Winner(image, u, v, c)] = gradient[(u * OutWidth + v) * Channels + c];
                    }
                }
            }
        }
    }

    /// <summary>The index in the image of the largest of the four values pooled into (u, v) of channel c.</summary>
    private int Winner(ReadOnlySpan<float> image, int u, int v, int c)
    {
        var top = (2 * u * Width + 2 * v) * Channels + c;
        var bottom = top + Width * Channels;
        var best = top;
        foreach (var k in (ReadOnlySpan<int>)[top + Channels, bottom, bottom + Channels])
        {
            if (image[k] > image[best])
            {
                best = k;
            }
        }
        return best;
    }
}
