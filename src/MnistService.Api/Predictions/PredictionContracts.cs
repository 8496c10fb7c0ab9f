using System.Text.Json.Serialization;

namespace MnistService.Api.Predictions;

/// <summary>
/// The JSON forms of <c>POST /predict</c>: exactly one of <c>pixels</c> and <c>image</c>. Other members
/// are refused with 400.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PredictJsonRequest
{
    /// <summary>784 numbers, row-major 28x28, MNIST polarity (ink bright): either all in [0,1] or in [0,255].</summary>
    public float[]? Pixels { get; init; }

    /// <summary>An image as a data URL, as a canvas gives it: data:image/png;base64,...</summary>
    public string? Image { get; init; }
}

/// <summary>What the network answered, and what it was shown.</summary>
/// <param name="Digit">The most probable digit.</param>
/// <param name="Confidence">Its probability.</param>
/// <param name="Probabilities">Probability of each digit 0..9.</param>
/// <param name="Model">The model that answered.</param>
/// <param name="ModelSha256">SHA-256 of that model's file.</param>
/// <param name="Input">The 28x28 image the network saw.</param>
/// <param name="Id">This reading's id: POST /feedback {"id", "label"} confirms or corrects it (for Feedback:PredictionLifetime, 1 h by default).</param>
public sealed record PredictionResponse(int Digit, float Confidence, float[] Probabilities, string Model, string ModelSha256, NetworkInput Input, string Id);

/// <param name="Width">Always 28.</param>
/// <param name="Height">Always 28.</param>
/// <param name="Pixels">Row-major values in [0,1], ink bright (MNIST polarity), with four decimals.</param>
public sealed record NetworkInput(int Width, int Height, [property: JsonConverter(typeof(PixelArrayConverter))] float[] Pixels);
