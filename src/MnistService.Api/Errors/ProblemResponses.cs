namespace MnistService.Api.Errors;

public static class ProblemResponses
{
    /// <summary>The RFC sections of the error statuses this service answers with that ASP.NET Core has no type for.</summary>
    private static readonly Dictionary<int, string> TypesAspNetLacks = new()
    {
        [StatusCodes.Status413PayloadTooLarge] = "https://tools.ietf.org/html/rfc9110#section-15.5.14",
        [StatusCodes.Status429TooManyRequests] = "https://tools.ietf.org/html/rfc6585#section-4",
        [StatusCodes.Status431RequestHeaderFieldsTooLarge] = "https://tools.ietf.org/html/rfc6585#section-5",
    };

    /// <summary>
    /// RFC 7807 problem+json for every error, ours and the framework's. Each carries the RFC section of its
    /// status as its <c>type</c>, so that a client can tell the kinds of error apart by it.
    /// </summary>
    public static IServiceCollection AddProblemResponses(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var request = context.HttpContext.Request;
            context.ProblemDetails.Instance ??= request.Path;
            if (context.ProblemDetails.Type is null && TypesAspNetLacks.TryGetValue(context.HttpContext.Response.StatusCode, out var type))
            {
                context.ProblemDetails.Type = type;
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
