using MnistService.Core.Imaging;

namespace MnistService.Api.Errors;

/// <summary>The one place where Core's reasons for refusing an image become HTTP statuses and problem titles.</summary>
public static class ImageRejectionProblems
{
    public static (int Status, string Title, string Detail) For(ImageRejectedException rejection) => rejection.Reason switch
    {
        ImageRejection.Unreadable => (StatusCodes.Status400BadRequest, ProblemTitles.InvalidInput, rejection.Message),
        ImageRejection.UnsupportedFormat => (StatusCodes.Status415UnsupportedMediaType, ProblemTitles.UnsupportedMediaType, rejection.Message),
        ImageRejection.TooLarge => (StatusCodes.Status413PayloadTooLarge, ProblemTitles.PayloadTooLarge, rejection.Message),
        ImageRejection.Blank => (StatusCodes.Status422UnprocessableEntity, ProblemTitles.NoDigitFound, rejection.Message),
        ImageRejection.TooManyDigits => (StatusCodes.Status422UnprocessableEntity, ProblemTitles.TooManyDigits, rejection.Message),
        // A reason added to Core without a mapping here is a server bug (a test covers every reason).
        _ => (StatusCodes.Status500InternalServerError, "Internal error", $"The image was refused for a reason the service cannot name ({rejection.Reason})."),
    };
}
