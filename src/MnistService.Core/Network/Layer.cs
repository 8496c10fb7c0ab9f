namespace MnistService.Core.Network;

/// <summary>
/// One step of the network with an explicit forward and backward pass over a batch of <c>rows</c> samples.
/// Inputs and outputs are row-major [rows, Inputs] and [rows, Outputs] flat buffers owned by the caller.
/// </summary>
public abstract class Layer
{
    protected Layer(int inputs, int outputs)
    {
        Inputs = inputs;
        Outputs = outputs;
    }

    public int Inputs { get; }
    public int Outputs { get; }

    /// <summary>y = f(x). <paramref name="training"/> switches dropout on.</summary>
    public abstract void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, bool training);

    /// <summary>
    /// Given dL/dy, computes dL/dx into <paramref name="dx"/> (skipped when empty, e.g. for the first layer)
    /// and the layer's own parameter gradients. <paramref name="x"/> and <paramref name="y"/> are the
    /// forward pass's input and output.
    /// </summary>
    public abstract void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows);
}
