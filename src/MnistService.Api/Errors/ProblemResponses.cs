namespace MnistService.Api.Errors;

public static class ProblemResponses
{
    /// <summary>
    /// RFC 7807 problem+json for every error, ours and the framework's. Each carries the RFC section of its
    /// status as its <c>type</c>: ASP.NET Core knows most of them, not 429's (RFC 6585).
    /// </summary>
    public static IServiceCollection AddProblemResponses(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var request = context.HttpContext.Request;
            context.ProblemDetails.Instance ??= request.Path;
            if (context.ProblemDetails.Status == StatusCodes.Status429TooManyRequests)
            {
                context.ProblemDetails.Type ??= "https://tools.ietf.org/html/rfc6585#section-4";
            }
            // The framework's own answers (no such route, wrong method) come without a detail.
            context.ProblemDetails.Detail ??= context.ProblemDetails.Status switch
            {
                StatusCodes.Status404NotFound => $"There is nothing at {request.Path}; /swagger lists the API.",
                StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {request.Path}; /swagger lists the API.",
                _ => context.ProblemDetails.Title,
            };
            context.ProblemDetails.Extensions["traceId"] = context.HttpContext.TraceIdentifier;
        });
        services.AddExceptionHandler<ApiExceptionHandler>();
        return services;
    }
}
