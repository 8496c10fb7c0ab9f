namespace MnistService.Core.Training;

/// <summary>A test image the model got wrong: which one, what it is, what the model read and how sure it was.</summary>
/// <param name="Index">The image's position in the MNIST test set (0-9999).</param>
/// <param name="Label">The true digit.</param>
/// <param name="Digit">The digit the model read.</param>
/// <param name="Probabilities">The model's ten probabilities, to four decimals (as the page shows them; keeps the report small).</param>
public sealed record MisreadDigit(int Index, int Label, int Digit, float[] Probabilities)
{
    /// <summary>Decimals kept of each probability.</summary>
    public const int Decimals = 4;

    public static MisreadDigit Of(int index, int label, int digit, ReadOnlySpan<float> probabilities)
    {
        var rounded = new float[probabilities.Length];
        for (var i = 0; i < rounded.Length; i++)
        {
            rounded[i] = MathF.Round(probabilities[i], Decimals);
        }

        return new MisreadDigit(index, label, digit, rounded);
    }
}
