using Microsoft.Extensions.Options;
using MnistService.Api.Settings;

namespace MnistService.Api.Security;

/// <summary>
/// The headers that make the page safe to host (section <c>SecurityHeaders</c>): a Content-Security-Policy
/// that lets the page run only our own scripts, styles and images and talk only to this service, no
/// MIME sniffing, no referrer leaking to other sites, and no framing by other sites.
/// </summary>
public sealed class SecurityHeadersOptions
{
    public const string Section = "SecurityHeaders";

    /// <summary>The policy of every response but Swagger UI's. The page is written for it: no inline script or style.</summary>
    [System.ComponentModel.DataAnnotations.Required]
    public string ContentSecurityPolicy { get; set; } =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>
    /// The policy under <c>/swagger</c>: Swagger UI sets inline styles and draws its icons from data: URLs,
    /// so it gets those; scripts stay our own.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Required]
    public string SwaggerContentSecurityPolicy { get; set; } =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    [System.ComponentModel.DataAnnotations.Required]
    public string ReferrerPolicy { get; set; } = "no-referrer";
}

public static class SecurityHeaders
{
    public static IServiceCollection AddSecurityHeaders(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<SecurityHeadersOptions>(configuration, SecurityHeadersOptions.Section);
        return services;
    }

    /// <summary>Sets the headers on every response, errors included, before anything else runs.</summary>
    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        // The value is read per response (cached by IOptions) rather than here, so that an invalid setting
        // fails the start with every other invalid setting, named by ValidateOnStart.
        var options = app.Services.GetRequiredService<IOptions<SecurityHeadersOptions>>();
        app.Use((context, next) =>
        {
            // On starting, so that they survive the exception handler clearing the response.
            context.Response.OnStarting(() => Apply(context, options.Value));
            return next(context);
        });
        return app;
    }

    private static Task Apply(HttpContext context, SecurityHeadersOptions options)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/swagger")
            ? options.SwaggerContentSecurityPolicy
            : options.ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY"; // frame-ancestors for browsers that predate it
        headers["Referrer-Policy"] = options.ReferrerPolicy;
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        return Task.CompletedTask;
    }
}
