using Microsoft.AspNetCore.Diagnostics;
using MnistService.Api.Clients;
using MnistService.Core.Imaging;

namespace MnistService.Api.Errors;

/// <summary>
/// Turns every exception that reaches the pipeline into RFC 7807 problem+json: our own
/// <see cref="ApiException"/>s with their status, Core's <see cref="ImageRejectedException"/>s by
/// <see cref="ImageRejectionProblems"/>, Kestrel's and the JSON reader's complaints about the
/// request as 4xx, a failure while no file descriptor is free as 503, and anything else as a logged 500
/// (which no input should be able to cause).
/// </summary>
public sealed class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    private const string OutOfDescriptors =
        "The service had no file descriptor free (ulimit -n) for this request; try again shortly.";

    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail) = exception switch
        {
            ApiException e => (e.Status, e.Title, e.Message),
            ImageRejectedException e => ImageRejectionProblems.For(e),
            BadHttpRequestException e when e.StatusCode == StatusCodes.Status413PayloadTooLarge =>
                (e.StatusCode, ProblemTitles.PayloadTooLarge, e.Message),
            BadHttpRequestException e => (e.StatusCode, "Bad request", e.Message),
            OperationCanceledException or IOException when http.RequestAborted.IsCancellationRequested =>
                (499, "Client closed request", "The client went away."),
            _ => (StatusCodes.Status500InternalServerError, "Internal error", "An unexpected error occurred; it has been logged."),
        };
        // Out of descriptors, a first use of an assembly fails to load it, a file or a database fails to open: the
        // request is fine and a retry may well work once connections close, so it is not an internal error.
        var outOfDescriptors = status == StatusCodes.Status500InternalServerError && DescriptorLimit.Exhausted();
        if (outOfDescriptors)
        {
            (status, title, detail) = (StatusCodes.Status503ServiceUnavailable, "Service busy", OutOfDescriptors);
        }
        if (exception is ApiException { Status: >= 500 })
        {
            logger.LogWarning("{Method} {Path}: {Detail}", http.Request.Method, http.Request.Path, detail);
        }
        else if (outOfDescriptors)
        {
            logger.LogWarning("{Method} {Path}: {Detail} ({Error})", http.Request.Method, http.Request.Path, detail, exception.Message.Trim());
        }
        else if (status >= 500)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path}", http.Request.Method, http.Request.Path);
        }
        if (http.Response.HasStarted)
        {
            return false;
        }
        http.Response.StatusCode = status;
        if (exception is ServiceBusyException busy)
        {
            http.Response.Headers.RetryAfter = busy.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else if (outOfDescriptors)
        {
            http.Response.Headers.RetryAfter = "1";
        }
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}
