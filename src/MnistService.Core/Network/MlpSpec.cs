using System.Globalization;

namespace MnistService.Core.Network;

/// <summary>
/// The shape of the network: Inputs → Hidden[0] → ... → Hidden[^1] → Outputs (softmax), every hidden layer with
/// <see cref="Activation"/>, and dropout at <see cref="Dropout"/> after the first hidden layer, as in the tutorial's
/// model (784 → 256 relu → dropout 0.3 → 128 relu → 10 softmax). With <see cref="Convolutions"/>, the square image of
/// Inputs pixels first goes through one block per entry: a 5×5 convolution to that many channels (zero-padded to
/// the image's size), the activation and 2×2 max pooling, and the dense layers read the last block's channels.
/// </summary>
public sealed record MlpSpec(int Inputs, IReadOnlyList<int> Hidden, ActivationKind Activation, double Dropout, int Outputs,
    IReadOnlyList<int>? Convolutions = null)
{
    /// <summary>The side of every convolution's kernel.</summary>
    public const int KernelSize = 5;

    /// <summary>Channels out of each convolution block, image side first; empty for a multi-layer perceptron.</summary>
    public IReadOnlyList<int> Convolutions { get; init; } = Convolutions ?? [];

    /// <summary>The side of the square input image; 0 when Inputs is not a square.</summary>
    public int ImageSide => (int)Math.Round(Math.Sqrt(Inputs)) is var side && side * side == Inputs ? side : 0;

    /// <summary>The tutorial's model: 235,146 parameters.</summary>
    public static MlpSpec Tutorial { get; } = new(784, [256, 128], ActivationKind.Relu, 0.3, 10);

    /// <exception cref="ArgumentException">A size is not positive, the activation is unknown or the rate is outside [0, 1).</exception>
    public void Validate()
    {
        if (Inputs < 1)
        {
            throw new ArgumentException($"The network needs at least one input, got {Inputs}.");
        }
        if (Outputs < 2)
        {
            throw new ArgumentException($"The network needs at least two outputs (classes), got {Outputs}.");
        }
        if (Hidden.Count == 0)
        {
            throw new ArgumentException("The network needs at least one hidden layer.");
        }
        foreach (var h in Hidden)
        {
            if (h < 1)
            {
                throw new ArgumentException($"Hidden layers need at least one unit, got {h}.");
            }
        }
        if (!Enum.IsDefined(Activation))
        {
            throw new ArgumentException($"Unknown hidden-layer activation {(int)Activation}; expected {string.Join(", ", ChoiceNames.All<ActivationKind>())}.");
        }
        if (Convolutions.Count > 0 && ImageSide >> Convolutions.Count < 1)
        {
            throw new ArgumentException(
                $"{Convolutions.Count} convolution blocks need a square image of at least {1 << Convolutions.Count} pixels a side, got {Inputs} inputs.");
        }
        foreach (var c in Convolutions)
        {
            if (c < 1)
            {
                throw new ArgumentException($"Convolutions need at least one channel, got {c}.");
            }
        }
        if (!(Dropout >= 0 && Dropout < 1))
        {
            throw new ArgumentException($"The dropout rate must be in [0, 1), got {Dropout.ToString(CultureInfo.InvariantCulture)}.");
        }
    }
}
