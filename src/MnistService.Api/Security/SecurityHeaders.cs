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
        services.AddKestrelOwnAnswerHeaders();
        return services;
    }

    /// <summary>
    /// Sets the headers on every response, errors included, before anything else runs; Kestrel's own
    /// answers, which never reach the app, get them from <see cref="KestrelOwnAnswers"/>.
    /// </summary>
    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        // The values are read at the first response rather than here, so that an invalid setting fails the
        // start with every other invalid setting, named by ValidateOnStart.
        var options = app.Services.GetRequiredService<IOptions<SecurityHeadersOptions>>();
        (string Name, string Value)[]? page = null, swagger = null;
        app.Use((context, next) =>
        {
            page ??= [.. For(options.Value, swagger: false)];
            swagger ??= [.. For(options.Value, swagger: true)];
            var headers = context.Request.Path.StartsWithSegments("/swagger") ? swagger : page;
            // On starting, so that they survive the exception handler clearing the response.
            context.Response.OnStarting(() => Apply(context.Response, headers));
            return KestrelOwnAnswers.RunInApp(context, next);
        });
        return app;
    }

    /// <summary>The headers of every answer: with Swagger UI's policy under /swagger, the page's everywhere else.</summary>
    internal static IEnumerable<(string Name, string Value)> For(SecurityHeadersOptions options, bool swagger)
    {
        yield return ("Content-Security-Policy", swagger ? options.SwaggerContentSecurityPolicy : options.ContentSecurityPolicy);
        yield return ("X-Content-Type-Options", "nosniff");
        yield return ("X-Frame-Options", "DENY"); // frame-ancestors for browsers that predate it
        yield return ("Referrer-Policy", options.ReferrerPolicy);
        yield return ("Cross-Origin-Opener-Policy", "same-origin");
    }

    private static Task Apply(HttpResponse response, (string Name, string Value)[] headers)
    {
        foreach (var (name, value) in headers)
        {
            response.Headers[name] = value;
        }
        return Task.CompletedTask;
    }
}
