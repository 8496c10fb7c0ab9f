using System.ComponentModel;
using System.Text.Json.Serialization;

namespace MnistService.Api.Predictions;

/// <summary>
/// The JSON forms of <c>POST /predict</c>: exactly one of <c>pixels</c> and <c>image</c>. Other members
/// are refused with 400.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PredictJsonRequest
{
    [Description("784 numbers, row-major 28x28, MNIST polarity (ink bright): either all in [0,1] or in [0,255].")]
    public float[]? Pixels { get; init; }

    [Description("An image as a data URL, as a canvas gives it: data:image/png;base64,...")]
    public string? Image { get; init; }
}

/// <summary>What the network answered, and what it was shown.</summary>
public sealed record PredictionResponse(
    [property: Description("The most probable digit.")] int Digit,
    [property: Description("Its probability.")] float Confidence,
    [property: Description("Probability of each digit 0..9.")] float[] Probabilities,
    [property: Description("The model that answered.")] string Model,
    [property: Description("SHA-256 of that model's file.")] string ModelSha256,
    [property: Description("The 28x28 image the network saw.")] NetworkInput Input);

/// <param name="Pixels">Row-major values in [0,1], ink bright (MNIST polarity), with four decimals.</param>
public sealed record NetworkInput(int Width, int Height, [property: JsonConverter(typeof(PixelArrayConverter))] float[] Pixels);
