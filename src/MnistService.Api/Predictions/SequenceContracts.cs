using MnistService.Core.Imaging;
using MnistService.Core.Reading;

namespace MnistService.Api.Predictions;

/// <summary>A number read from one image.</summary>
/// <param name="Text">The digits left to right, with one space where the writer left a wide gap (groups).</param>
/// <param name="Confidence">The probability that every digit is right: the product of the digits' confidences.</param>
/// <param name="Digits">Each digit, left to right.</param>
/// <param name="Model">The model that read it.</param>
/// <param name="Id">This reading's id: POST /feedback {"id", "text"} confirms or corrects it (for Feedback:PredictionLifetime, 1 h by default).</param>
public sealed record SequenceResponse(string Text, float Confidence, SequenceDigit[] Digits, string Model, string Id)
{
    public static SequenceResponse From(NumberReading reading, string model, string id) => new(reading.Text, reading.Confidence,
        [.. reading.Digits.Select(d => new SequenceDigit(d.Digit, d.Confidence, d.Probabilities, d.IsDigit, DigitBox.From(d.Box),
            new NetworkInput(MnistPreprocessor.Side, MnistPreprocessor.Side, d.Input)))], model, id);
}

/// <summary>One digit of the number.</summary>
/// <param name="Digit">The most probable digit.</param>
/// <param name="Confidence">Its probability.</param>
/// <param name="Probabilities">Probability of each digit 0..9; for a whole digit read under 0.8, the mean of five readings (as cut, and moved a pixel each way).</param>
/// <param name="IsDigit">Whether the model's detector takes this piece for a digit; null for a model without a detector.</param>
/// <param name="Box">Where the digit is, in the uploaded image's pixels.</param>
/// <param name="Input">The 28x28 image the network saw for this digit.</param>
public sealed record SequenceDigit(int Digit, float Confidence, float[] Probabilities, bool? IsDigit, DigitBox Box, NetworkInput Input);

/// <param name="X">Left edge, in the uploaded image's pixels from its left.</param>
/// <param name="Y">Top edge, in pixels from the image's top.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public sealed record DigitBox(int X, int Y, int Width, int Height)
{
    public static DigitBox From(PixelBox box) => new(box.X, box.Y, box.Width, box.Height);
}
