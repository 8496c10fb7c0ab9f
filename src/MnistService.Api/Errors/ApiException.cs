namespace MnistService.Api.Errors;

/// <summary>The problem titles a refusal is answered with, shared by <see cref="ApiException"/>s and image rejections.</summary>
public static class ProblemTitles
{
    public const string InvalidInput = "Invalid input";
    public const string PayloadTooLarge = "Payload too large";
    public const string UnsupportedMediaType = "Unsupported media type";
    public const string NoDigitFound = "No digit found";
    public const string TooManyDigits = "Too many digits";
}

/// <summary>
/// A request the service refuses, with the HTTP status and RFC 7807 title it is answered with.
/// Thrown by the input readers and mapped to problem+json by <see cref="ApiExceptionHandler"/>.
/// </summary>
public abstract class ApiException(int status, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
}

/// <summary>400: the input cannot be read or has the wrong shape.</summary>
public sealed class InvalidInputException(string detail)
    : ApiException(StatusCodes.Status400BadRequest, ProblemTitles.InvalidInput, detail);

/// <summary>404: no model of that name is loaded.</summary>
public sealed class ModelNotFoundException(string name)
    : ApiException(StatusCodes.Status404NotFound, "Model not found", $"No model named '{name}' is loaded. GET /models lists the loaded models.")
{
    public string Name { get; } = name;
}

/// <summary>
/// 503: the model's file is in the directory but does not load. Not 404, which would tell the client the
/// name is wrong: the name is right and only the file's owner can fix it. Until then the service cannot
/// serve that model, the same answer (and status) as when the default model's file fails to load.
/// </summary>
public sealed class ModelLoadFailedException(string name, string file, string error)
    : ApiException(StatusCodes.Status503ServiceUnavailable, "Model failed to load",
        $"The model file '{file}' failed to load, so model '{name}' cannot be used: {error.TrimEnd('.')}. GET /models lists the loaded models and the failures.")
{
    public string Name { get; } = name;
}

/// <summary>413: the body or the image is larger than the configured limits.</summary>
public sealed class PayloadTooLargeException(string detail)
    : ApiException(StatusCodes.Status413PayloadTooLarge, ProblemTitles.PayloadTooLarge, detail);

/// <summary>415: a content type or image format the service does not read.</summary>
public sealed class UnsupportedMediaTypeException(string detail)
    : ApiException(StatusCodes.Status415UnsupportedMediaType, ProblemTitles.UnsupportedMediaType, detail);

/// <summary>503: no model is loaded yet (or every model file is broken).</summary>
public sealed class NoModelLoadedException(string detail)
    : ApiException(StatusCodes.Status503ServiceUnavailable, "No model loaded", detail);

/// <summary>
/// 503 with <c>Retry-After</c>: the service has no room for this request's work right now (the decoded-pixel budget
/// is taken by other requests, or memory ran short), though it would do it at another time.
/// </summary>
public sealed class ServiceBusyException(string detail, int retryAfterSeconds)
    : ApiException(StatusCodes.Status503ServiceUnavailable, "Service busy", detail)
{
    public int RetryAfterSeconds { get; } = retryAfterSeconds;
}

/// <summary>404: the model's file carries no evaluation report.</summary>
public sealed class ReportNotFoundException(string name)
    : ApiException(StatusCodes.Status404NotFound, "Report not found", $"The model '{name}' has no 'mnist.report' metadata, so there is no test evaluation to show.");
