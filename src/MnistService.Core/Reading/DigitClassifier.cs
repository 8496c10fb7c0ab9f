namespace MnistService.Core.Reading;

/// <summary>
/// What reading a number needs from a model: many 28x28 inputs classified in one call. The service wraps its ONNX
/// Runtime session in it; tests can wrap anything that reads digits.
/// </summary>
public interface IDigitClassifier
{
    /// <summary>
    /// The threshold of the model's digit-likeness score (higher is more digit-like), or null when the model has no
    /// such score; then <see cref="Classify"/> leaves the scores alone and reading relies on the probabilities.
    /// </summary>
    float? DigitScoreThreshold { get; }

    /// <summary>
    /// Whether the digit score is a probability in [0, 1] (a discriminator's); then how far it falls short of 1 weighs
    /// in reading, beyond passing the threshold or not.
    /// </summary>
    bool DigitScoreIsProbability { get; }

    /// <summary>
    /// Classifies <paramref name="count"/> images (784 values each, [0,1], ink bright) in one batch: ten probabilities
    /// each into <paramref name="probabilities"/>, and, when the model has one, each image's digit score into
    /// <paramref name="digitScores"/>.
    /// </summary>
    void Classify(float[] images, int count, float[] probabilities, float[] digitScores);
}

/// <summary>One digit of a number read.</summary>
/// <param name="Digit">The most probable digit.</param>
/// <param name="Confidence">Its probability.</param>
/// <param name="Probabilities">Probability of each digit 0..9 (for a digit the reader looked at again, the mean of its readings).</param>
/// <param name="DigitScore">How digit-like the piece is, when the model scores that; else null.</param>
/// <param name="IsDigit">Whether that score passes the model's threshold; null without a score.</param>
/// <param name="Box">Where the digit is, in the image's pixels.</param>
/// <param name="Input">The 28x28 network input the piece became (row-major, [0,1]).</param>
public sealed record ReadDigit(int Digit, float Confidence, float[] Probabilities, float? DigitScore, bool? IsDigit, PixelBox Box, float[] Input);

/// <summary>A number read from an image.</summary>
/// <param name="Text">The digits left to right, a space where the writer left a wide gap.</param>
/// <param name="Confidence">The probability that every digit is right: the product of the digits' confidences.</param>
/// <param name="Digits">The digits, left to right.</param>
public sealed record NumberReading(string Text, float Confidence, IReadOnlyList<ReadDigit> Digits);
