using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using MnistService.Api.Errors;

namespace MnistService.Api.Hosting;

public static class HostingExtensions
{
    /// <summary>RFC 7807 problem+json for every error, ours and the framework's.</summary>
    public static IServiceCollection AddProblemResponses(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var request = context.HttpContext.Request;
            context.ProblemDetails.Instance ??= request.Path;
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

    /// <summary>
    /// Serves the browser page at <c>/</c> from <see cref="StaticFilesOptions.WebRoot"/>, by default the
    /// first <c>wwwroot</c> found walking up from the content root.
    /// </summary>
    public static WebApplication UseStaticPage(this WebApplication app)
    {
        var configured = app.Configuration.GetSection(StaticFilesOptions.Section).Get<StaticFilesOptions>()?.WebRoot;
        var webRoot = RepositoryPaths.Resolve(configured, app.Environment.ContentRootPath, "wwwroot");
        if (webRoot is null || !Directory.Exists(webRoot))
        {
            app.Logger.LogWarning("No web root found ({WebRoot}); the page at / is not served",
                string.IsNullOrWhiteSpace(configured) ? "no wwwroot in or above " + app.Environment.ContentRootPath : webRoot);
            return app;
        }
        app.Logger.LogInformation("Serving the page from {WebRoot}", webRoot);
        var files = new PhysicalFileProvider(webRoot);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        return app;
    }
}
