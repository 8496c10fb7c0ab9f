using System.Globalization;

namespace MnistService.Core.Network;

/// <summary>
/// The shape of a multi-layer perceptron: Inputs → Hidden[0] → ... → Hidden[^1] → Outputs (softmax),
/// every hidden layer with <see cref="Activation"/>, and dropout at <see cref="Dropout"/> after the first
/// hidden layer, as in the tutorial's model (784 → 256 relu → dropout 0.3 → 128 relu → 10 softmax).
/// </summary>
public sealed record MlpSpec(int Inputs, IReadOnlyList<int> Hidden, ActivationKind Activation, double Dropout, int Outputs)
{
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
        if (!(Dropout >= 0 && Dropout < 1))
        {
            throw new ArgumentException($"The dropout rate must be in [0, 1), got {Dropout.ToString(CultureInfo.InvariantCulture)}.");
        }
    }
}
