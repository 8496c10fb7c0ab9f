using System.Text.Json.Serialization;
using MnistService.Api.Insight;

namespace MnistService.Api.Predictions;

/// <summary>
/// The JSON forms of <c>POST /predict</c>: exactly one of <c>pixels</c> and <c>image</c>, and for pixels
/// <c>preprocess</c>. Other members are refused with 400.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PredictJsonRequest
{
    /// <summary>784 numbers, row-major 28x28, MNIST polarity (ink bright): either all in [0,1] or in [0,255].</summary>
    public float[]? Pixels { get; init; }

    /// <summary>An image as a data URL, as a canvas gives it: data:image/png;base64,...</summary>
    public string? Image { get; init; }

    /// <summary>
    /// For pixels: true (the default) makes them MNIST-like as an image is (polarity, bounding box, centring); false
    /// sends the 784 values to the network untouched. Blank pixels are refused with 422 either way.
    /// </summary>
    public bool? Preprocess { get; init; }
}

/// <summary>What the network answered, and what it was shown.</summary>
/// <param name="Digit">The most probable digit.</param>
/// <param name="Confidence">Its probability.</param>
/// <param name="Probabilities">Probability of each digit 0..9.</param>
/// <param name="Model">The model that answered.</param>
/// <param name="ModelSha256">SHA-256 of that model's file.</param>
/// <param name="Input">The 28x28 image the network saw.</param>
/// <param name="IsDigit">Whether the model's detector takes the image for a digit (digitScore at or above the threshold
/// in GET /models/{name}); null for a model without a detector. The digit and probabilities are given either way.</param>
/// <param name="DigitScore">The detector's score, higher = more digit-like; null for a model without a detector.</param>
/// <param name="Id">This reading's id: POST /feedback {"id", "label"} confirms or corrects it (for Feedback:PredictionLifetime, 1 h by default).</param>
public sealed record PredictionResponse(int Digit, float Confidence, float[] Probabilities, string Model, string ModelSha256, NetworkInput Input,
    bool? IsDigit, float? DigitScore, string Id)
{
    /// <summary>With <c>?explain=true</c>: each hidden layer's activations, the scores before softmax and the saliency of each pixel; otherwise null.</summary>
    public ExplainResponse? Explain { get; init; }
}


/// <param name="Width">Always 28.</param>
/// <param name="Height">Always 28.</param>
/// <param name="Pixels">Row-major values in [0,1], ink bright (MNIST polarity), with four decimals.</param>
public sealed record NetworkInput(int Width, int Height, [property: JsonConverter(typeof(PixelArrayConverter))] float[] Pixels);
