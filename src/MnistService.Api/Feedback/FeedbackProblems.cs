using MnistService.Api.Errors;

namespace MnistService.Api.Feedback;

/// <summary>404: the id is not (or no longer) a remembered prediction.</summary>
public sealed class PredictionNotRememberedException(string id, TimeSpan lifetime)
    : ApiException(StatusCodes.Status404NotFound, "Prediction not found",
        $"No prediction with id '{Shown(id)}' is remembered: ids can be answered for {Duration(lifetime)} (Feedback:PredictionLifetime). " +
        "Post the image with its label instead: {\"image\": ..., \"label\": N}.")
{
    internal static string Shown(string id) => id.Length <= 64 ? id : id[..64] + "...";

    private static string Duration(TimeSpan time) =>
        time.TotalHours >= 1 && time.TotalHours % 1 == 0 ? $"{time.TotalHours:0} h"
        : time.TotalMinutes >= 1 && time.TotalMinutes % 1 == 0 ? $"{time.TotalMinutes:0} min"
        : $"{time.TotalSeconds:0.#} s";
}

/// <summary>404: no answer is stored under the id.</summary>
public sealed class FeedbackNotFoundException(string id)
    : ApiException(StatusCodes.Status404NotFound, "Feedback not found", $"No answer is stored with id '{PredictionNotRememberedException.Shown(id)}'.");

/// <summary>422: the label is not what the reading can take (not a digit 0-9, a number for a digit, ...).</summary>
public sealed class InvalidLabelException(string detail)
    : ApiException(StatusCodes.Status422UnprocessableEntity, "Invalid label", detail);

/// <summary>503: the feedback database is down or unreachable; predictions go on regardless.</summary>
public sealed class FeedbackUnavailableException(string detail)
    : ApiException(StatusCodes.Status503ServiceUnavailable, "Feedback database unavailable",
        detail.TrimEnd('.') + ". Answers cannot be stored or read until it is back; predictions are not affected.");
