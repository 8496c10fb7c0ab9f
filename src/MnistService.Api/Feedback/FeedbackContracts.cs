using System.Text.Json;
using System.Text.Json.Serialization;
using MnistService.Api.Predictions;
using MnistService.Core.Feedback;
using MnistService.Core.Imaging;

namespace MnistService.Api.Feedback;

/// <summary>
/// The JSON forms of <c>POST /feedback</c>: <c>{"id", "label"}</c> for a digit read before, <c>{"id", "text"}</c> for a
/// number read before, or <c>{"image" | "pixels", "label"}</c> for a digit not read before. Other members are refused with 400.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record FeedbackJsonRequest
{
    /// <summary>The <c>id</c> of a /predict (or /predict/sequence) answer.</summary>
    public string? Id { get; init; }

    /// <summary>The right digit, 0-9.</summary>
    public JsonElement? Label { get; init; }

    /// <summary>The right number, as digits (spaces and dashes are ignored): "0151 2345678".</summary>
    public string? Text { get; init; }

    /// <summary>An image not predicted before, as a data URL (as for /predict).</summary>
    public string? Image { get; init; }

    /// <summary>A digit not predicted before, as 784 numbers (as for /predict).</summary>
    public float[]? Pixels { get; init; }
}

/// <summary>A stored answer: what the network saw and read, and what it should have read.</summary>
/// <param name="Id">The prediction's id (a new one when an image was posted with its label); DELETE /feedback/{id} removes the answer.</param>
/// <param name="Label">The right digits, as the person gave them.</param>
/// <param name="Predicted">The digits the model read.</param>
/// <param name="Correct">Whether the model read them right: a confirmation, else a correction.</param>
/// <param name="Model">The model that read the image.</param>
/// <param name="ModelSha256">SHA-256 of that model's file.</param>
/// <param name="CreatedAt">When the answer was stored (UTC).</param>
/// <param name="Pieces">Per digit read: the 28x28 the network saw and its ten probabilities.</param>
/// <param name="OriginalKept">Whether the uploaded image was stored too (only with Feedback:KeepOriginals).</param>
public sealed record FeedbackResponse(string Id, string Label, string Predicted, bool Correct, string Model, string ModelSha256,
    DateTimeOffset CreatedAt, IReadOnlyList<FeedbackPiece> Pieces, bool OriginalKept)
{
    public static FeedbackResponse From(FeedbackRecord record) => new(record.Id, record.Label, record.Predicted, record.Correct,
        record.Model, record.ModelSha256, record.CreatedAt,
        [.. Enumerable.Range(0, record.Pieces).Select(p => new FeedbackPiece(
            new NetworkInput(MnistPreprocessor.Side, MnistPreprocessor.Side,
                [.. record.Pixels.AsSpan(p * FeedbackRecord.PieceSize, FeedbackRecord.PieceSize).ToArray().Select(v => v / 255f)]),
            record.Probabilities[(p * FeedbackRecord.Classes)..((p + 1) * FeedbackRecord.Classes)]))],
        record.Original is not null);
}

/// <param name="Input">The 28x28 image the network saw.</param>
/// <param name="Probabilities">Probability of each digit 0..9.</param>
public sealed record FeedbackPiece(NetworkInput Input, float[] Probabilities);
